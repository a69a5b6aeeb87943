//! The shared blocking HTTP layer of the live adapters.
//!
//! One [`HttpClient`] wraps a `ureq` agent (rustls, gzip, a cookie store) with:
//!
//! * a connect timeout and an overall per-request timeout ([`HttpConfig`]);
//! * retries on transient failures — HTTP 429, 408 and 5xx, timeouts, refused or reset
//!   connections, bodies cut off mid-way — with a deterministic exponential backoff and no jitter
//!   ([`RetryPolicy::delay_before_retry`]), so tests and logs are reproducible;
//! * `Retry-After` honoured on 429 up to [`RetryPolicy::max_retry_after`]; a longer demand stops
//!   retrying at once with [`HttpError::RateLimited`] (retrying earlier than asked only earns
//!   another 429);
//! * no retry on other 4xx: 401/403/404 are answered by [`HttpError::Refused`] with the status and
//!   a fix hint chosen by the adapter.
//!
//! Every error names the service ("Yahoo Finance", "NSE"), the URL and what to do.

use std::fmt;
use std::io;
use std::time::Duration;

use tracing::warn;

/// How often and how patiently to retry a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled before each further retry.
    pub base_delay: Duration,
    /// Upper bound of the backoff delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` the client will wait; a longer one ends the request.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 1 s doubling to at most 30 s, `Retry-After` honoured up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The backoff before the retry that follows `failed_attempts` failures (1-based):
    /// `base_delay · 2^(failed_attempts − 1)`, capped at `max_delay`. Deterministic: no jitter.
    pub fn delay_before_retry(&self, failed_attempts: u32) -> Duration {
        let exponent = failed_attempts.saturating_sub(1).min(31);
        self.base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay)
    }
}

/// Timeouts, retries and identity of an [`HttpClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Time allowed to open the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, body included.
    pub timeout: Duration,
    /// The retry policy.
    pub retry: RetryPolicy,
    /// The `User-Agent` header sent with every request.
    pub user_agent: String,
    /// Largest response body accepted, in bytes.
    pub max_body_bytes: u64,
}

/// A desktop-browser User-Agent: both Yahoo and NSE refuse obvious scripts.
pub const BROWSER_USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

impl Default for HttpConfig {
    /// 10 s to connect, 30 s per request, the default [`RetryPolicy`], a browser User-Agent, 64 MiB.
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent: BROWSER_USER_AGENT.to_string(),
            max_body_bytes: 64 << 20,
        }
    }
}

/// A successful (2xx) response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The whole body, decompressed.
    pub body: Vec<u8>,
    /// How many attempts it took.
    pub attempts: u32,
}

/// Why a request failed. Each variant names the service and the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// A status the client does not retry (4xx other than 408/429, or an unexpected 1xx/3xx).
    #[error("{service}: {url} answered HTTP {status}: {hint}")]
    Refused {
        /// The service called.
        service: &'static str,
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// What to do about it.
        hint: &'static str,
        /// The start of the response body (at most 4 KiB), for adapters that read error bodies.
        body: String,
    },
    /// HTTP 429 on every attempt, or a `Retry-After` longer than the client will wait.
    #[error(
        "{service}: {url} is rate-limiting this client (HTTP 429) after {attempts} attempt(s){}; poll less often or try again later",
        retry_after_note(*retry_after)
    )]
    RateLimited {
        /// The service called.
        service: &'static str,
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last `Retry-After` the server sent, if any.
        retry_after: Option<Duration>,
    },
    /// A 5xx status (or 408) on every attempt.
    #[error(
        "{service}: {url} failed with HTTP {status} on all {attempts} attempt(s); the service is having trouble, try again later"
    )]
    ServerError {
        /// The service called.
        service: &'static str,
        /// The URL.
        url: String,
        /// The last status seen.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// No complete answer within the timeout, on every attempt.
    #[error(
        "{service}: {url} did not answer within {timeout:?} on all {attempts} attempt(s); check the network, or raise the timeout"
    )]
    Timeout {
        /// The service called.
        service: &'static str,
        /// The URL.
        url: String,
        /// The overall timeout in force.
        timeout: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The connection could not be opened or was reset, on every attempt.
    #[error(
        "{service}: cannot connect to {url} ({detail}) after {attempts} attempt(s); check the network connection and the base URL"
    )]
    Connection {
        /// The service called.
        service: &'static str,
        /// The URL.
        url: String,
        /// What the transport reported.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The response body ended before its announced length, on every attempt.
    #[error(
        "{service}: the response from {url} was cut off mid-body ({detail}) on all {attempts} attempt(s); the connection is unreliable, try again"
    )]
    Truncated {
        /// The service called.
        service: &'static str,
        /// The URL.
        url: String,
        /// What the transport reported.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A failure that retrying cannot fix (bad URL, TLS set-up, body too large, …).
    #[error("{service}: request to {url} failed: {detail}")]
    Other {
        /// The service called.
        service: &'static str,
        /// The URL.
        url: String,
        /// What went wrong.
        detail: String,
    },
}

