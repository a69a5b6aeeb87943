//! The browser code, embedded in the binary with `include_bytes!` (no extra crates), and the
//! HTML pages rendered from templates.
//!
//! Assets are served under `assets/<version>/…`, where the version is a hash of every asset:
//! a new build changes the URL, so the browser may cache each asset for a year. The pages
//! themselves are small, revalidated on every load (`no-cache` with an ETag).

use std::sync::OnceLock;

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asset {
    /// Path below `assets/`, with `/`.
    pub path: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(Asset {
            path: $path,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)),
        }),*]
    };
}

/// Static assets (CSS, JS, icons, the vendored chart library and its licence).
pub(crate) static ASSETS: &[Asset] = embed![
    "css/app.css",
    "favicon.svg",
    "js/api.js",
    "js/app.js",
    "js/banners.js",
    "js/charts.js",
    "js/dom.js",
    "js/format.js",
    "js/help.js",
    "js/indices.js",
    "js/modal.js",
    "js/pages/history.js",
    "js/pages/models.js",
    "js/pages/page.js",
    "js/svg.js",
    "js/theme-boot.js",
    "js/theme.js",
    "js/tile.js",
    "js/views/buyers.js",
    "js/views/chain.js",
    "js/views/direction.js",
    "js/views/sellers.js",
    "js/views/strategy.js",
    "vendor/chartist/LICENSE-MIT",
    "vendor/chartist/LICENSE-WTFPL",
    "vendor/chartist/README.md",
    "vendor/chartist/chartist.css",
    "vendor/chartist/chartist.umd.js",
];

/// HTML page templates, by file name (served at `/<name>`; `index.html` also at `/`).
pub(crate) static PAGES: &[Asset] = embed![
    "about.html",
    "disclaimer.html",
    "history.html",
    "index.html",
    "models.html",
    "privacy.html",
    "terms.html",
];

/// The asset with this path, if any.
pub(crate) fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// The page template with this file name, if any.
pub(crate) fn page(name: &str) -> Option<&'static Asset> {
    PAGES.iter().find(|a| a.path == name)
}

/// 64-bit FNV-1a: a small, stable content hash for ETags and asset versions (not a
/// cryptographic hash; it only has to change when the content does).
pub(crate) fn fnv1a(chunks: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for chunk in chunks {
        for &b in *chunk {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // Separate chunks so that ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A weak ETag (the body may be compressed on the way) from the content's hash.
pub(crate) fn etag_of(bytes: &[u8]) -> String {
    format!("W/\"{:016x}\"", fnv1a(&[bytes]))
}

/// The version segment of asset URLs: a hash of every asset's path and bytes.
pub(crate) fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut chunks: Vec<&[u8]> = Vec::with_capacity(ASSETS.len() * 2);
        for a in ASSETS {
            chunks.push(a.path.as_bytes());
            chunks.push(a.bytes);
        }
        format!("{:012x}", fnv1a(&chunks) >> 16)
    })
}

/// The `Content-Type` of a file, from its extension.
pub(crate) fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("md") => "text/markdown; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// Renders a page template: `{{ASSETS}}` becomes the versioned asset directory (relative, so
/// the page works from any host and sub-directory), `{{REFRESH_SECS}}` the auto-refresh
/// interval and `{{VERSION}}` the dashboard's version.
pub(crate) fn render_page(template: &[u8], refresh_secs: u64) -> String {
    let text = std::str::from_utf8(template).expect("page templates are UTF-8");
    text.replace("{{ASSETS}}", &format!("assets/{}", version()))
        .replace("{{REFRESH_SECS}}", &refresh_secs.to_string())
        .replace("{{VERSION}}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every file under `assets/` is embedded (as an asset or a page), and nothing else.
    #[test]
    fn every_asset_file_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let mut on_disk = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    on_disk.push(rel);
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS
            .iter()
            .chain(PAGES)
            .map(|a| a.path.to_string())
            .collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn pages_reference_only_versioned_local_assets_and_no_inline_code() {
        for p in PAGES {
            let html = render_page(p.bytes, 60);
            assert!(!html.contains("{{"), "{}: unrendered placeholder", p.path);
            assert!(
                !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
                "{}: absolute URL (third-party request?)",
                p.path
            );
            assert!(
                !html.contains(" style=") && !html.contains("<style"),
                "{}: inline style",
                p.path
            );
            assert!(
                !html.contains(" onclick=") && !html.contains(" onload="),
                "{}: inline handler",
                p.path
            );
            for (i, _) in html.match_indices("<script") {
                let tag = &html[i..i + html[i..].find('>').unwrap()];
                assert!(
                    tag.contains(" src=\"assets/"),
                    "{}: inline script {tag}",
                    p.path
                );
            }
            for (i, _) in html.match_indices(&format!("assets/{}/", version())) {
                let rest = &html[i + "assets/".len() + version().len() + 1..];
                let path = &rest[..rest.find('"').unwrap()];
                assert!(
                    asset(path).is_some(),
                    "{}: references missing asset {path}",
                    p.path
                );
            }
        }
    }

    #[test]
    fn fnv_separates_chunks_and_changes_with_content() {
        assert_ne!(fnv1a(&[b"ab", b"c"]), fnv1a(&[b"a", b"bc"]));
        assert_ne!(etag_of(b"x"), etag_of(b"y"));
        assert_eq!(etag_of(b"x"), etag_of(b"x"));
        assert_eq!(version().len(), 12);
    }

    /// First load: the index page, the CSS and every script it loads, and the fixture payload.
    #[test]
    fn first_load_stays_under_300_kb() {
        let html = render_page(page("index.html").unwrap().bytes, 60);
        let mut total = html.len();
        for a in ASSETS {
            let first_load = a.path.ends_with(".css")
                || (a.path.ends_with(".js") && !a.path.starts_with("js/pages/"));
            if first_load {
                total += a.bytes.len();
            }
        }
        let payload = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/payload.json"),
        )
        .unwrap();
        total += payload.len();
        assert!(
            total < 300 * 1024,
            "first load is {total} bytes uncompressed"
        );
    }
}
