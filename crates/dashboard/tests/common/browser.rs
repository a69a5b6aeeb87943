//! A Chromium session driven through chromedriver (WebDriver) with fantoccini, shared by the
//! browser test binaries.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::{free_port, on_path};

/// How to get the browser when it is missing.
const INSTALL: &str =
    "run `apt-get install -y chromium chromium-driver` (Debian's Chromium and its WebDriver)";
/// Flags for Chromium as root in a container.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-breakpad",
    "--disable-crash-reporter",
];

/// One Chromium at a time (an async mutex: each test has its own runtime).
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Takes this binary's turn with the browser: hold the guard for the whole test (the machine
/// has two cores, one Chromium at a time).
pub async fn lock() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_BROWSER.lock().await
}

/// Chromium and chromedriver, or a failure that says how to install them.
fn browser_binaries() -> (PathBuf, PathBuf) {
    let chromium = on_path("chromium")
        .or_else(|| on_path("chromium-browser"))
        .unwrap_or_else(|| panic!("Chromium is not installed (no `chromium` on PATH): {INSTALL}"));
    let driver = on_path("chromedriver").unwrap_or_else(|| {
        panic!("chromedriver is not installed (no `chromedriver` on PATH): {INSTALL}")
    });
    (chromium, driver)
}

/// Waits up to 20 s for `what` to listen on `port`.
fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The workspace's target directory (CARGO_TARGET_DIR, or `target/` beside the workspace).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// A chromedriver process, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session on a fresh profile.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    /// How long [`Browser::wait`] polls before it fails (15 s unless a test binary sets it).
    pub wait_limit: Duration,
    _driver: Driver,
    profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// A test that fails never closes its session: end the Chromium processes of this
    /// session's profile (found by their command line, killed by pid) so none is orphaned.
    fn drop(&mut self) {
        let marker = format!("--user-data-dir={}", self.profile.path().display());
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in procs.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&marker) {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a `width`×`height` window.
    pub async fn start(width: u32, height: u32) -> Browser {
        Self::start_with(width, height, false).await
    }

    /// Like [`Browser::start`]; with `phone`, the viewport is emulated at exactly
    /// `width`×`height` CSS pixels (a headless window cannot be narrower than 500 px).
    pub async fn start_with(width: u32, height: u32, phone: bool) -> Browser {
        let (chromium, driver_bin) = browser_binaries();
        let port = free_port();
        let child = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL}", driver_bin.display()));
        let driver = Driver { child, port };
        wait_for_port(driver.port, "chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={width},{height}"));
        let mut chrome_options = json!({ "binary": chromium, "args": args });
        if phone {
            chrome_options["mobileEmulation"] =
                json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 } });
        }
        let caps = json!({ "browserName": "chrome", "goog:chromeOptions": chrome_options });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e}; {INSTALL}"));
        Browser {
            client,
            wait_limit: Duration::from_secs(15),
            _driver: driver,
            profile,
        }
    }

    /// Ends the session (Chromium quits).
    pub async fn close(&self) {
        self.client.clone().close().await.unwrap();
    }

    /// Runs `script` in the page and returns its result.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `condition` (a JS expression) until it is truthy, for up to `wait_limit`.
    pub async fn wait(&self, condition: &str) {
        let deadline = Instant::now() + self.wait_limit;
        loop {
            let v = self.js(&format!("return Boolean({condition});")).await;
            if v == Value::Bool(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for: {condition}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The element at `css`; fails naming it when there is none.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// The rendered text of the element at `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Scrolls the element at `css` into view and clicks it.
    pub async fn click(&self, css: &str) {
        let quoted = serde_json::to_string(css).unwrap();
        self.js(&format!("const e = document.querySelector({quoted}); if (e) e.scrollIntoView({{block: 'center'}}); return null;"))
            .await;
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Opens `url` as it is (a first visit shows the disclaimer).
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Reloads the page.
    pub async fn reload(&self) {
        self.client.refresh().await.unwrap();
    }

    /// The address the browser shows now.
    pub async fn current_url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    /// Chooses the option `value` of the `<select>` at `css`, as a user does.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot choose `{value}` in {css}: {e}"));
    }

    /// Waits until the element at `css` exists and its text includes `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) {
        let css = serde_json::to_string(css).unwrap();
        let needle = serde_json::to_string(needle).unwrap();
        self.wait(&format!(
            "document.querySelector({css}) && document.querySelector({css}).textContent.includes({needle})"
        ))
        .await;
    }

    /// Presses Escape in the focused element.
    pub async fn press_escape(&self) {
        self.client
            .active_element()
            .await
            .unwrap()
            .send_keys("\u{e00c}")
            .await
            .unwrap();
    }

    /// Takes a screenshot, checks it is a PNG and saves it as `screenshots/<file>` in the
    /// target directory; returns its path.
    pub async fn screenshot(&self, file: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(file);
        std::fs::write(&path, png).unwrap();
        path
    }
}
