//! Helpers shared by the browser test binaries: finding programs, free loopback ports, the
//! dashboard server on a temporary site, a plain static file server (what a static host does)
//! for the exported site, and stored runs.
#![allow(dead_code)]

pub mod browser;
pub mod runs;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};

pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The dashboard server, in-process on 127.0.0.1, serving a temporary directory: the run
/// output `out/`, the store `aegis.db` and the model files `models/`. Stopped on drop.
pub struct Site {
    /// The site's directory.
    pub dir: tempfile::TempDir,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Site {
    /// Creates `out/` and `models/` in a fresh directory, lets `fill` put the site's files in
    /// it (given the directory), then starts the server on a free port.
    pub async fn start_with(fill: impl FnOnce(&Path)) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let models = dir.path().join("models");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&models).unwrap();
        fill(dir.path());
        let mut config =
            aegis_dashboard::ServeConfig::new(out, dir.path().join("aegis.db"), models);
        config.bind = "127.0.0.1:0".parse().unwrap();
        let server = aegis_dashboard::Server::bind(config).await.unwrap();
        let addr = server.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        Site {
            dir,
            addr,
            stop: Some(tx),
        }
    }

    /// The server's address of `path` (no leading slash).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    /// Exports the site (`aegis export`) and serves the export from a plain static server.
    /// Returns the export's directory (deleted on drop), the export report and the port.
    pub fn export_and_serve(&self) -> (tempfile::TempDir, aegis_dashboard::ExportReport, u16) {
        let export_dir = tempfile::tempdir().unwrap();
        let report = aegis_dashboard::export(
            export_dir.path(),
            &self.dir.path().join("out"),
            &self.dir.path().join("aegis.db"),
            &self.dir.path().join("models"),
        )
        .unwrap();
        let port = plain_static_server(export_dir.path().to_path_buf());
        (export_dir, report, port)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A plain static file server (GET only, content type by extension, no special headers), as a
/// static host would be.
pub fn plain_static_server(root: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                let _ = serve_file(stream, &root);
            });
        }
    });
    port
}

pub fn serve_file(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let rel = if path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    let file = root.join(rel.trim_start_matches('/'));
    let (status, ctype, body) = match (rel.contains(".."), std::fs::read(&file)) {
        (false, Ok(body)) => {
            let ctype = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html",
                Some("css") => "text/css",
                Some("js") => "text/javascript",
                Some("json") => "application/json",
                Some("svg") | Some("ico") => "image/svg+xml",
                _ => "application/octet-stream",
            };
            ("200 OK", ctype, body)
        }
        _ => ("404 Not Found", "text/plain", b"not found".to_vec()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    Ok(())
}
