//! SHA-256 (FIPS 180-4) of model files and their parts, as lowercase hex.

/// The SHA-256 digest of `data` (the `sha2` crate, which uses the CPU's SHA extensions when
/// present).
pub fn digest(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

/// The SHA-256 digest of `data` as 64 lowercase hexadecimal characters.
pub fn digest_hex(data: &[u8]) -> String {
    digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    // FIPS 180-2 appendix B test vectors, plus the empty message.
    #[rstest]
    #[case(b"abc".as_slice(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    #[case(b"".as_slice(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    #[case(
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".as_slice(),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    )]
    fn fips_vectors(#[case] message: &[u8], #[case] expected: &str) {
        assert_eq!(digest_hex(message), expected);
    }

    #[test]
    fn million_a() {
        let data = vec![b'a'; 1_000_000];
        assert_eq!(
            digest_hex(&data),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn matches_python_hashlib_across_padding_boundaries() {
        // Lengths 55, 56, 63, 64 and 65 straddle the padding edge cases. Reference values from
        //   python3 -c "import hashlib; [print(hashlib.sha256(b'x'*n).hexdigest()) for n in (55,56,63,64,65)]"
        let expected = [
            (
                55,
                "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072",
            ),
            (
                56,
                "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e",
            ),
            (
                63,
                "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2",
            ),
            (
                64,
                "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c",
            ),
            (
                65,
                "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9",
            ),
        ];
        for (n, hex) in expected {
            assert_eq!(digest_hex(&vec![b'x'; n]), hex, "length {n}");
        }
    }
}
