//! Alerts: rules on payload metrics, evaluated after every successful run, each firing once per
//! crossing, delivered by webhook (a JSON `POST`) and listed for the dashboard.
//!
//! A rule names a metric by its path in the payload (`market.vix.change_pct`,
//! `seller.flag.flag`, `seller.expiries[0].safe_range.upper`, …) and one condition: `above` or
//! `below` a number, `above_metric` / `below_metric` another metric's value, or `equals` a word.
//! A rule is *active* while its condition holds; it **fires** when it turns active (including
//! the first evaluation that finds it so) and re-arms only after the condition has been false
//! once. A metric that is `unavailable` (or a path that is absent) leaves the rule's state
//! unchanged and is reported as `unknown`: an alert is never raised, nor cleared, on a number
//! that does not exist.
//!
//! State (`alerts_state.json`) and the dashboard's list (`alerts.json`, the rules with their
//! current state and the last [`MAX_EVENTS`] events) live beside the payload and are written
//! atomically. A failed webhook delivery is recorded on the event (and logged); it never fails
//! the run.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

pub use crate::config::{AlertsConfig, PathStep, Rule, parse_metric_path, validate_alerts};
use serde_json::{Value, json};

/// Events kept in `alerts.json`.
pub const MAX_EVENTS: usize = 100;
/// The dashboard's list of rules and events, beside the payload.
pub const ALERTS_FILE: &str = "alerts.json";
/// Which rules are active, beside the payload.
pub const STATE_FILE: &str = "alerts_state.json";

/// The value at `path`, or why there is none (absent, or its metric is unavailable).
fn lookup<'a>(payload: &'a Value, path: &str) -> Result<&'a Value, String> {
    let steps = parse_metric_path(path).map_err(|e| format!("{e:#}"))?;
    let mut v = payload;
    for s in &steps {
        // The nearest enclosing metric says whether a value exists.
        if let Some(p) = v.get("provenance")
            && p["status"] == "unavailable"
        {
            return Err(format!(
                "{path} is unavailable: {}",
                p["reason"].as_str().unwrap_or("no reason given")
            ));
        }
        v = match s {
            PathStep::Key(k) => v.get(k.as_str()),
            PathStep::Index(i) => v.get(*i),
        }
        .ok_or_else(|| format!("{path} is not in the payload"))?;
    }
    if v.is_null() {
        return Err(format!("{path} has no value"));
    }
    Ok(v)
}

/// What one rule found in one payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// The condition holds; the value and what it was compared with.
    Active(Value, Value),
    /// The condition does not hold.
    Inactive(Value, Value),
    /// The value (or the one it is compared with) is missing: why.
    Unknown(String),
}

/// Evaluates one rule on a payload.
pub fn evaluate(rule: &Rule, payload: &Value) -> Finding {
    let value = match lookup(payload, &rule.metric) {
        Ok(v) => v,
        Err(why) => return Finding::Unknown(why),
    };
    let num = |v: &Value, what: &str| {
        v.as_f64()
            .ok_or_else(|| format!("{what} is not a number ({v})"))
    };
    let result = (|| -> Result<(bool, Value), String> {
        if let Some(w) = &rule.equals {
            let s = value
                .as_str()
                .ok_or_else(|| format!("{} is not a word ({value})", rule.metric))?;
            return Ok((s == w, Value::from(w.as_str())));
        }
        let x = num(value, &rule.metric)?;
        let (limit, above) = match (
            &rule.above,
            &rule.below,
            &rule.above_metric,
            &rule.below_metric,
        ) {
            (Some(a), ..) => (*a, true),
            (_, Some(b), ..) => (*b, false),
            (_, _, Some(p), _) => (num(lookup(payload, p)?, p)?, true),
            (_, _, _, Some(p)) => (num(lookup(payload, p)?, p)?, false),
            _ => return Err(format!("rule `{}` has no condition", rule.name)),
        };
        Ok((
            if above { x > limit } else { x < limit },
            Value::from(limit),
        ))
    })();
    match result {
        Ok((true, against)) => Finding::Active(value.clone(), against),
        Ok((false, against)) => Finding::Inactive(value.clone(), against),
        Err(why) => Finding::Unknown(why),
    }
}

/// One firing of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The index whose payload fired it (`NIFTY50`, `NIFTYBANK`, …).
    #[serde(default)]
    pub index: String,
    /// When it fired (the run's time, IST).
    pub at: DateTime<FixedOffset>,
    /// The payload's data time.
    pub data_as_of: DateTime<FixedOffset>,
    /// The rule's name.
    pub rule: String,
    /// The condition in words.
    pub condition: String,
    /// The metric's value.
    pub value: Value,
    /// What it was compared with.
    pub against: Value,
    /// `sent`, `not sent: no webhook configured`, or `failed: …`.
    pub delivery: String,
}

