//! Layered configuration: defaults → config file → `RELAIS_*` environment → flags.
//! Flags and environment come through clap (a flag wins over its variable); what neither
//! gives is taken from the file, then from the defaults. `RELAIS_ATTACHMENT_MAX_BYTES` has
//! no flag and is read here.
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const DEFAULT_DATABASE: &str = "sqlite://relais.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const ATTACHMENT_MAX_BYTES_VAR: &str = "RELAIS_ATTACHMENT_MAX_BYTES";
/// An attachment is held in memory while it is checked and is stored in one row.
pub const ATTACHMENT_MAX_BYTES_CEILING: u64 = 512 * 1024 * 1024;

/// What a config file may hold (TOML).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database: Option<String>,
    pub listen: Option<String>,
    pub secure_cookies: Option<bool>,
    /// The largest attachment accepted, in bytes (default 10 MiB).
    pub attachment_max_bytes: Option<u64>,
    /// For how many days a finished import can be undone (default 30).
    pub import_undo_days: Option<u32>,
}

#[derive(Clone)]
pub struct Config {
    pub database: String,
    pub listen: String,
    pub secure_cookies: bool,
    pub attachment_max_bytes: u64,
    pub import_undo_days: u32,
}

impl std::fmt::Debug for Config {
    /// The database URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database", &redact(&self.database))
            .field("listen", &self.listen)
            .field("secure_cookies", &self.secure_cookies)
            .field("attachment_max_bytes", &self.attachment_max_bytes)
            .field("import_undo_days", &self.import_undo_days)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let (Some(scheme), Some(creds), Some(host)) =
                (url.get(..s + 3), url.get(s + 3..at), url.get(at..))
            else {
                return url.to_string();
            };
            match creds.split_once(':') {
                Some((user, _)) => format!("{scheme}{user}:***{host}"),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn read_file(path: Option<&Path>) -> Result<FileConfig> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("relais.toml"), false),
    };
    if !path.exists() {
        if required {
            bail!("config file {} does not exist", path.display());
        }
        return Ok(FileConfig::default());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("{} is not a valid Relais config", path.display()))
}

pub fn resolve(
    file: &FileConfig,
    database: Option<String>,
    listen: Option<String>,
) -> Result<Config> {
    let database = database
        .or_else(|| file.database.clone())
        .unwrap_or_else(|| DEFAULT_DATABASE.to_string());
    let listen = listen
        .or_else(|| file.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    if listen.parse::<std::net::SocketAddr>().is_err() {
        bail!("--listen {listen} is not an address such as 127.0.0.1:8080");
    }
    let env = std::env::var(ATTACHMENT_MAX_BYTES_VAR).ok();
    Ok(Config {
        database,
        listen,
        secure_cookies: file.secure_cookies.unwrap_or(false),
        attachment_max_bytes: attachment_max_bytes(env.as_deref(), file.attachment_max_bytes)?,
        import_undo_days: match file.import_undo_days {
            Some(d) if !(1..=3650).contains(&d) => {
                bail!("import_undo_days must be between 1 and 3650, not {d}")
            }
            Some(d) => d,
            None => 30,
        },
    })
}

/// The attachment limit: the environment, else the file, else 10 MiB; at least one byte,
/// at most [`ATTACHMENT_MAX_BYTES_CEILING`].
fn attachment_max_bytes(env: Option<&str>, file: Option<u64>) -> Result<u64> {
    let n = match env.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => v
            .parse::<u64>()
            .with_context(|| format!("{ATTACHMENT_MAX_BYTES_VAR}={v} is not a number of bytes"))?,
        None => file.unwrap_or(relais_domain::attachment::DEFAULT_MAX_BYTES),
    };
    if n == 0 || n > ATTACHMENT_MAX_BYTES_CEILING {
        bail!(
            "attachment_max_bytes must be between 1 and {ATTACHMENT_MAX_BYTES_CEILING} (512 MiB), not {n}"
        );
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let file = FileConfig {
            database: Some("sqlite://file.db".into()),
            listen: None,
            secure_cookies: Some(true),
            attachment_max_bytes: None,
            import_undo_days: None,
        };
        let c = resolve(&file, None, None).unwrap();
        assert_eq!(
            (c.database.as_str(), c.listen.as_str(), c.secure_cookies),
            ("sqlite://file.db", DEFAULT_LISTEN, true)
        );
        let c = resolve(
            &file,
            Some("postgres://x".into()),
            Some("0.0.0.0:9000".into()),
        )
        .unwrap();
        assert_eq!(
            (c.database.as_str(), c.listen.as_str()),
            ("postgres://x", "0.0.0.0:9000")
        );
        assert!(resolve(&file, None, Some("nowhere".into())).is_err());
    }

    #[test]
    fn the_attachment_limit_comes_from_the_environment_then_the_file() {
        assert_eq!(attachment_max_bytes(None, None).unwrap(), 10 * 1024 * 1024);
        assert_eq!(attachment_max_bytes(None, Some(4096)).unwrap(), 4096);
        assert_eq!(
            attachment_max_bytes(Some("2048"), Some(4096)).unwrap(),
            2048
        );
        assert_eq!(attachment_max_bytes(Some(" "), Some(4096)).unwrap(), 4096);
        assert!(attachment_max_bytes(Some("10MB"), None).is_err());
        assert!(attachment_max_bytes(None, Some(0)).is_err());
        assert!(attachment_max_bytes(Some("1073741824"), None).is_err());
        let file: FileConfig = toml::from_str("attachment_max_bytes = 1048576").unwrap();
        assert_eq!(file.attachment_max_bytes, Some(1048576));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/crm"),
            "postgres://app:***@db:5432/crm"
        );
        assert_eq!(redact("sqlite://relais.db"), "sqlite://relais.db");
    }
}
