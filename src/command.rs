//! Parsing a message's text into a [`Command`]. Parsing is pure: it needs no bank, no database and no clock.
//! Unknown commands and malformed arguments are values, so every input earns a helpful reply.

use chrono::NaiveTime;
use chrono_tz::Tz;

use crate::vocab::{ChannelId, Lang, Weekdays};
pub use crate::vocab::{Period, Rating};

/// The commands every adapter understands, with their arguments parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `/start [payload]`: first contact in a private chat (Telegram deep links carry a payload).
    Start(Option<String>),
    /// `/today`: show (and post if needed) the question of the day.
    Today,
    /// `/answer <text>`: a sealed answer to the open question.
    Answer(String),
    /// `/reveal`: an admin in a group reveals for everyone; anyone else (or `/reveal me`) sees it privately.
    Reveal {
        /// `/reveal me`: always a personal reveal, even for an admin.
        personal: bool,
    },
    /// `/rate again|hard|good|easy`: self-rating after the reveal.
    Rate(Rating),
    /// `/leaderboard [week|month|all]`.
    Leaderboard(Period),
    /// `/stats [name]`.
    Stats(Option<String>),
    /// `/topics`.
    Topics,
    /// `/help`.
    Help,
    /// `/settings ...`.
    Settings(SettingsCommand),
    /// `/skip`: an admin replaces today's question.
    Skip,
    /// A command the bot does not know.
    Unknown(String),
    /// A known command with arguments that do not fit; the reply shows the right form.
    Malformed {
        /// Which command was meant.
        name: CommandName,
        /// What was wrong.
        problem: Problem,
    },
    /// Text that is not a command at all.
    NotACommand,
}

/// The names of the commands, for usage lines and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandName {
    /// `/today`
    Today,
    /// `/answer`
    Answer,
    /// `/reveal`
    Reveal,
    /// `/rate`
    Rate,
    /// `/leaderboard`
    Leaderboard,
    /// `/stats`
    Stats,
    /// `/topics`
    Topics,
    /// `/help`
    Help,
    /// `/settings`
    Settings,
    /// `/skip`
    Skip,
}

impl CommandName {
    /// Every command, in the order help lists them.
    pub const ALL: [CommandName; 10] = [
        CommandName::Today,
        CommandName::Answer,
        CommandName::Reveal,
        CommandName::Rate,
        CommandName::Leaderboard,
        CommandName::Stats,
        CommandName::Topics,
        CommandName::Help,
        CommandName::Settings,
        CommandName::Skip,
    ];

    /// The command as typed, without the slash.
    pub fn word(self) -> &'static str {
        match self {
            CommandName::Today => "today",
            CommandName::Answer => "answer",
            CommandName::Reveal => "reveal",
            CommandName::Rate => "rate",
            CommandName::Leaderboard => "leaderboard",
            CommandName::Stats => "stats",
            CommandName::Topics => "topics",
            CommandName::Help => "help",
            CommandName::Settings => "settings",
            CommandName::Skip => "skip",
        }
    }
}

/// What was wrong with a command's arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A required argument is missing.
    Missing,
    /// The command takes no (more) arguments, but got this.
    Unexpected(String),
    /// Not a time of day `HH:MM`.
    BadTime(String),
    /// Not an IANA time zone.
    BadTimeZone(String),
    /// Not a difficulty range 1-3.
    BadDifficulty(String),
    /// Not a supported language.
    BadLanguage(String),
    /// Not one of again/hard/good/easy.
    BadRating(String),
    /// Not one of week/month/all.
    BadPeriod(String),
    /// `/settings` has no such setting.
    UnknownSetting(String),
    /// Not one of on/off (show/hide).
    BadToggle(String),
    /// Not a set of weekdays.
    BadDays(String),
    /// Not a channel (one word, at most 100 characters).
    BadChannel(String),
    /// Not a forum topic for `/settings here` (a topic's number, or `general`).
    BadTopic(String),
}