/// A rule's state between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleState {
    /// Whether the condition held at the last evaluation that could decide it.
    pub active: bool,
    /// When it last turned active.
    pub since: Option<DateTime<FixedOffset>>,
}

/// `alerts_state.json` and the recent events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    /// Per rule name.
    pub rules: BTreeMap<String, RuleState>,
    /// The newest events last, at most [`MAX_EVENTS`].
    pub events: Vec<Event>,
}

/// Applies every rule to a payload: updates `state` and returns the new events (not yet
/// delivered), with one status line per rule for the dashboard.
pub fn step(
    cfg: &AlertsConfig,
    state: &mut AlertState,
    payload: &Value,
    now: DateTime<FixedOffset>,
) -> (Vec<Event>, Vec<Value>) {
    let data_as_of = payload["meta"]["data_as_of"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or(now);
    let index = payload["market"]["symbol"].as_str().unwrap_or_default();
    let applies = |r: &Rule| r.index.as_deref().is_none_or(|i| i == index);
    let mut fired = Vec::new();
    let mut status = Vec::new();
    // Rules removed from the configuration (or not for this index) forget their state.
    state
        .rules
        .retain(|name, _| cfg.rules.iter().any(|r| &r.name == name && applies(r)));
    for rule in cfg.rules.iter().filter(|r| applies(r)) {
        let st = state.rules.entry(rule.name.clone()).or_default();
        let finding = evaluate(rule, payload);
        let (word, value, against, why) = match &finding {
            Finding::Active(v, a) => {
                if !st.active {
                    st.active = true;
                    st.since = Some(now);
                    fired.push(Event {
                        index: index.to_string(),
                        at: now,
                        data_as_of,
                        rule: rule.name.clone(),
                        condition: rule.describe(),
                        value: v.clone(),
                        against: a.clone(),
                        delivery: String::new(),
                    });
                }
                ("active", v.clone(), a.clone(), None)
            }
            Finding::Inactive(v, a) => {
                st.active = false;
                st.since = None;
                ("inactive", v.clone(), a.clone(), None)
            }
            Finding::Unknown(why) => ("unknown", Value::Null, Value::Null, Some(why.clone())),
        };
        status.push(json!({
            "rule": rule.name,
            "condition": rule.describe(),
            "state": word,
            "active_since": st.since,
            "value": value,
            "against": against,
            "reason": why,
        }));
    }
    (fired, status)
}

/// Sends one event to the webhook; `Err` names what failed.
pub fn deliver(url: &str, timeout: Duration, event: &Event) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let body = json!({ "source": "aegismatrix", "alert": event });
    let resp = agent
        .post(url)
        .header("content-type", "application/json")
        .send(body.to_string().as_bytes())
        .map_err(|e| format!("{e}"))?;
    let code = resp.status().as_u16();
    if (200..300).contains(&code) {
        Ok(())
    } else {
        Err(format!("the webhook answered HTTP {code}"))
    }
}

/// What [`after_run`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertsOutcome {
    /// The events fired by this run, with their delivery status.
    pub fired: Vec<Event>,
}

