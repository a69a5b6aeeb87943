//! Fault tests of the scheduled pipeline (loopback only): the data sources fail in every way,
//! the disk fills or turns read-only during the payload write, a model file is corrupted while
//! serving, the clock crosses the open and the close. In every case the dashboard keeps
//! answering, the last good payload stays byte-identical and valid against its schema (unless a
//! new one was rightly published), the store passes its integrity check, and `/healthz` names
//! the cause.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration as StdDuration;

use aegis::config::{Config, RetrainCadence};
use aegis::scheduler::{
    JobKind, ManualClock, PipelineJobs, Planner, ScheduleSettings, Scheduler, Tick,
};
use aegis_calendar::NseCalendar;
use aegis_dashboard::{JobOutcome, ServeConfig, Telemetry};
use aegis_payload::filesystem::{FaultyFs, FsStep, with_payload_fs};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

fn shared(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(file)
}

fn ist(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    aegis_model::time::ist_at(NaiveDate::from_ymd_opt(y, m, d).unwrap(), h, min).with_timezone(&Utc)
}

/// Friday 28 November 2025, 13:55 IST: inside the shared data's last session.
fn fault_time() -> DateTime<Utc> {
    ist(2025, 11, 28, 13, 55)
}

/// A store with the shared bars and the 2025 chain, and one trained model, built once.
fn template() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let aegis = |args: &[&str]| {
            let o = Command::new(env!("CARGO_BIN_EXE_aegis"))
                .current_dir(dir)
                .arg("--store")
                .arg(dir.join("store.db"))
                .args(args)
                .env_remove("AEGIS_LOG")
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "aegis {args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        let files: Vec<String> = [
            "nifty50_daily_yahoo.csv",
            "indiavix_daily_yahoo.csv",
            "nifty50_5m_yahoo.csv",
            "indiavix_5m_yahoo.csv",
            "option_chain/nifty_2025-07-16_eod.json",
        ]
        .iter()
        .map(|f| shared(f).display().to_string())
        .collect();
        let mut args = vec!["import"];
        args.extend(files.iter().map(String::as_str));
        aegis(&args);
        aegis(&["train", "--models", "models", "--model", "vol_forecast"]);
        tmp
    })
    .path()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// What a loopback source does with every API request.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Status(u16),
    Hang,
    CloseMidBody,
    MalformedJson,
    EmptyChain,
}

/// A loopback HTTP server answering every request with `fault` (NSE's home pages excepted, so
/// that the client reaches the API).
fn fault_server(fault: Fault) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let reply = |s: &mut TcpStream, status: &str, body: &str| {
                    let _ = write!(
                        s,
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                };
                if path == "/" || path == "/option-chain" {
                    return reply(&mut s, "200 OK", "<html>NSE</html>");
                }
                match fault {
                    Fault::Status(code) => reply(&mut s, &format!("{code} Fault"), ""),
                    Fault::Hang => std::thread::sleep(StdDuration::from_secs(4)),
                    Fault::CloseMidBody => {
                        let _ = write!(
                            s,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n{{\"chart\": {{\"result\": ["
                        );
                    }
                    Fault::MalformedJson => reply(&mut s, "200 OK", "{\"records\": [1, 2,"),
                    Fault::EmptyChain if path.starts_with("/api/option-chain-expiry-dates") => {
                        reply(&mut s, "200 OK", r#"{"expiryDates":["02-Dec-2025"]}"#)
                    }
                    Fault::EmptyChain if path.starts_with("/api/option-chain-v3") => reply(
                        &mut s,
                        "200 OK",
                        r#"{"records":{"timestamp":"28-Nov-2025 13:50:00","underlyingValue":26200.0,"data":[]},"filtered":{}}"#,
                    ),
                    Fault::EmptyChain => reply(&mut s, "503 Unavailable", ""),
                }
            });
        }
    });
    addr
}

