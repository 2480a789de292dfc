//! Layered configuration with the `config` crate: the built-in `config/default.toml`, then the optional files
//! `<dir>/default.toml` and `<dir>/local.toml`, then `DRILLBOT__SECTION__KEY` environment variables.
//! Raw values are parsed once here; an invalid one stops start-up with a message naming the setting.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

pub use crate::adapters::discord::{DiscordOptions, Shards};
pub use crate::adapters::telegram::TelegramWebhook;
use crate::command::parse_time;
use crate::delivery::Pacing;
pub use crate::vocab::{ChatDefaults, Limits};
use crate::vocab::{Lang, Weekdays};

/// The built-in defaults (the same file as `config/default.toml`).
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// A setting that cannot be used, named.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The layers could not be read or merged.
    #[error("cannot read configuration: {0}")]
    Load(#[from] config::ConfigError),
    /// A value is out of range or malformed.
    #[error("invalid setting {key}: {message}")]
    Invalid {
        /// Dotted key, e.g. `chat.timezone`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    database: RawDatabase,
    bank: RawBank,
    chat: RawChat,
    limits: Limits,
    telegram: RawPlatform,
    discord: RawPlatform,
    log: RawLog,
    #[serde(default)]
    http: RawHttp,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    #[serde(default)]
    listen: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    path: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBank {
    bundled: bool,
    dirs: Vec<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChat {
    post_time: String,
    reveal_time: String,
    timezone: String,
    language: String,
    topics: Vec<String>,
    /// Read as a number so that `1.5` is refused rather than rounded.
    min_difficulty: f64,
    max_difficulty: f64,
    show_answers: bool,
    post_days: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlatform {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    token_file: String,
    #[serde(default)]
    api_url: String,
    #[serde(default)]
    webhook_url: String,
    #[serde(default)]
    webhook_listen: String,
    #[serde(default)]
    dev_guild_id: String,
    #[serde(default)]
    shards: String,
    per_second: u32,
    per_chat: u32,
    chat_window_secs: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    level: String,
    #[serde(default = "text_format")]
    format: String,
}

fn text_format() -> String {
    "text".into()
}

/// A secret (a bot token): never printed, not even by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// One platform's connection and pacing.
#[derive(Debug, Clone)]
pub struct PlatformSettings {
    /// The bot token, if configured (the adapter is off without one).
    pub token: Option<Secret>,
    /// Another API server, if configured.
    pub api_url: Option<url::Url>,
    /// Delivery limits.
    pub pacing: Pacing,
}

fn telegram_webhook(raw: &RawPlatform) -> Result<Option<TelegramWebhook>, SettingsError> {
    let url = raw.webhook_url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let url: url::Url = url
        .parse()
        .ok()
        .filter(|u: &url::Url| u.scheme() == "https")
        .ok_or_else(|| SettingsError::Invalid {
            key: "telegram.webhook_url",
            message: format!(
                "\"{url}\" is not an https:// URL (Telegram posts updates only over HTTPS)"
            ),
        })?;
    let listen = match raw.webhook_listen.trim() {
        "" => "0.0.0.0:8443",
        l => l,
    };
    let listen = listen.parse().map_err(|_| SettingsError::Invalid {
        key: "telegram.webhook_listen",
        message: format!("\"{listen}\" is not an address to listen on, e.g. 0.0.0.0:8443"),
    })?;
    Ok(Some(TelegramWebhook { url, listen }))
}

fn discord_options(raw: &RawPlatform) -> Result<DiscordOptions, SettingsError> {
    let guild = raw.dev_guild_id.trim();
    let dev_guild_id = if guild.is_empty() {
        None
    } else {
        Some(
            guild
                .parse::<u64>()
                .ok()
                .filter(|g| *g > 0)
                .ok_or_else(|| SettingsError::Invalid {
                    key: "discord.dev_guild_id",
                    message: format!("\"{guild}\" is not a Discord server id (a number)"),
                })?,
        )
    };
    let shards = match raw.shards.trim() {
        "" => Shards::Fixed(1),
        s if s.eq_ignore_ascii_case("auto") => Shards::Auto,
        s => Shards::Fixed(
            s.parse::<u32>()
                .ok()
                .filter(|n| (1..=1024).contains(n))
                .ok_or_else(|| SettingsError::Invalid {
                    key: "discord.shards",
                    message: format!("\"{s}\" is neither \"auto\" nor a number of shards (1-1024)"),
                })?,
        ),
    };
    Ok(DiscordOptions {
        dev_guild_id,
        shards,
        ack_within: crate::adapters::discord::interactions::ACK_WITHIN,
    })
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// SQLite file.
    pub database_path: PathBuf,
    /// Use the built-in bank.
    pub bank_bundled: bool,
    /// Extra bank directories.
    pub bank_dirs: Vec<PathBuf>,
    /// Chat defaults.
    pub chat: ChatDefaults,
    /// Input limits.
    pub limits: Limits,
    /// Telegram.
    pub telegram: PlatformSettings,
    /// Discord.
    pub discord: PlatformSettings,
    /// Discord-only options.
    pub discord_options: DiscordOptions,
    /// Telegram webhook mode instead of long polling, if configured.
    pub telegram_webhook: Option<TelegramWebhook>,
    /// tracing filter.
    pub log_level: String,
    /// Logs as one JSON object per line instead of text.
    pub log_json: bool,
    /// Where to serve `/healthz` and `/metrics` (off when `None`).
    pub http_listen: Option<std::net::SocketAddr>,
}

fn platform(raw: &RawPlatform, section: &'static str) -> Result<PlatformSettings, SettingsError> {
    let key = |name: &'static str| -> &'static str {
        match (section, name) {
            ("telegram", "token_file") => "telegram.token_file",
            ("telegram", "api_url") => "telegram.api_url",
            ("telegram", "per_second") => "telegram.per_second",
            ("telegram", "per_chat") => "telegram.per_chat",
            ("telegram", _) => "telegram.chat_window_secs",
            ("discord", "token_file") => "discord.token_file",
            ("discord", "api_url") => "discord.api_url",
            ("discord", "per_second") => "discord.per_second",
            ("discord", "per_chat") => "discord.per_chat",
            _ => "discord.chat_window_secs",
        }
    };
    let token = match raw
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(t) => Some(Secret(t.to_string())),
        None if !raw.token_file.trim().is_empty() => {
            let path = raw.token_file.trim();
            let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Invalid {
                key: key("token_file"),
                message: format!("cannot read {path}: {e}"),
            })?;
            let t = text.trim();
            if t.is_empty() {
                return Err(SettingsError::Invalid {
                    key: key("token_file"),
                    message: format!("{path} is empty"),
                });
            }
            Some(Secret(t.to_string()))
        }
        None => None,
    };
    let api_url = match raw.api_url.trim() {
        "" => None,
        u => Some(url::Url::parse(u).map_err(|e| SettingsError::Invalid {
            key: key("api_url"),
            message: format!("\"{u}\" is not a URL: {e}"),
        })?),
    };
    for (name, value) in [
        ("per_second", raw.per_second as u64),
        ("per_chat", raw.per_chat as u64),
        ("chat_window_secs", raw.chat_window_secs),
    ] {
        if value == 0 {
            return Err(SettingsError::Invalid {
                key: key(name),
                message: "must be at least 1".into(),
            });
        }
    }
    Ok(PlatformSettings {
        token,
        api_url,
        pacing: Pacing {
            per_second: raw.per_second,
            per_chat: raw.per_chat,
            chat_window: std::time::Duration::from_secs(raw.chat_window_secs),
        },
    })
}

/// Loads settings from the layers, with `config_dir` holding the optional files.
pub fn load(config_dir: &Path) -> Result<Settings, SettingsError> {
    let cfg = config::Config::builder()
        .add_source(config::File::from_str(
            DEFAULT_TOML,
            config::FileFormat::Toml,
        ))
        .add_source(config::File::from(config_dir.join("default.toml")).required(false))
        .add_source(config::File::from(config_dir.join("local.toml")).required(false))
        .add_source(
            config::Environment::with_prefix("DRILLBOT")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("bank.dirs")
                .with_list_parse_key("chat.topics")
                .try_parsing(true),
        )
        .build()?;
    validate(cfg.try_deserialize()?)
}

fn validate(raw: Raw) -> Result<Settings, SettingsError> {
    let invalid = |key, message: String| SettingsError::Invalid { key, message };
    let time = |key, s: &str| {
        parse_time(s).map_err(|_| invalid(key, format!("\"{s}\" is not a time of day HH:MM")))
    };
    let chat = &raw.chat;
    let post_time = time("chat.post_time", &chat.post_time)?;
    let reveal_time = time("chat.reveal_time", &chat.reveal_time)?;
    if post_time == reveal_time {
        return Err(invalid(
            "chat.reveal_time",
            "must differ from chat.post_time".into(),
        ));
    }
    let timezone: Tz = chat.timezone.parse().map_err(|_| {
        invalid(
            "chat.timezone",
            format!(
                "\"{}\" is not an IANA time zone (e.g. Asia/Shanghai)",
                chat.timezone
            ),
        )
    })?;
    let language = Lang::parse(&chat.language).ok_or_else(|| {
        invalid(
            "chat.language",
            format!("\"{}\" is not zh or en", chat.language),
        )
    })?;
    let difficulty = |key, v: f64| -> Result<u8, SettingsError> {
        if v.fract() == 0.0 && (1.0..=3.0).contains(&v) {
            Ok(v as u8)
        } else {
            Err(invalid(
                key,
                format!("{v} is not a whole number from 1 to 3"),
            ))
        }
    };
    let lo = difficulty("chat.min_difficulty", chat.min_difficulty)?;
    let hi = difficulty("chat.max_difficulty", chat.max_difficulty)?;
    if lo > hi {
        return Err(invalid(
            "chat.min_difficulty",
            format!("difficulty range {lo}-{hi} must have min <= max"),
        ));
    }
    let post_days = Weekdays::parse(&chat.post_days).ok_or_else(|| {
        invalid(
            "chat.post_days",
            format!(
                "\"{}\" is not a set of days (all, weekdays, mon-fri, mon,wed,fri)",
                chat.post_days
            ),
        )
    })?;
    if raw.limits.max_answer_chars == 0 || raw.limits.max_answer_chars > 100_000 {
        return Err(invalid(
            "limits.max_answer_chars",
            "must be between 1 and 100000".into(),
        ));
    }
    if raw.limits.min_answer_chars >= raw.limits.max_answer_chars {
        return Err(invalid(
            "limits.min_answer_chars",
            "must be below limits.max_answer_chars".into(),
        ));
    }
    if raw.database.path.as_os_str().is_empty() {
        return Err(invalid("database.path", "must not be empty".into()));
    }
    Ok(Settings {
        database_path: raw.database.path,
        bank_bundled: raw.bank.bundled,
        bank_dirs: raw.bank.dirs,
        chat: ChatDefaults {
            post_time,
            reveal_time,
            timezone,
            language,
            topics: chat
                .topics
                .iter()
                .map(|t| t.trim().to_lowercase())
                .filter(|t| !t.is_empty())
                .collect(),
            difficulty: (lo, hi),
            show_answers: chat.show_answers,
            post_days,
        },
        limits: raw.limits,
        telegram: platform(&raw.telegram, "telegram")?,
        discord: platform(&raw.discord, "discord")?,
        discord_options: discord_options(&raw.discord)?,
        telegram_webhook: telegram_webhook(&raw.telegram)?,
        log_json: match raw.log.format.as_str() {
            "text" => false,
            "json" => true,
            other => {
                return Err(invalid(
                    "log.format",
                    format!("\"{other}\" is not a log format: use \"text\" or \"json\""),
                ));
            }
        },
        log_level: raw.log.level,
        http_listen: match raw.http.listen.trim() {
            "" => None,
            l => Some(l.parse().map_err(|_| {
                invalid(
                    "http.listen",
                    format!("\"{l}\" is not an address to listen on, e.g. 127.0.0.1:9184"),
                )
            })?),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_are_valid() {
        let dir = tempfile::tempdir().unwrap();
        let s = load(dir.path()).unwrap();
        assert_eq!(s.chat.timezone, chrono_tz::Asia::Shanghai);
        assert_eq!(s.limits.max_answer_chars, 4000);
    }

    #[test]
    fn a_bad_local_file_names_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("local.toml"),
            "[chat]\ntimezone = \"Mars/Base\"\n",
        )
        .unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("chat.timezone"), "{err}");
        assert!(err.contains("Mars/Base"), "{err}");
    }

    #[test]
    fn misspelt_keys_fractions_and_zero_pacing_name_their_setting() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("local.toml");
        let cases = [
            ("[chat]\ntimezome = \"Europe/Berlin\"\n", "timezome"),
            ("[chta]\ntimezone = \"Europe/Berlin\"\n", "chta"),
            ("[chat]\nmin_difficulty = 1.5\n", "chat.min_difficulty"),
            ("[chat]\nmax_difficulty = 4\n", "chat.max_difficulty"),
            (
                "[discord]\nchat_window_secs = 0\n",
                "discord.chat_window_secs",
            ),
            ("[telegram]\nper_chat = 0\n", "telegram.per_chat"),
        ];
        for (text, key) in cases {
            std::fs::write(&local, text).unwrap();
            let err = load(dir.path()).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
        std::fs::write(&local, "[chat]\nmin_difficulty = 2\n").unwrap();
        assert_eq!(load(dir.path()).unwrap().chat.difficulty, (2, 3));
    }

    #[test]
    fn platform_options_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        let defaults = load(dir.path()).unwrap();
        assert_eq!(defaults.telegram_webhook, None, "long polling by default");
        assert_eq!(defaults.discord_options.shards, Shards::Fixed(1));
        let local = dir.path().join("local.toml");
        let cases = [
            (
                "[telegram]\nwebhook_url = \"http://bot.example/hook\"\n",
                "telegram.webhook_url",
            ),
            (
                "[telegram]\nwebhook_url = \"https://bot.example/hook\"\nwebhook_listen = \"nowhere\"\n",
                "telegram.webhook_listen",
            ),
            ("[discord]\nshards = \"many\"\n", "discord.shards"),
            (
                "[discord]\ndev_guild_id = \"my-server\"\n",
                "discord.dev_guild_id",
            ),
        ];
        for (text, key) in cases {
            std::fs::write(&local, text).unwrap();
            let err = load(dir.path()).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
        std::fs::write(
            &local,
            "[telegram]\nwebhook_url = \"https://bot.example/hook\"\n[discord]\nshards = \"auto\"\ndev_guild_id = \"42\"\n",
        )
        .unwrap();
        let s = load(dir.path()).unwrap();
        let hook = s.telegram_webhook.unwrap();
        assert_eq!(hook.url.as_str(), "https://bot.example/hook");
        assert_eq!(hook.listen.port(), 8443);
        assert_eq!(s.discord_options.shards, Shards::Auto);
        assert_eq!(s.discord_options.dev_guild_id, Some(42));
    }
}

#[cfg(test)]
mod token_tests {
    use super::*;

    #[test]
    fn a_token_file_is_read_and_the_token_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "  123:abc\n").unwrap();
        std::fs::write(
            dir.path().join("local.toml"),
            format!("[telegram]\ntoken_file = \"{}\"\n", file.display()),
        )
        .unwrap();
        let s = load(dir.path()).unwrap();
        let token = s.telegram.token.clone().unwrap();
        assert_eq!(token.expose(), "123:abc");
        assert!(!format!("{s:?}").contains("123:abc"));
        std::fs::write(
            dir.path().join("local.toml"),
            "[telegram]\ntoken_file = \"/nonexistent/token\"\n",
        )
        .unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("telegram.token_file") && err.contains("/nonexistent/token"),
            "{err}"
        );
    }
}