impl Problem {
    /// The same problem with the user's text escaped for the light Markdown ([`crate::markup::literal`]).
    pub fn with_user_text_escaped(&self) -> Problem {
        use crate::markup::literal;
        match self {
            Problem::Missing => Problem::Missing,
            Problem::Unexpected(x) => Problem::Unexpected(literal(x)),
            Problem::BadTime(x) => Problem::BadTime(literal(x)),
            Problem::BadTimeZone(x) => Problem::BadTimeZone(literal(x)),
            Problem::BadDifficulty(x) => Problem::BadDifficulty(literal(x)),
            Problem::BadLanguage(x) => Problem::BadLanguage(literal(x)),
            Problem::BadRating(x) => Problem::BadRating(literal(x)),
            Problem::BadPeriod(x) => Problem::BadPeriod(literal(x)),
            Problem::UnknownSetting(x) => Problem::UnknownSetting(literal(x)),
            Problem::BadToggle(x) => Problem::BadToggle(literal(x)),
            Problem::BadDays(x) => Problem::BadDays(literal(x)),
            Problem::BadChannel(x) => Problem::BadChannel(literal(x)),
            Problem::BadTopic(x) => Problem::BadTopic(literal(x)),
        }
    }
}

/// `/settings` subcommands.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsCommand {
    /// Show the chat's settings.
    Show,
    /// `post HH:MM`
    PostTime(NaiveTime),
    /// `reveal HH:MM`
    RevealTime(NaiveTime),
    /// `tz Area/City`
    TimeZone(Tz),
    /// `topics a,b,c` or `topics all` (None).
    Topics(Option<Vec<String>>),
    /// `difficulty 1-3` (min, max).
    Difficulty(u8, u8),
    /// `lang zh|en`
    Language(Lang),
    /// `answers show|hide`: show members' answers at the reveal.
    ShowAnswers(bool),
    /// `on|off` (also `resume|pause`): the daily schedule.
    Schedule(bool),
    /// `days mon-fri|weekdays|all|mon,wed,fri`: days of the week with a question.
    Days(Weekdays),
    /// `channel <where>`: the channel for scheduled posts (Discord passes a `<#id>` mention); starts the
    /// schedule.
    Channel(ChannelId),
    /// `threads on|off`: a discussion thread under each reveal (Discord).
    Threads(bool),
    /// `here <topic id|general>`: the forum topic scheduled posts go to, in a Telegram group with topics
    /// (the adapter adds the topic an admin sent `/settings here` from); `None` is General.
    Here(Option<ChannelId>),
}

/// Parses one message. Command names are case-insensitive and may carry a `@botname` suffix.
pub fn parse(text: &str) -> Command {
    let text = text.trim();
    let Some(rest) = text.strip_prefix('/') else {
        return Command::NotACommand;
    };
    let (head, args) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let name = head.split('@').next().unwrap_or("").to_lowercase();
    let malformed = |name, problem| Command::Malformed { name, problem };
    let no_args = |cmd: Command, name: CommandName| {
        if args.is_empty() {
            cmd
        } else {
            malformed(name, Problem::Unexpected(args.to_string()))
        }
    };
    match name.as_str() {
        "start" => Command::Start(first_word(args).map(str::to_string)),
        "today" => no_args(Command::Today, CommandName::Today),
        "answer" | "a" => {
            // Control characters (a NUL from a pipe, escape sequences) are not part of an answer.
            let body: String = args
                .chars()
                .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
                .collect();
            let body = body.trim();
            if body.is_empty() {
                malformed(CommandName::Answer, Problem::Missing)
            } else {
                Command::Answer(body.to_string())
            }
        }
        "reveal" => match args.to_lowercase().as_str() {
            "" => Command::Reveal { personal: false },
            "me" => Command::Reveal { personal: true },
            _ => malformed(CommandName::Reveal, Problem::Unexpected(args.to_string())),
        },
        "rate" => match args.to_lowercase().as_str() {
            "" => malformed(CommandName::Rate, Problem::Missing),
            "again" | "1" => Command::Rate(Rating::Again),
            "hard" | "2" => Command::Rate(Rating::Hard),
            "good" | "3" => Command::Rate(Rating::Good),
            "easy" | "4" => Command::Rate(Rating::Easy),
            other => malformed(CommandName::Rate, Problem::BadRating(other.to_string())),
        },
        "leaderboard" | "lb" | "top" => match args.to_lowercase().as_str() {
            "" | "week" | "w" => Command::Leaderboard(Period::Week),
            "month" | "m" => Command::Leaderboard(Period::Month),
            "all" | "alltime" | "all-time" => Command::Leaderboard(Period::All),
            other => malformed(
                CommandName::Leaderboard,
                Problem::BadPeriod(other.to_string()),
            ),
        },
        "stats" => {
            if args.is_empty() {
                Command::Stats(None)
            } else {
                Command::Stats(Some(args.trim_start_matches('@').to_string()))
            }
        }
        "topics" => no_args(Command::Topics, CommandName::Topics),
        "help" => Command::Help,
        "skip" => no_args(Command::Skip, CommandName::Skip),
        "settings" | "setting" => match parse_settings(args) {
            Ok(s) => Command::Settings(s),
            Err(problem) => malformed(CommandName::Settings, problem),
        },
        _ => Command::Unknown(name),
    }
}