/// One test's world: a copy of the template, a configuration pointing at loopback sources,
/// a running dashboard sharing the scheduler's telemetry, and the scheduler on a manual clock.
struct World {
    _tmp: tempfile::TempDir,
    cfg: Config,
    clock: Arc<ManualClock>,
    scheduler: Scheduler,
    addr: SocketAddr,
    good: Vec<u8>,
}

fn world(yahoo: Fault, nse: Fault, fetch: bool, start: DateTime<Utc>) -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::copy(template().join("store.db"), dir.join("store.db")).unwrap();
    copy_dir(&template().join("models"), &dir.join("models"));
    let mut cfg = Config::default();
    cfg.paths.store = dir.join("store.db");
    cfg.paths.models = dir.join("models");
    cfg.paths.out = dir.join("out");
    cfg.yahoo.base_url = format!("http://{}", fault_server(yahoo));
    cfg.nse.base_url = format!("http://{}", fault_server(nse));
    for (timeout, attempts) in [
        (&mut cfg.yahoo.timeout_secs, &mut cfg.yahoo.attempts),
        (&mut cfg.nse.timeout_secs, &mut cfg.nse.attempts),
    ] {
        *timeout = 1;
        *attempts = 1;
    }
    cfg.schedule.fetch = fetch;
    cfg.schedule.retrain = RetrainCadence::Never;
    cfg.check().unwrap();
    let cal = NseCalendar::new();
    // The last good payload: a run on the stored data, before any fault.
    let opts = aegis::commands::run::options(
        &cfg,
        &Default::default(),
        start - chrono::Duration::minutes(5),
    );
    aegis::pipeline::run_cycle(&opts, &cal).unwrap();
    let good = std::fs::read(dir.join("out").join(aegis_payload::PAYLOAD_FILE)).unwrap();
    let telemetry = Telemetry::new();
    let clock = Arc::new(ManualClock::new(start));
    let scheduler = Scheduler::new(
        Planner::new(
            ScheduleSettings::from_config(&cfg.schedule).unwrap(),
            Some(NaiveDate::from_ymd_opt(2025, 11, 28).unwrap()),
        ),
        clock.clone(),
        Arc::new(PipelineJobs::new(cfg.clone(), cal.clone())),
        cal,
        telemetry.clone(),
    );
    let mut sc = ServeConfig::new(&cfg.paths.out, &cfg.paths.store, &cfg.paths.models);
    sc.bind = "127.0.0.1:0".parse().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = aegis_dashboard::Server::bind_with(sc, telemetry)
                .await
                .unwrap();
            tx.send(server.local_addr()).unwrap();
            server.run(std::future::pending()).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    World {
        _tmp: tmp,
        cfg,
        clock,
        scheduler,
        addr,
        good,
    }
}

/// A GET over plain TCP: (status, body).
fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(StdDuration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
    out
}

impl World {
    fn payload_path(&self) -> PathBuf {
        self.cfg.paths.out.join(aegis_payload::PAYLOAD_FILE)
    }