/// After a successful run: loads the state beside the payload, evaluates the rules, delivers
/// the new events, and writes the state and `alerts.json` atomically.
pub fn after_run(
    cfg: &AlertsConfig,
    out_dir: &Path,
    payload: &Value,
    now: DateTime<FixedOffset>,
) -> Result<AlertsOutcome> {
    let state_path = out_dir.join(STATE_FILE);
    let mut state: AlertState = match std::fs::read(&state_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a valid alert state; delete it to start afresh (every active rule fires again)",
                state_path.display()
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => AlertState::default(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", state_path.display())),
    };
    let (mut fired, status) = step(cfg, &mut state, payload, now);
    for e in &mut fired {
        e.delivery = if cfg.webhook.is_empty() {
            "not sent: no webhook configured (alerts.webhook)".into()
        } else {
            match deliver(
                &cfg.webhook,
                Duration::from_secs(cfg.timeout_secs.max(1)),
                e,
            ) {
                Ok(()) => "sent".into(),
                Err(why) => {
                    tracing::warn!(rule = %e.rule, "alert webhook failed: {why}");
                    format!("failed: {why}")
                }
            }
        };
    }
    state.events.extend(fired.iter().cloned());
    let excess = state.events.len().saturating_sub(MAX_EVENTS);
    state.events.drain(..excess);
    let doc = json!({
        "generated_at": now,
        "webhook": !cfg.webhook.is_empty(),
        "rules": status,
        "events": state.events.iter().rev().collect::<Vec<_>>(),
    });
    let write = |name: &str, text: String| -> Result<()> {
        let path = out_dir.join(name);
        aegis_payload::write_file_atomic(&path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))
    };
    let pretty = |v: Value| serde_json::to_string_pretty(&v).expect("JSON values serialise");
    write(
        STATE_FILE,
        pretty(serde_json::to_value(&state).context("serialising the alert state")?),
    )?;
    write(ALERTS_FILE, pretty(doc))?;
    Ok(AlertsOutcome { fired })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;

    fn payload() -> Value {
        serde_json::from_str(include_str!("../../dashboard/tests/fixtures/payload.json")).unwrap()
    }

    fn t(h: u32) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(&format!("2025-11-28T{h:02}:00:00+05:30")).unwrap()
    }

    fn only(rule: Rule) -> AlertsConfig {
        AlertsConfig {
            rules: vec![rule],
            ..AlertsConfig::default()
        }
    }

    fn vix_rule() -> Rule {
        AlertsConfig::default().rules[3].clone()
    }

    #[test]
    fn paths_reach_into_arrays_and_bad_paths_are_refused() {
        let p = payload();
        let upper = lookup(&p, "seller.expiries[0].safe_range.upper").unwrap();
        assert_eq!(upper, &p["seller"]["expiries"][0]["safe_range"]["upper"]);
        assert!(lookup(&p, "seller.expiries[99].safe_range.upper").is_err());
        assert!(parse_metric_path("a..b").is_err());
        assert!(parse_metric_path("a[x]").is_err());
        assert!(parse_metric_path("a[1").is_err());
        assert_eq!(
            parse_metric_path("a.b[2][3].c").unwrap(),
            vec![
                PathStep::Key("a".into()),
                PathStep::Key("b".into()),
                PathStep::Index(2),
                PathStep::Index(3),
                PathStep::Key("c".into())
            ]
        );
        assert!(validate_alerts(&AlertsConfig::default()).is_ok());
        let mut two = AlertsConfig::default();
        two.rules[0].above = Some(1.0);
        assert!(format!("{:#}", validate_alerts(&two).unwrap_err()).contains("2 conditions"));
        let mut dup = AlertsConfig::default();
        dup.rules[1].name = dup.rules[0].name.clone();
        assert!(validate_alerts(&dup).is_err());
    }

    #[test]
    fn fires_once_per_crossing_and_rearms_after_the_condition_clears() {
        let cfg = only(vix_rule());
        let mut state = AlertState::default();
        let mut p = payload();
        let mut fire = |pct: f64, h: u32, state: &mut AlertState| {
            p["market"]["vix"]["change_pct"] = Value::from(pct);
            step(&cfg, state, &p, t(h)).0.len()
        };
        assert_eq!(fire(12.0, 9, &mut state), 1, "turns active: fires");
        assert_eq!(fire(15.0, 10, &mut state), 0, "still active: silent");
        assert_eq!(fire(4.0, 11, &mut state), 0, "clears: silent, re-armed");
        assert!(!state.rules["India VIX up more than 10% on the day"].active);
        assert_eq!(fire(10.5, 12, &mut state), 1, "crosses again: fires again");
        assert_eq!(fire(10.0, 13, &mut state), 0, "10 is not above 10");
    }

    #[test]
    fn an_unavailable_metric_neither_fires_nor_clears() {
        let cfg = only(vix_rule());
        let mut state = AlertState::default();
        let mut p = payload();
        p["market"]["vix"]["change_pct"] = Value::from(12.0);
        assert_eq!(step(&cfg, &mut state, &p, t(9)).0.len(), 1);
        let mut gone = p.clone();
        gone["market"]["vix"]["provenance"]["status"] = Value::from("unavailable");
        gone["market"]["vix"]["provenance"]["reason"] = Value::from("no VIX bar");
        let (fired, status) = step(&cfg, &mut state, &gone, t(10));
        assert!(fired.is_empty());
        assert_eq!(status[0]["state"], "unknown");
        assert!(status[0]["reason"].as_str().unwrap().contains("no VIX bar"));
        assert!(state.rules["India VIX up more than 10% on the day"].active);
        // Back, still above: no second alert for the same crossing.
        assert!(step(&cfg, &mut state, &p, t(11)).0.is_empty());
    }

    #[test]
    fn spot_against_the_safe_range_and_the_flag_word() {
        let cfg = AlertsConfig::default();
        let mut state = AlertState::default();
        let mut p = payload();
        let upper = p["seller"]["expiries"][0]["safe_range"]["upper"]
            .as_f64()
            .unwrap();
        p["market"]["spot"]["value"] = Value::from(upper + 1.0);
        p["seller"]["flag"]["flag"] = Value::from("HOSTILE");
        p["market"]["vix"]["change_pct"] = Value::from(0.0);
        let (fired, _) = step(&cfg, &mut state, &p, t(9));
        let names: Vec<&str> = fired.iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(names, ["seller flag HOSTILE", "spot above the safe range"]);
        assert_eq!(fired[1].against, Value::from(upper));
    }

    #[test]
    fn a_rule_for_one_index_ignores_the_others_and_events_name_their_index() {
        let mut rule = vix_rule();
        rule.index = Some("NIFTYBANK".into());
        let every = Rule {
            name: "any index".into(),
            ..vix_rule()
        };
        let cfg = AlertsConfig {
            rules: vec![rule, every],
            ..AlertsConfig::default()
        };
        let mut p = payload();
        p["market"]["vix"]["change_pct"] = Value::from(12.0);
        let mut bank = p.clone();
        bank["market"]["symbol"] = Value::from("NIFTYBANK");
        p["market"]["symbol"] = Value::from("NIFTY50");
        let (mut nifty_state, mut bank_state) = (AlertState::default(), AlertState::default());
        let (fired, status) = step(&cfg, &mut nifty_state, &p, t(9));
        assert_eq!(fired.len(), 1, "only the rule for every index");
        assert_eq!(fired[0].rule, "any index");
        assert_eq!(fired[0].index, "NIFTY50");
        assert_eq!(status.len(), 1);
        let (fired, _) = step(&cfg, &mut bank_state, &bank, t(9));
        assert_eq!(fired.len(), 2);
        assert!(fired.iter().all(|e| e.index == "NIFTYBANK"));
        let mut bad = cfg;
        bad.rules[0].index = Some("SENSEX".into());
        assert!(format!("{:#}", validate_alerts(&bad).unwrap_err()).contains("SENSEX"));
    }

    /// A webhook receiver on loopback: answers `status` and sends each request body back.
    fn receiver(status: u16) -> (String, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let _ = tx.send(String::from_utf8(body).unwrap());
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        (url, rx)
    }

    #[test]
    fn webhook_receives_each_crossing_once_and_the_files_are_written() {
        let (url, rx) = receiver(200);
        let cfg = AlertsConfig {
            webhook: url,
            ..only(vix_rule())
        };
        let dir = tempfile::tempdir().unwrap();
        let mut p = payload();
        p["market"]["vix"]["change_pct"] = Value::from(11.5);
        let out = after_run(&cfg, dir.path(), &p, t(9)).unwrap();
        assert_eq!(out.fired.len(), 1);
        assert_eq!(out.fired[0].delivery, "sent");
        let body: Value =
            serde_json::from_str(&rx.recv_timeout(Duration::from_secs(5)).unwrap()).unwrap();
        assert_eq!(
            body["alert"]["rule"],
            "India VIX up more than 10% on the day"
        );
        assert_eq!(body["alert"]["value"], 11.5);
        // Same crossing, a new process reading the state file: nothing sent.
        assert!(
            after_run(&cfg, dir.path(), &p, t(10))
                .unwrap()
                .fired
                .is_empty()
        );
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        let doc: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(ALERTS_FILE)).unwrap()).unwrap();
        assert_eq!(doc["events"].as_array().unwrap().len(), 1);
        assert_eq!(doc["rules"][0]["state"], "active");
    }

    #[test]
    fn a_failing_webhook_is_recorded_and_does_not_fail_the_run() {
        let (url, _rx) = receiver(500);
        let cfg = AlertsConfig {
            webhook: url,
            ..only(vix_rule())
        };
        let dir = tempfile::tempdir().unwrap();
        let mut p = payload();
        p["market"]["vix"]["change_pct"] = Value::from(20.0);
        let out = after_run(&cfg, dir.path(), &p, t(9)).unwrap();
        assert_eq!(
            out.fired[0].delivery,
            "failed: the webhook answered HTTP 500"
        );
        // A corrupt state file is an error that names the file and the fix.
        std::fs::write(dir.path().join(STATE_FILE), "{").unwrap();
        let e = format!("{:#}", after_run(&cfg, dir.path(), &p, t(10)).unwrap_err());
        assert!(e.contains(STATE_FILE) && e.contains("delete it"), "{e}");
    }
}
