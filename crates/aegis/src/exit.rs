//! Exit codes of the `aegis` command, documented in the README and in `aegis --help`.

/// Success.
pub const OK: i32 = 0;
/// The command failed: bad input, I/O, network, a refused import. The message names the cause
/// and the fix; nothing already stored was changed.
pub const FAILED: i32 = 1;
/// The command line was not understood (clap's own code).
pub const USAGE: i32 = 2;
/// `aegis run`: the payload was written, but at least one metric is `unavailable`
/// (each says why and what to do).
pub const DEGRADED: i32 = 3;
/// `aegis run`: the run failed; the last good payload is untouched.
pub const RUN_FAILED: i32 = 4;

/// The exit-code table as shown in `--help`.
pub const HELP: &str = "\
Exit codes:
  0  success
  1  failure (bad input, I/O, network); the message names the cause and the fix, and nothing stored was changed
  2  the command line was not understood
  3  aegis run: payload written, but some metrics are unavailable (each says why)
  4  aegis run: the run failed; the last good payload is untouched";