    fn healthz(&self) -> (u16, Value) {
        let (status, body) = get(self.addr, "/healthz");
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// The invariants after a fault: the server answers, the payload is the last good one
    /// (when `unchanged`) and valid, the store is sound; returns `/healthz`'s reasons.
    fn check(&self, unchanged: bool) -> (u16, String) {
        let (status, served) = get(self.addr, "/api/payload");
        assert_eq!(status, 200, "the server keeps serving the payload");
        let on_disk = std::fs::read(self.payload_path()).unwrap();
        assert_eq!(served, on_disk, "the served payload is the file");
        if unchanged {
            assert!(
                on_disk == self.good,
                "the last good payload stays byte-identical"
            );
        }
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(self.cfg.paths.out.join(aegis_payload::SCHEMA_FILE)).unwrap(),
        )
        .unwrap();
        let payload: Value = serde_json::from_slice(&on_disk).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        assert!(
            validator.is_valid(&payload),
            "the payload validates against its schema"
        );
        aegis_store::Store::open(&self.cfg.paths.store)
            .unwrap()
            .integrity_check()
            .expect("the store passes its integrity check");
        let (code, health) = self.healthz();
        let reasons = health["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert_ne!(health["status"], "ok", "{health}");
        (code, reasons)
    }
}

fn source_fault(yahoo: Fault, nse: Fault, expected: &[&str]) {
    let w = world(yahoo, nse, true, fault_time());
    assert_eq!(
        w.scheduler.tick(),
        Tick::Ran(JobKind::Intraday, JobOutcome::Failed)
    );
    let (code, reasons) = w.check(true);
    assert_eq!(code, 200, "one failure is degraded, not failing");
    for e in expected {
        assert!(reasons.contains(e), "/healthz names `{e}`:\n{reasons}");
    }
    assert!(reasons.contains("every source failed"), "{reasons}");
    let t = w.scheduler.telemetry();
    assert!(t.fetch_errors("yahoo") >= 1 && t.fetch_errors("nse") >= 1);
    let (_, metrics) = get(w.addr, "/metrics");
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains("aegis_jobs_total{job=\"intraday\",outcome=\"failed\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("aegis_fetch_errors_total{source=\"nse\"} 1\n"),
        "{metrics}"
    );
}

#[test]
fn sources_answering_5xx_fail_the_job_and_keep_the_payload() {
    source_fault(
        Fault::Status(503),
        Fault::Status(500),
        &["HTTP 503", "HTTP 500"],
    );
}

#[test]
fn sources_answering_429_fail_the_job_and_keep_the_payload() {
    source_fault(
        Fault::Status(429),
        Fault::Status(429),
        &["rate-limiting this client (HTTP 429)"],
    );
}

#[test]
fn sources_hanging_past_the_timeout_fail_the_job_and_keep_the_payload() {
    source_fault(Fault::Hang, Fault::Hang, &["did not answer within 1s"]);
}

#[test]
fn sources_closing_mid_body_fail_the_job_and_keep_the_payload() {
    source_fault(
        Fault::CloseMidBody,
        Fault::CloseMidBody,
        &["cut off mid-body"],
    );
}

#[test]
fn malformed_json_and_a_chain_without_records_fail_the_job_and_keep_the_payload() {
    source_fault(
        Fault::MalformedJson,
        Fault::MalformedJson,
        &["malformed JSON"],
    );
    source_fault(
        Fault::MalformedJson,
        Fault::EmptyChain,
        &["the option chain has no records"],
    );
}

#[test]
fn repeated_failures_back_off_and_turn_healthz_failing() {
    let w = world(Fault::Status(503), Fault::Status(503), true, fault_time());
    for i in 0..3 {
        assert_eq!(
            w.scheduler.tick(),
            Tick::Ran(JobKind::Intraday, JobOutcome::Failed),
            "attempt {i}"
        );
        assert_eq!(w.scheduler.tick(), Tick::Idle, "backing off");
        let retry_at = w.scheduler.telemetry().status().retry_at.unwrap();
        w.clock.set(retry_at);
    }
    let (code, reasons) = w.check(true);
    assert_eq!(code, 503, "three failures in a row: failing\n{reasons}");
    assert!(
        reasons.contains("3 scheduled job(s) failed in a row"),
        "{reasons}"
    );
}

fn disk_fault(step: FsStep, errno: i32, expected: &str) {
    let w = world(Fault::Status(503), Fault::Status(503), false, fault_time());
    let faulty = Arc::new(FaultyFs {
        step,
        errno,
        file: aegis_payload::PAYLOAD_FILE.into(),
    });
    let tick = with_payload_fs(faulty, || w.scheduler.tick());
    assert_eq!(tick, Tick::Ran(JobKind::Intraday, JobOutcome::Failed));
    let (_, reasons) = w.check(true);
    assert!(
        reasons.contains(expected),
        "/healthz names `{expected}`:\n{reasons}"
    );
    assert!(reasons.contains("writing the payload"), "{reasons}");
    // The fault gone, the next attempt publishes.
    w.clock
        .set(w.scheduler.telemetry().status().retry_at.unwrap());
    assert_eq!(
        w.scheduler.tick(),
        Tick::Ran(JobKind::Intraday, JobOutcome::Degraded)
    );
    assert_ne!(std::fs::read(w.payload_path()).unwrap(), w.good);
}

#[test]
fn a_full_disk_during_the_write_or_the_fsync_keeps_the_last_good_payload() {
    disk_fault(FsStep::Write, 28, "No space left on device");
    disk_fault(FsStep::Sync, 28, "No space left on device");
}

#[test]
fn a_read_only_payload_directory_keeps_the_last_good_payload() {
    disk_fault(FsStep::Create, 30, "Read-only file system");
    disk_fault(FsStep::Rename, 30, "Read-only file system");
    disk_fault(FsStep::Create, 13, "Permission denied");
}

#[cfg(unix)]
#[test]
fn a_really_read_only_payload_directory_keeps_the_last_good_payload() {
    use std::os::unix::fs::PermissionsExt;
    let w = world(Fault::Status(503), Fault::Status(503), false, fault_time());
    let out = &w.cfg.paths.out;
    std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = out.join("probe");
    if std::fs::File::create(&probe).is_ok() {
        let _ = std::fs::remove_file(&probe);
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!(
            "skipped: running as root, permission bits do not stop writes; the injected EROFS/EACCES tests cover this path"
        );
        return;
    }
    assert_eq!(
        w.scheduler.tick(),
        Tick::Ran(JobKind::Intraday, JobOutcome::Failed)
    );
    std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_, reasons) = w.check(true);
    assert!(reasons.contains("Permission denied"), "{reasons}");
}