fn first_word(s: &str) -> Option<&str> {
    s.split_whitespace().next()
}

fn parse_settings(args: &str) -> Result<SettingsCommand, Problem> {
    let mut words = args.split_whitespace();
    let Some(key) = words.next() else {
        return Ok(SettingsCommand::Show);
    };
    let value: Vec<&str> = words.collect();
    let value = value.join(" ");
    let key = key.to_lowercase();
    let need = |v: &str| {
        if v.is_empty() {
            Err(Problem::Missing)
        } else {
            Ok(())
        }
    };
    match key.as_str() {
        "on" | "start" | "resume" | "off" | "stop" | "pause" => {
            if !value.is_empty() {
                return Err(Problem::Unexpected(value));
            }
            Ok(SettingsCommand::Schedule(matches!(
                key.as_str(),
                "on" | "start" | "resume"
            )))
        }
        "post" | "post_time" | "post-time" => {
            need(&value)?;
            parse_time(&value).map(SettingsCommand::PostTime)
        }
        "reveal" | "reveal_time" | "reveal-time" => {
            need(&value)?;
            parse_time(&value).map(SettingsCommand::RevealTime)
        }
        "tz" | "timezone" | "time_zone" | "time-zone" => {
            need(&value)?;
            value
                .parse::<Tz>()
                .map(SettingsCommand::TimeZone)
                .map_err(|_| Problem::BadTimeZone(value.clone()))
        }
        "topics" | "topic" => {
            need(&value)?;
            if value.eq_ignore_ascii_case("all") {
                return Ok(SettingsCommand::Topics(None));
            }
            let topics: Vec<String> = value
                .split([',', ' ', '，'])
                .map(|t| t.trim().to_lowercase())
                .filter(|t| !t.is_empty())
                .collect();
            Ok(SettingsCommand::Topics(Some(topics)))
        }
        "difficulty" | "level" => {
            need(&value)?;
            parse_difficulty(&value).map(|(a, b)| SettingsCommand::Difficulty(a, b))
        }
        "lang" | "language" => {
            need(&value)?;
            Lang::parse(&value)
                .map(SettingsCommand::Language)
                .ok_or(Problem::BadLanguage(value))
        }
        "days" | "post_days" | "post-days" => {
            need(&value)?;
            Weekdays::parse(&value)
                .map(SettingsCommand::Days)
                .ok_or(Problem::BadDays(value))
        }
        "answers" | "show_answers" | "show-answers" => {
            need(&value)?;
            match value.to_lowercase().as_str() {
                "show" | "on" | "yes" | "true" => Ok(SettingsCommand::ShowAnswers(true)),
                "hide" | "off" | "no" | "false" => Ok(SettingsCommand::ShowAnswers(false)),
                _ => Err(Problem::BadToggle(value)),
            }
        }
        "threads" | "thread" => {
            need(&value)?;
            match value.to_lowercase().as_str() {
                "on" | "yes" | "true" | "show" => Ok(SettingsCommand::Threads(true)),
                "off" | "no" | "false" | "hide" => Ok(SettingsCommand::Threads(false)),
                _ => Err(Problem::BadToggle(value)),
            }
        }
        "here" => {
            // Bare, it means where it was sent: General, unless the adapter names a forum topic.
            if value.is_empty()
                || matches!(value.to_lowercase().as_str(), "general" | "none" | "off")
            {
                return Ok(SettingsCommand::Here(None));
            }
            ChannelId::parse(&value)
                .map(|c| SettingsCommand::Here(Some(c)))
                .ok_or(Problem::BadTopic(value))
        }
        "channel" => {
            need(&value)?;
            ChannelId::parse(&value)
                .map(SettingsCommand::Channel)
                .ok_or(Problem::BadChannel(value))
        }
        other => Err(Problem::UnknownSetting(other.to_string())),
    }
}

