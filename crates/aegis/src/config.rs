//! Configuration: a TOML file with environment overrides and defaults that work.
//!
//! Precedence, lowest first: built-in defaults, the TOML file (`--config`, default
//! `aegis.toml` if present), then environment variables `AEGIS_<SECTION>__<KEY>`
//! (double underscore between levels, e.g. `AEGIS_ENGINE__CONFIDENCE=0.95`,
//! `AEGIS_SERVE__BIND=0.0.0.0:8080`). Environment values are parsed as TOML scalars
//! (numbers, booleans) and otherwise taken as strings.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where data, models and payloads live.
    pub paths: PathsConfig,
    /// Yahoo Finance client.
    pub yahoo: YahooConfig,
    /// NSE option-chain client.
    pub nse: NseConfig,
    /// Engine parameters.
    pub engine: EngineConfig,
    /// The dashboard server and its scheduler.
    pub serve: ServeConfig,
}

/// File locations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PathsConfig {
    /// The SQLite store.
    pub store: PathBuf,
    /// Directory of model files.
    pub models: PathBuf,
    /// Directory the payload (`aegismatrix.json`) and its schema are written to.
    pub out: PathBuf,
}

/// Yahoo Finance chart-API settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct YahooConfig {
    /// Base URL of the chart API.
    pub base_url: String,
    /// Per-request timeout in seconds.
    pub timeout_secs: u64,
    /// Attempts per request (retries on 429, 5xx and timeouts).
    pub attempts: u32,
}

/// NSE option-chain settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NseConfig {
    /// Base URL of the NSE site.
    pub base_url: String,
    /// Per-request timeout in seconds.
    pub timeout_secs: u64,
    /// Attempts per request.
    pub attempts: u32,
    /// Minimum seconds between chain fetches (NSE refreshes about every 3 minutes).
    pub min_poll_secs: u64,
}

/// Engine parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Confidence of the safe short range (0.90 = 5 % touch probability each side).
    pub confidence: f64,
    /// Market data older than this many minutes (during a session) is `stale`.
    pub stale_after_minutes: i64,
    /// How many expiries the sellers' view covers.
    pub seller_expiries: usize,
}

/// Server and scheduler settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to bind; loopback by default.
    pub bind: String,
    /// Minutes between fetch-and-run cycles during NSE sessions.
    pub refresh_minutes: u64,
    /// Days between retrains after the close.
    pub retrain_days: u64,
}

impl Default for PathsConfig {
    fn default() -> Self {
        PathsConfig {
            store: PathBuf::from("aegis-data/aegis.db"),
            models: PathBuf::from("aegis-data/models"),
            out: PathBuf::from("aegis-data/out"),
        }
    }
}

impl Default for YahooConfig {
    fn default() -> Self {
        YahooConfig {
            base_url: "https://query1.finance.yahoo.com".into(),
            timeout_secs: 15,
            attempts: 4,
        }
    }
}

impl Default for NseConfig {
    fn default() -> Self {
        NseConfig {
            base_url: "https://www.nseindia.com".into(),
            timeout_secs: 15,
            attempts: 3,
            min_poll_secs: 180,
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            confidence: 0.90,
            stale_after_minutes: 30,
            seller_expiries: 3,
        }
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            bind: "127.0.0.1:8080".into(),
            refresh_minutes: 5,
            retrain_days: 7,
        }
    }
}

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "aegis.toml";

