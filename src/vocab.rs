//! The shared vocabulary: the small types every layer speaks (a chat's language, settings and weekdays, the
//! input limits, self-ratings, leaderboard periods, verdicts). It imports nothing from the crate, so any
//! module may use it without pointing upwards.

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::Deserialize;

/// An interface language, chosen per chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Simplified Chinese (the default).
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Parses `zh`, `en` and a few common spellings.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_lowercase().as_str() {
            "zh" | "cn" | "zh-cn" | "zh_cn" | "chinese" | "中文" => Some(Lang::Zh),
            "en" | "en-us" | "en_us" | "english" | "英文" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// The days of the week a chat gets a question (a set of weekdays, never empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(u8);

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Weekdays {
    /// Every day.
    pub const ALL: Weekdays = Weekdays(0x7f);

    /// From the stored bit set (bit 0 = Monday); `None` when empty or out of range.
    pub fn from_bits(bits: u8) -> Option<Weekdays> {
        (bits != 0 && bits <= 0x7f).then_some(Weekdays(bits))
    }

    /// The stored bit set.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether a day is included.
    pub fn contains(self, day: chrono::Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// Parses `all`, `weekdays`, `weekends`, a range `mon-fri` or a list `mon,wed,fri` (three-letter names).
    pub fn parse(s: &str) -> Option<Weekdays> {
        let s = s.trim().to_lowercase();
        let day = |name: &str| DAY_NAMES.iter().position(|d| *d == name.trim());
        let bits = match s.as_str() {
            "all" | "daily" | "every" => 0x7f,
            "weekdays" | "workdays" => 0x1f,
            "weekends" | "weekend" => 0x60,
            _ => {
                let mut bits = 0u8;
                for part in s.split([',', ' ']).filter(|p| !p.is_empty()) {
                    match part.split_once('-') {
                        Some((a, b)) => {
                            let (a, b) = (day(a)?, day(b)?);
                            if a > b {
                                return None;
                            }
                            for d in a..=b {
                                bits |= 1 << d;
                            }
                        }
                        None => bits |= 1 << day(part)?,
                    }
                }
                bits
            }
        };
        Weekdays::from_bits(bits)
    }
}

impl std::fmt::Display for Weekdays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if *self == Weekdays::ALL {
            return f.write_str("all");
        }
        let names: Vec<&str> = (0..7)
            .filter(|d| self.0 & (1 << d) != 0)
            .map(|d| DAY_NAMES[d])
            .collect();
        f.write_str(&names.join(","))
    }
}

/// Self-ratings after the reveal, as FSRS numbers them (1 = again ... 4 = easy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    /// Forgot it.
    Again = 1,
    /// Remembered with difficulty.
    Hard = 2,
    /// Remembered.
    Good = 3,
    /// Easy.
    Easy = 4,
}

impl Rating {
    /// All ratings in button order.
    pub const ALL: [Rating; 4] = [Rating::Again, Rating::Hard, Rating::Good, Rating::Easy];

    /// The word used in commands.
    pub fn word(self) -> &'static str {
        match self {
            Rating::Again => "again",
            Rating::Hard => "hard",
            Rating::Good => "good",
            Rating::Easy => "easy",
        }
    }
}

/// Leaderboard periods, in the chat's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Since Monday.
    Week,
    /// Since the first of the month.
    Month,
    /// All time.
    All,
}

/// Why a score is lower than its covered points are worth (the reveal says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// Too little explanation for the question's points: at most this score.
    Short(u8),
    /// A bare list of terms: at most this score.
    TermList(u8),
    /// Two or more statements contradict the key points: at most this score.
    Contradicted(u8),
}

/// Why an answer scored what it did. Stored in the database by [`Verdict::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Scored on key points.
    Graded,
    /// Too short to earn credit.
    TooShort,
    /// Copies the model answer.
    CopiedModel,
    /// Reads as an answer to another question of the bank.
    OffTopic,
    /// Copies another member's earlier answer in the same round.
    CopiedMember,
    /// Submitted after the member looked at the model answer.
    AfterPeek,
    /// Multiple choice, right.
    ChoiceRight,
    /// Multiple choice, wrong.
    ChoiceWrong,
}

