//! A scripted HTTP/1.1 server on 127.0.0.1 for loopback tests. Never touches the internet.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use aegis_sources::http::{HttpConfig, RetryPolicy};

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    /// Accept the request, then say nothing for this long and close.
    pub hang: Option<Duration>,
    /// Announce the full Content-Length but write only this many body bytes, then close.
    pub truncate_to: Option<usize>,
    /// Answer `{}` (as NSE does) unless the request's Cookie header contains this text.
    pub require_cookie: Option<String>,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
            hang: None,
            truncate_to: None,
            require_cookie: None,
        }
    }
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Reply::new(200, body)
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    pub fn hang(mut self, d: Duration) -> Self {
        self.hang = Some(d);
        self
    }
    pub fn truncated(mut self, n: usize) -> Self {
        self.truncate_to = Some(n);
        self
    }
    pub fn require_cookie(mut self, c: &str) -> Self {
        self.require_cookie = Some(c.to_string());
        self
    }
}

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Path with query.
    pub target: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub at: Instant,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Routes = Arc<Mutex<HashMap<String, VecDeque<Reply>>>>;

pub struct TestServer {
    pub base: String,
    routes: Routes,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TestServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Routes = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (r, s) = (routes.clone(), seen.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (r, s) = (r.clone(), s.clone());
                thread::spawn(move || serve(stream, &r, &s));
            }
        });
        TestServer { base, routes, seen }
    }

    /// Scripts the answers to `target` (a path, or a path with its query for an exact match).
    /// Answers are used in order; the last one repeats.
    pub fn route(&self, target: &str, replies: Vec<Reply>) {
        assert!(!replies.is_empty());
        self.routes
            .lock()
            .unwrap()
            .insert(target.to_string(), replies.into());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path() == path).count()
    }
}

fn serve(stream: TcpStream, routes: &Routes, seen: &Arc<Mutex<Vec<Seen>>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((n, v)) = line.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let cookie = headers
        .iter()
        .find(|(n, _)| n == "cookie")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    seen.lock().unwrap().push(Seen {
        target: target.clone(),
        headers,
        at: Instant::now(),
    });
    let reply = {
        let mut routes = routes.lock().unwrap();
        let path = target.split('?').next().unwrap_or_default().to_string();
        let key = if routes.contains_key(&target) {
            target
        } else {
            path
        };
        match routes.get_mut(&key) {
            Some(q) if q.len() > 1 => q.pop_front().unwrap(),
            Some(q) => q.front().unwrap().clone(),
            None => Reply::new(404, format!("no route for {key}")),
        }
    };
    let mut out = stream;
    thread::sleep(reply.delay);
    if let Some(d) = reply.hang {
        thread::sleep(d);
        return;
    }
    let body = match &reply.require_cookie {
        Some(c) if !cookie.contains(c.as_str()) => b"{}".to_vec(),
        _ => reply.body.clone(),
    };
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        body.len()
    );
    for (n, v) in &reply.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let n = reply.truncate_to.unwrap_or(body.len()).min(body.len());
    let _ = out.write_all(&body[..n]);
    let _ = out.flush();
    let _ = out.shutdown(std::net::Shutdown::Both);
}

/// Fast retries for tests: 3 attempts, 10 ms doubling, Retry-After honoured up to 2 s.
pub fn fast_http() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(1500),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(2),
        },
        ..HttpConfig::default()
    }
}

/// A file of the shared data directory.
pub fn shared(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(name)
}