impl Config {
    /// Loads defaults, then `path` (or `aegis.toml` if present), then `AEGIS_*` variables from `env`.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config> {
        let mut doc = toml::Table::try_from(Config::default()).context("serialising defaults")?;
        let file = match path {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        if let Some(file) = file {
            let text = std::fs::read_to_string(&file).with_context(|| {
                format!(
                    "cannot read config file {}: check the path given to --config",
                    file.display()
                )
            })?;
            let user: toml::Table = toml::from_str(&text)
                .with_context(|| format!("config file {} is not valid TOML", file.display()))?;
            merge(&mut doc, user);
        }
        for (key, value) in env {
            let Some(rest) = key.strip_prefix("AEGIS_") else {
                continue;
            };
            let parts: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
            if parts.len() != 2 {
                // AEGIS_LOG and friends are not configuration keys.
                continue;
            }
            set_path(&mut doc, &parts, &value)
                .with_context(|| format!("environment variable {key}"))?;
        }
        let cfg: Config = doc
            .try_into()
            .context("invalid configuration (file or AEGIS_* environment variables)")?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Checks ranges that the types alone cannot.
    pub fn check(&self) -> Result<()> {
        let c = self.engine.confidence;
        if !(0.5..1.0).contains(&c) {
            bail!("engine.confidence must be in [0.5, 1), got {c}");
        }
        if self.nse.min_poll_secs < 180 {
            bail!(
                "nse.min_poll_secs is {}: NSE refreshes chains about every 3 minutes, so it must be at least 180",
                self.nse.min_poll_secs
            );
        }
        if self.serve.refresh_minutes == 0 {
            bail!("serve.refresh_minutes must be at least 1");
        }
        if self.engine.seller_expiries == 0 {
            bail!("engine.seller_expiries must be at least 1");
        }
        Ok(())
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn set_path(doc: &mut toml::Table, parts: &[String], raw: &str) -> Result<()> {
    let (section, key) = (&parts[0], &parts[1]);
    let Some(toml::Value::Table(table)) = doc.get_mut(section.as_str()) else {
        bail!("unknown configuration section `{section}`");
    };
    let Some(old) = table.get(key.as_str()) else {
        bail!("unknown configuration key `{section}.{key}`");
    };
    let value = match old {
        toml::Value::String(_) => toml::Value::String(raw.to_string()),
        toml::Value::Integer(_) => toml::Value::Integer(
            raw.trim()
                .parse()
                .with_context(|| format!("`{raw}` is not an integer"))?,
        ),
        toml::Value::Float(_) => toml::Value::Float(
            raw.trim()
                .parse()
                .with_context(|| format!("`{raw}` is not a number"))?,
        ),
        toml::Value::Boolean(_) => toml::Value::Boolean(
            raw.trim()
                .parse()
                .with_context(|| format!("`{raw}` is not true or false"))?,
        ),
        other => bail!(
            "`{section}.{key}` ({}) cannot be set from the environment",
            other.type_str()
        ),
    };
    table.insert(key.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_work_without_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.toml");
        assert!(
            Config::load(Some(&missing), vec![]).is_err(),
            "an explicit missing file is an error"
        );
        let cfg = Config::load(None, vec![]).unwrap();
        assert_eq!(cfg.serve.bind, "127.0.0.1:8080");
        assert_eq!(cfg.engine.confidence, 0.90);
    }

    #[test]
    fn file_then_environment_override() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.toml");
        std::fs::write(
            &f,
            "[engine]\nconfidence = 0.8\n[serve]\nrefresh_minutes = 10\n",
        )
        .unwrap();
        let cfg = Config::load(
            Some(&f),
            env(&[
                ("AEGIS_ENGINE__CONFIDENCE", "0.95"),
                ("AEGIS_LOG", "debug"),
                ("HOME", "/x"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.engine.confidence, 0.95);
        assert_eq!(cfg.serve.refresh_minutes, 10);
        assert_eq!(cfg.serve.bind, "127.0.0.1:8080");
    }

    #[test]
    fn bad_values_are_named() {
        let e = Config::load(None, env(&[("AEGIS_ENGINE__CONFIDENCE", "high")])).unwrap_err();
        assert!(
            format!("{e:#}").contains("AEGIS_ENGINE__CONFIDENCE"),
            "{e:#}"
        );
        let e = Config::load(None, env(&[("AEGIS_ENGINE__NOPE", "1")])).unwrap_err();
        assert!(format!("{e:#}").contains("engine.nope"), "{e:#}");
        let e = Config::load(None, env(&[("AEGIS_NSE__MIN_POLL_SECS", "60")])).unwrap_err();
        assert!(format!("{e:#}").contains("180"), "{e:#}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b.toml");
        std::fs::write(&f, "[engine]\nconfidense = 0.8\n").unwrap();
        let e = Config::load(Some(&f), vec![]).unwrap_err();
        assert!(format!("{e:#}").contains("confidense"), "{e:#}");
    }
}