impl Verdict {
    /// The key stored in the database.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Graded => "graded",
            Verdict::TooShort => "too_short",
            Verdict::CopiedModel => "copied_model",
            Verdict::OffTopic => "off_topic",
            Verdict::CopiedMember => "copied_member",
            Verdict::AfterPeek => "after_peek",
            Verdict::ChoiceRight => "choice_right",
            Verdict::ChoiceWrong => "choice_wrong",
        }
    }

    /// Parses a stored key.
    pub fn from_key(key: &str) -> Option<Verdict> {
        [
            Verdict::Graded,
            Verdict::TooShort,
            Verdict::CopiedModel,
            Verdict::OffTopic,
            Verdict::CopiedMember,
            Verdict::AfterPeek,
            Verdict::ChoiceRight,
            Verdict::ChoiceWrong,
        ]
        .into_iter()
        .find(|v| v.key() == key)
    }

    /// Whether the answer earns its score.
    pub fn earns_credit(self) -> bool {
        matches!(self, Verdict::Graded | Verdict::ChoiceRight)
    }
}

/// A chat's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSettings {
    /// Local time of the daily question.
    pub post_time: NaiveTime,
    /// Local time of the reveal.
    pub reveal_time: NaiveTime,
    /// Time zone.
    pub timezone: Tz,
    /// Interface language.
    pub language: Lang,
    /// Topic keys, empty = all.
    pub topics: Vec<String>,
    /// Difficulty range.
    pub difficulty: (u8, u8),
    /// Show answer texts at the reveal.
    pub show_answers: bool,
    /// Days of the week with a question.
    pub post_days: Weekdays,
    /// An admin started the daily schedule.
    pub scheduled: bool,
    /// Where scheduled posts go when a chat has several channels (a Discord server); `None` elsewhere.
    pub channel: Option<ChannelId>,
    /// Open a discussion thread under each reveal, where the platform has threads (Discord).
    pub threads: bool,
}

impl ChatSettings {
    /// Settings of a new chat.
    pub fn from_defaults(d: &ChatDefaults, scheduled: bool) -> ChatSettings {
        ChatSettings {
            post_time: d.post_time,
            reveal_time: d.reveal_time,
            timezone: d.timezone,
            language: d.language,
            topics: d.topics.clone(),
            difficulty: d.difficulty,
            show_answers: d.show_answers,
            post_days: d.post_days,
            scheduled,
            channel: None,
            threads: false,
        }
    }
}

/// Defaults for a chat the bot meets for the first time.
#[derive(Debug, Clone)]
pub struct ChatDefaults {
    /// Local time of the daily question.
    pub post_time: NaiveTime,
    /// Local time of the reveal.
    pub reveal_time: NaiveTime,
    /// Time zone.
    pub timezone: Tz,
    /// Interface language.
    pub language: Lang,
    /// Topic keys, empty = all.
    pub topics: Vec<String>,
    /// Difficulty range.
    pub difficulty: (u8, u8),
    /// Show answers at the reveal.
    pub show_answers: bool,
    /// Days of the week with a question.
    pub post_days: Weekdays,
}

impl Default for ChatDefaults {
    fn default() -> Self {
        ChatDefaults {
            post_time: NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
            reveal_time: NaiveTime::from_hms_opt(21, 0, 0).expect("valid time"),
            timezone: chrono_tz::Asia::Shanghai,
            language: Lang::Zh,
            topics: Vec::new(),
            difficulty: (1, 3),
            show_answers: false,
            post_days: Weekdays::ALL,
        }
    }
}

/// Limits on what users send.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Longest answer accepted, in characters.
    pub max_answer_chars: usize,
    /// Shortest answer that can earn credit.
    pub min_answer_chars: usize,
    /// Days a sent message stays in the outbox before it is deleted.
    #[serde(default = "default_outbox_retention_days")]
    pub outbox_retention_days: u32,
}

fn default_outbox_retention_days() -> u32 {
    30
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_answer_chars: 4000,
            min_answer_chars: 10,
            outbox_retention_days: default_outbox_retention_days(),
        }
    }
}

/// A channel for scheduled posts, where a chat has several (a Discord server's text channel, by its id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelId(pub u64);

impl ChannelId {
    /// Parses a `<#id>` mention or a bare id (not 0).
    pub fn parse(value: &str) -> Option<ChannelId> {
        let v = value.trim();
        let id = v
            .strip_prefix("<#")
            .and_then(|v| v.strip_suffix('>'))
            .unwrap_or(v);
        id.parse::<u64>().ok().filter(|&n| n > 0).map(ChannelId)
    }
}

/// Shown as a mention (`<#id>`), which Discord displays as the channel's name.
impl std::fmt::Display for ChannelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<#{}>", self.0)
    }
}