/// Parses `HH:MM` (also `H:MM` and full-width colons) into a time of day.
pub fn parse_time(s: &str) -> Result<NaiveTime, Problem> {
    let norm = s.trim().replace('：', ":");
    let bad = || Problem::BadTime(s.to_string());
    let (h, m) = norm.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

/// Parses a difficulty or range: `2`, `1-2`, `1..3`.
pub fn parse_difficulty(s: &str) -> Result<(u8, u8), Problem> {
    let bad = || Problem::BadDifficulty(s.to_string());
    let norm = s.replace("..", "-").replace(' ', "");
    let (a, b) = match norm.split_once('-') {
        Some((a, b)) => (a, b),
        None => (norm.as_str(), norm.as_str()),
    };
    let a: u8 = a.parse().map_err(|_| bad())?;
    let b: u8 = b.parse().map_err(|_| bad())?;
    if !(1..=3).contains(&a) || !(1..=3).contains(&b) || a > b {
        return Err(bad());
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_accept_bot_suffix_and_case() {
        assert_eq!(parse("/Today@drillbot"), Command::Today);
        assert_eq!(
            parse("/answer@drillbot  TCP 是面向连接的 "),
            Command::Answer("TCP 是面向连接的".into())
        );
    }

    #[test]
    fn control_characters_are_dropped_from_answers() {
        assert_eq!(
            parse("/answer \0\u{1b}[31mTCP\u{7}"),
            Command::Answer("[31mTCP".into())
        );
        assert_eq!(
            parse("/answer \0\0"),
            Command::Malformed {
                name: CommandName::Answer,
                problem: Problem::Missing
            }
        );
    }

    #[test]
    fn malformed_arguments_are_values() {
        assert_eq!(
            parse("/rate maybe"),
            Command::Malformed {
                name: CommandName::Rate,
                problem: Problem::BadRating("maybe".into())
            }
        );
        assert_eq!(
            parse("/settings tz Mars/Base"),
            Command::Malformed {
                name: CommandName::Settings,
                problem: Problem::BadTimeZone("Mars/Base".into())
            }
        );
        assert_eq!(
            parse("/today please"),
            Command::Malformed {
                name: CommandName::Today,
                problem: Problem::Unexpected("please".into())
            }
        );
        assert_eq!(parse("/frobnicate"), Command::Unknown("frobnicate".into()));
        assert_eq!(parse("hello"), Command::NotACommand);
    }

    #[test]
    fn settings_here_takes_a_topic_or_general() {
        assert_eq!(
            parse("/settings here 42"),
            Command::Settings(SettingsCommand::Here(Some(ChannelId(42))))
        );
        assert_eq!(
            parse("/settings here general"),
            Command::Settings(SettingsCommand::Here(None))
        );
        assert_eq!(
            parse("/settings here"),
            Command::Settings(SettingsCommand::Here(None))
        );
        assert_eq!(
            parse("/settings here somewhere"),
            Command::Malformed {
                name: CommandName::Settings,
                problem: Problem::BadTopic("somewhere".into())
            }
        );
    }

    #[test]
    fn settings_channel_takes_a_channel_mention_or_id() {
        assert_eq!(
            parse("/settings channel <#123>"),
            Command::Settings(SettingsCommand::Channel(ChannelId(123)))
        );
        assert_eq!(
            parse("/settings channel 123"),
            Command::Settings(SettingsCommand::Channel(ChannelId(123)))
        );
        assert_eq!(
            parse("/settings channel general"),
            Command::Malformed {
                name: CommandName::Settings,
                problem: Problem::BadChannel("general".into())
            }
        );
        assert_eq!(
            parse("/settings channel two words"),
            Command::Malformed {
                name: CommandName::Settings,
                problem: Problem::BadChannel("two words".into())
            }
        );
    }

    #[test]
    fn settings_parse_times_ranges_and_toggles() {
        assert_eq!(
            parse("/settings post 7:30"),
            Command::Settings(SettingsCommand::PostTime(
                NaiveTime::from_hms_opt(7, 30, 0).unwrap()
            ))
        );
        assert!(matches!(
            parse("/settings reveal 24:00"),
            Command::Malformed {
                problem: Problem::BadTime(_),
                ..
            }
        ));
        assert_eq!(
            parse("/settings difficulty 2-3"),
            Command::Settings(SettingsCommand::Difficulty(2, 3))
        );
        assert!(matches!(
            parse("/settings difficulty 3-1"),
            Command::Malformed {
                problem: Problem::BadDifficulty(_),
                ..
            }
        ));
        assert_eq!(
            parse("/settings topics network, redis"),
            Command::Settings(SettingsCommand::Topics(Some(vec![
                "network".into(),
                "redis".into()
            ])))
        );
        assert_eq!(
            parse("/settings pause"),
            Command::Settings(SettingsCommand::Schedule(false))
        );
        assert_eq!(parse("/settings"), Command::Settings(SettingsCommand::Show));
    }
}