#[test]
fn a_model_file_corrupted_while_serving_marks_its_metrics_unavailable_naming_the_file() {
    let w = world(Fault::Status(503), Fault::Status(503), false, fault_time());
    let file = w.cfg.paths.models.join("vol_forecast.json");
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&file, bytes).unwrap();
    assert_eq!(
        w.scheduler.tick(),
        Tick::Ran(JobKind::Intraday, JobOutcome::Degraded)
    );
    let (code, reasons) = w.check(false);
    assert_eq!(code, 200);
    let payload: aegis_payload::Payload = aegis_payload::read(&w.payload_path()).unwrap();
    let model = payload
        .meta
        .models
        .iter()
        .find(|m| m.name == "vol_forecast")
        .unwrap();
    assert_eq!(model.status, aegis_model::Status::Unavailable);
    assert!(
        model
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("vol_forecast.json"),
        "{model:?}"
    );
    assert!(
        reasons.contains("vol_forecast.json"),
        "/healthz names the file:\n{reasons}"
    );
}

#[test]
fn the_clock_crossing_the_open_and_the_close_starts_and_stops_runs_and_post_close_runs_once() {
    // Thursday 27 November 2025, run on the stored data.
    let w = world(
        Fault::Status(503),
        Fault::Status(503),
        false,
        ist(2025, 11, 27, 9, 5),
    );
    let mut ran = Vec::new();
    for (h, m) in [
        (9, 5),
        (9, 14),
        (9, 15),
        (9, 16),
        (9, 19),
        (9, 20),
        (15, 29),
        (15, 30),
        (15, 31),
        (18, 0),
        (23, 59),
    ] {
        w.clock.set(ist(2025, 11, 27, h, m));
        if let Tick::Ran(kind, outcome) = w.scheduler.tick() {
            assert_ne!(outcome, JobOutcome::Failed);
            ran.push((h, m, kind));
        }
    }
    assert_eq!(
        ran,
        vec![
            (9, 15, JobKind::Intraday),
            (9, 20, JobKind::Intraday),
            (15, 29, JobKind::Intraday),
            (15, 30, JobKind::PostClose),
        ]
    );
    // Friday before the open: nothing.
    w.clock.set(ist(2025, 11, 28, 9, 0));
    assert_eq!(w.scheduler.tick(), Tick::Idle);
    let (code, health) = w.healthz();
    assert_eq!(code, 200, "{health}");
}