fn retry_after_note(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| {
        format!(" (the server asks to wait {} s)", d.as_secs())
    })
}

impl HttpError {
    /// The HTTP status behind the error, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Refused { status, .. } | HttpError::ServerError { status, .. } => {
                Some(*status)
            }
            HttpError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }
}

/// Picks the fix hint shown with a non-retried status (401, 403, 404, …).
pub type StatusHint = fn(u16) -> &'static str;

/// A blocking HTTP client with timeouts, retries and a cookie store.
pub struct HttpClient {
    agent: ureq::Agent,
    config: HttpConfig,
    service: &'static str,
    hint: StatusHint,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("service", &self.service)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One failed attempt, before deciding whether to retry.
enum Failure {
    Status { status: u16, body: String },
    RateLimited { retry_after: Option<Duration> },
    Timeout,
    Connection(String),
    Truncated(String),
    Fatal(String),
}

impl HttpClient {
    /// A client for `service` (named in every error); `hint` picks the fix shown with a refused status.
    pub fn new(service: &'static str, config: HttpConfig, hint: StatusHint) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .user_agent(config.user_agent.as_str())
            .build()
            .into();
        HttpClient {
            agent,
            config,
            service,
            hint,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Forgets every cookie (for a fresh session).
    pub fn clear_cookies(&self) {
        self.agent.cookie_jar_lock().clear();
    }

    /// GETs `url` with extra `headers`, retrying transient failures per the [`RetryPolicy`].
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<HttpResponse, HttpError> {
        let policy = self.config.retry;
        let max_attempts = policy.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let failure = match self.attempt(url, headers) {
                Ok((status, body)) => {
                    return Ok(HttpResponse {
                        status,
                        body,
                        attempts: attempt,
                    });
                }
                Err(f) => f,
            };
            let last = attempt >= max_attempts;
            let wait = match &failure {
                Failure::Status { status, body } => {
                    let status = *status;
                    if status == 408 || (500..600).contains(&status) {
                        if last {
                            return Err(HttpError::ServerError {
                                service: self.service,
                                url: url.to_string(),
                                status,
                                attempts: attempt,
                            });
                        }
                        policy.delay_before_retry(attempt)
                    } else {
                        return Err(HttpError::Refused {
                            service: self.service,
                            url: url.to_string(),
                            status,
                            hint: (self.hint)(status),
                            body: body.clone(),
                        });
                    }
                }
                Failure::RateLimited { retry_after } => {
                    let too_long = retry_after.is_some_and(|d| d > policy.max_retry_after);
                    if last || too_long {
                        return Err(HttpError::RateLimited {
                            service: self.service,
                            url: url.to_string(),
                            attempts: attempt,
                            retry_after: *retry_after,
                        });
                    }
                    retry_after.unwrap_or_else(|| policy.delay_before_retry(attempt))
                }
                Failure::Timeout => {
                    if last {
                        return Err(HttpError::Timeout {
                            service: self.service,
                            url: url.to_string(),
                            timeout: self.config.timeout,
                            attempts: attempt,
                        });
                    }
                    policy.delay_before_retry(attempt)
                }
                Failure::Connection(detail) => {
                    if last {
                        return Err(HttpError::Connection {
                            service: self.service,
                            url: url.to_string(),
                            detail: detail.clone(),
                            attempts: attempt,
                        });
                    }
                    policy.delay_before_retry(attempt)
                }
                Failure::Truncated(detail) => {
                    if last {
                        return Err(HttpError::Truncated {
                            service: self.service,
                            url: url.to_string(),
                            detail: detail.clone(),
                            attempts: attempt,
                        });
                    }
                    policy.delay_before_retry(attempt)
                }
                Failure::Fatal(detail) => {
                    return Err(HttpError::Other {
                        service: self.service,
                        url: url.to_string(),
                        detail: detail.clone(),
                    });
                }
            };
            warn!(
                service = self.service,
                url,
                attempt,
                wait_ms = wait.as_millis() as u64,
                reason = failure.describe(),
                "retrying"
            );
            std::thread::sleep(wait);
        }
    }

    fn attempt(&self, url: &str, headers: &[(&str, &str)]) -> Result<(u16, Vec<u8>), Failure> {
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request.call().map_err(|e| classify(e, false))?;
        let status = response.status().as_u16();
        if status == 429 {
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            return Err(Failure::RateLimited { retry_after });
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(self.config.max_body_bytes)
            .read_to_vec()
            .map_err(|e| classify(e, true))?;
        if (200..300).contains(&status) {
            Ok((status, body))
        } else {
            let excerpt = &body[..body.len().min(4096)];
            Err(Failure::Status {
                status,
                body: String::from_utf8_lossy(excerpt).into_owned(),
            })
        }
    }
}

impl Failure {
    fn describe(&self) -> String {
        match self {
            Failure::Status { status, .. } => format!("HTTP {status}"),
            Failure::RateLimited { .. } => "HTTP 429".to_string(),
            Failure::Timeout => "timeout".to_string(),
            Failure::Connection(d) => format!("connection: {d}"),
            Failure::Truncated(d) => format!("truncated body: {d}"),
            Failure::Fatal(d) => d.clone(),
        }
    }
}

/// Sorts a transport error into retryable kinds. `in_body` is true while reading the body.
fn classify(e: ureq::Error, in_body: bool) -> Failure {
    match e {
        ureq::Error::Timeout(_) => Failure::Timeout,
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::TimedOut => Failure::Timeout,
        ureq::Error::Io(io) if in_body => Failure::Truncated(io.to_string()),
        ureq::Error::Protocol(p) if in_body => Failure::Truncated(p.to_string()),
        ureq::Error::Io(io) => Failure::Connection(io.to_string()),
        ureq::Error::Protocol(p) => Failure::Connection(p.to_string()),
        ureq::Error::ConnectionFailed => Failure::Connection("connection failed".to_string()),
        ureq::Error::HostNotFound => {
            Failure::Fatal("host not found: check the base URL and DNS".to_string())
        }
        ureq::Error::BodyExceedsLimit(limit) => Failure::Fatal(format!(
            "the response body is larger than the {limit}-byte limit"
        )),
        ureq::Error::Decompress(what, io) => Failure::Truncated(format!("{what}: {io}")),
        other => Failure::Fatal(other.to_string()),
    }
}

/// Parses a `Retry-After` value: delay seconds, or an HTTP date (measured from the system clock).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// Percent-encodes one URL path segment or query value (RFC 3986 unreserved characters stay).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(5),
        };
        let delays: Vec<u128> = (1..=6)
            .map(|n| p.delay_before_retry(n).as_millis())
            .collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1000, 1000]);
        // Huge attempt counts neither overflow nor panic.
        assert_eq!(p.delay_before_retry(u32::MAX), Duration::from_millis(1000));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn encodes_tickers() {
        assert_eq!(encode_component("^NSEI"), "%5ENSEI");
        assert_eq!(
            encode_component("NIFTY_FIN_SERVICE.NS"),
            "NIFTY_FIN_SERVICE.NS"
        );
        assert_eq!(encode_component("div,split"), "div%2Csplit");
    }

    proptest::proptest! {
        /// The schedule never decreases and never exceeds the cap.
        #[test]
        fn backoff_is_monotone_and_bounded(base in 0u64..10_000, cap in 0u64..100_000, n in 1u32..64) {
            let p = RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(base),
                max_delay: Duration::from_millis(cap),
                max_retry_after: Duration::ZERO,
            };
            proptest::prop_assert!(p.delay_before_retry(n) <= p.delay_before_retry(n + 1));
            proptest::prop_assert!(p.delay_before_retry(n) <= Duration::from_millis(cap));
        }
    }
}
