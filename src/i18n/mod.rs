//! Every user-facing string, one catalogue per language (`zh.rs`, `en.rs`). The engine and the adapters build a
//! [`Msg`] and call [`Lang::render`]; a message added here must be written in both catalogues or nothing compiles.

mod en;
mod zh;

use crate::command::{CommandName, Problem};
pub use crate::vocab::Lang;
use crate::vocab::{Period, Rating};

impl Lang {
    /// Renders a message in this language.
    pub fn render(self, msg: &Msg) -> String {
        let msg = msg.with_user_text_escaped();
        match self {
            Lang::Zh => zh::render(&msg),
            Lang::En => en::render(&msg),
        }
    }

    /// The label of a rating button.
    pub fn rating_label(self, rating: Rating) -> &'static str {
        match self {
            Lang::Zh => zh::rating_label(rating),
            Lang::En => en::rating_label(rating),
        }
    }

    /// The console's line above a reply: to the chat, or private to one member.
    pub fn console_label(self, private_to: Option<&str>) -> String {
        match self {
            Lang::Zh => zh::console_label(private_to),
            Lang::En => en::console_label(private_to),
        }
    }

    /// A command's one-line description (Telegram's command menu, Discord's slash commands).
    pub fn command_summary(self, name: CommandName) -> &'static str {
        match self {
            Lang::Zh => zh::command_summary(name),
            Lang::En => en::command_summary(name),
        }
    }

    /// The labels of the buttons under a question post: (answer, show me).
    pub fn post_button_labels(self) -> (&'static str, &'static str) {
        match self {
            Lang::Zh => ("作答", "先看答案"),
            Lang::En => ("Answer", "Show me"),
        }
    }
}

/// A question as shown in a post or a reveal.
#[derive(Debug, Clone)]
pub struct QuestionView {
    /// The chat's round number.
    pub number: i64,
    /// The topic's display name in the chat's language.
    pub topic: String,
    /// 1-3.
    pub difficulty: u8,
    /// The question text.
    pub question: String,
    /// Choices for a multiple-choice question (A, B, ...), empty otherwise.
    pub choices: Vec<String>,
    /// Whether several choices are right (answered with letters, `/answer AC`).
    pub several: bool,
}

/// One member's line in the reveal results.
#[derive(Debug, Clone)]
pub struct ResultLine {
    /// Display name.
    pub name: String,
    /// Credited score 0-100.
    pub score: u8,
    /// Leaderboard points earned.
    pub points: i64,
    /// Why the score is what it is.
    pub verdict: VerdictView,
    /// A cap that lowered the score below what the covered points are worth.
    pub cap: Option<crate::vocab::Cap>,
    /// Texts of covered key points.
    pub covered: Vec<String>,
    /// Texts of missed key points.
    pub missed: Vec<String>,
    /// Points the answer contradicted.
    pub contradicted: Vec<Contradicted>,
    /// The answer text, when the chat shows answers at the reveal.
    pub answer: Option<String>,
}

/// A point an answer contradicted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contradicted {
    /// What the answer said (a bank `wrong` phrase), or the point's phrase it denied.
    pub said: String,
    /// Whether the answer denied `said` rather than stating it.
    pub denied: bool,
    /// The point's text.
    pub point: String,
}

/// Why an answer scored what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictView {
    /// Graded on key points.
    Graded,
    /// Too short to earn credit.
    TooShort,
    /// Copies the model answer.
    CopiedModel,
    /// Reads as an answer to another question.
    OffTopic,
    /// Copies another member's earlier answer.
    CopiedMember,
    /// Answered after looking at the model answer.
    AfterPeek,
    /// Multiple choice, right.
    ChoiceRight,
    /// Multiple choice, wrong.
    ChoiceWrong,
}

/// The chat-wide reveal.
#[derive(Debug, Clone)]
pub struct RevealView {
    /// The question.
    pub question: QuestionView,
    /// The model answer (Markdown) or the explanation of a multiple-choice question.
    pub answer: String,
    /// Correct letters for a multiple-choice question.
    pub correct: Vec<char>,
    /// Key point texts.
    pub points: Vec<String>,
    /// One line per member who answered, best first.
    pub results: Vec<ResultLine>,
    /// Members who looked early and did not answer.
    pub peeked_only: Vec<String>,
}

/// The chat's settings, formatted for display.
#[derive(Debug, Clone)]
pub struct SettingsView {
    /// `HH:MM`.
    pub post_time: String,
    /// `HH:MM`.
    pub reveal_time: String,
    /// IANA name.
    pub timezone: String,
    /// Topic keys, empty = all.
    pub topics: Vec<String>,
    /// Difficulty range.
    pub difficulty: (u8, u8),
    /// Interface language.
    pub lang: Lang,
    /// Show answers at the reveal.
    pub show_answers: bool,
    /// Days with a question (`all` or `mon,tue,...`).
    pub post_days: String,
    /// Daily schedule on.
    pub scheduled: bool,
    /// The channel for scheduled posts, where the platform has several (Discord).
    pub channel: Option<String>,
    /// A discussion thread under each reveal (shown with the channel).
    pub threads: bool,
    /// The forum topic scheduled posts go to (Telegram); `None` is General.
    pub forum_topic: Option<u64>,
}

/// One leaderboard row.
#[derive(Debug, Clone)]
pub struct BoardLine {
    /// 1-based rank; ties share a rank.
    pub rank: usize,
    /// Display name.
    pub name: String,
    /// Points in the period.
    pub points: i64,
    /// Answers counted in the period.
    pub answers: i64,
    /// Whether this is the caller.
    pub is_caller: bool,
}

/// A leaderboard for one period.
#[derive(Debug, Clone)]
pub struct BoardView {
    /// Which period.
    pub period: Period,
    /// The top lines.
    pub top: Vec<BoardLine>,
    /// The caller's line when outside the top.
    pub caller: Option<BoardLine>,
}

/// Per-topic figures in `/stats`.
#[derive(Debug, Clone)]
pub struct TopicStat {
    /// Topic display name.
    pub topic: String,
    /// Answers.
    pub answered: i64,
    /// Average credited score.
    pub average: f64,
}

/// A member's statistics in a chat.
#[derive(Debug, Clone)]
pub struct StatsView {
    /// Display name.
    pub name: String,
    /// Answers counted (revealed rounds).
    pub answered: i64,
    /// Average credited score.
    pub average: f64,
    /// All-time points.
    pub points: i64,
    /// Current streak in rounds.
    pub current_streak: i64,
    /// Best streak.
    pub best_streak: i64,
    /// Per topic, most answered first.
    pub topics: Vec<TopicStat>,
}

/// One line of `/topics`.
#[derive(Debug, Clone)]
pub struct TopicLine {
    /// Topic key (what `/settings topics` takes).
    pub key: String,
    /// Display name.
    pub name: String,
    /// Questions available.
    pub questions: usize,
    /// Whether the chat's rounds draw from it.
    pub selected: bool,
}

/// Every message a user can see.
#[derive(Debug, Clone)]
pub enum Msg {
    /// First contact.
    Welcome {
        /// In a private chat rather than a group.
        private: bool,
        /// `HH:MM`.
        post_time: String,
        /// `HH:MM`.
        reveal_time: String,
        /// IANA name.
        timezone: String,
        /// The daily schedule is already on (the console starts that way).
        scheduled: bool,
    },
    /// The question of the day.
    QuestionPost {
        /// The question.
        question: QuestionView,
        /// Local reveal time, `HH:MM` or `MM-DD HH:MM`.
        reveal_at: String,
    },
    /// A sealed answer was saved.
    AnswerRecorded {
        /// It replaced an earlier answer.
        replaced: bool,
        /// Local reveal time.
        reveal_at: String,
        /// The member had already looked at the model answer.
        after_peek: bool,
    },
    /// There is no open question to answer or reveal.
    NoOpenRound,
    /// An answer is longer than allowed.
    AnswerTooLong {
        /// The limit in characters.
        max: usize,
        /// The answer's length.
        len: usize,
    },
    /// A multiple-choice answer that names no valid choice.
    BadChoice {
        /// The last valid letter.
        last: char,
    },
    /// A second answer to a multiple-choice question.
    ChoiceFinal {
        /// What the member chose first.
        chosen: String,
    },
    /// A personal early reveal.
    PersonalReveal {
        /// The question.
        question: QuestionView,
        /// Model answer.
        answer: String,
        /// Correct letters for multiple choice.
        correct: Vec<char>,
        /// Key points.
        points: Vec<String>,
        /// Whether later answers will score nothing (the round is still open).
        round_open: bool,
    },
    /// The chat-wide reveal.
    Reveal(RevealView),
    /// An admin-only command from a member.
    NotAdmin,
    /// The settings.
    Settings {
        /// Current values.
        view: SettingsView,
        /// Whether they were just changed.
        changed: bool,
    },
    /// `/settings topics` named topics the bank does not have.
    UnknownTopics {
        /// The unknown keys.
        unknown: Vec<String>,
        /// The keys there are.
        known: Vec<String>,
    },
    /// The chat's topic and difficulty filter leaves no question.
    NoQuestions,
    /// Post and reveal at the same time of day.
    SameTimes,
    /// `/settings channel` or `threads` where a chat has no channels to choose.
    ChannelsOnlyOnDiscord,
    /// `/settings on` on a platform that needs a channel first (Discord).
    ChannelFirst,
    /// `/settings here` where a chat has no forum topics.
    TopicsOnlyOnTelegram,
    /// Told to an admin: scheduled messages stopped because the platform refused them.
    ChatPaused {
        /// What the platform said.
        reason: String,
    },
    /// `/skip` with no open round today.
    NothingToSkip,
    /// The admin skipped a question; the new post follows.
    Skipped {
        /// Number of the skipped round.
        number: i64,
    },
    /// `/rate` before seeing the answer.
    RateTooEarly,
    /// A rating was saved.
    Rated {
        /// The rating.
        rating: Rating,
    },
    /// A leaderboard.
    Leaderboard(BoardView),
    /// Statistics.
    Stats(StatsView),
    /// `/stats name` for someone unknown in this chat.
    UnknownUser(String),
    /// The caller has no answers yet.
    NoStatsYet(String),
    /// `/topics`.
    Topics(Vec<TopicLine>),
    /// `/help`.
    Help {
        /// Show admin commands too.
        admin: bool,
    },
    /// An unknown command.
    UnknownCommand(String),
    /// A command with bad arguments.
    Malformed {
        /// The command.
        name: CommandName,
        /// What was wrong.
        problem: Problem,
    },
    /// Something failed on our side; nothing was saved.
    Internal,
    /// The bot's storage (the disk holding the database) is full; nothing was saved.
    StorageFull {
        /// The command was an answer: say that the answer itself was not saved.
        answer: bool,
    },
    /// Console: now speaking as.
    ConsoleAs {
        /// The member's name.
        name: String,
        /// Whether they are an admin.
        admin: bool,
    },
    /// Console: the clock.
    ConsoleClock {
        /// Local time in the chat's zone.
        local: String,
        /// The zone.
        timezone: String,
    },
    /// Console: `/clock` with a bad argument.
    ConsoleBadClock(String),
    /// Console: `/as` with a bad argument.
    ConsoleBadAs,
    /// Console: `/clock` asked to move farther than allowed.
    ConsoleClockTooFar {
        /// The limit in days.
        max_days: i64,
    },
    /// Console: an input line that is not UTF-8 (1-based line number); it was skipped.
    ConsoleNotUtf8(usize),
    /// Console: an input line longer than the limit (in bytes); it was skipped.
    ConsoleLineTooLong {
        /// 1-based line number.
        line: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// Console: plain text typed.
    ConsolePlainText,
    /// Console: console-only commands.
    ConsoleHelp,
}

/// Formats a score with one decimal place.
impl Msg {
    /// The same message with every piece of text that came from a user (names, answers, what they typed)
    /// escaped for the light Markdown, so that no platform reads it as markup.
    fn with_user_text_escaped(&self) -> Msg {
        use crate::markup::literal;
        let names = |v: &[String]| v.iter().map(|n| literal(n)).collect::<Vec<_>>();
        let board_line = |l: &BoardLine| BoardLine {
            name: literal(&l.name),
            ..l.clone()
        };
        match self {
            Msg::Reveal(view) => Msg::Reveal(RevealView {
                results: view
                    .results
                    .iter()
                    .map(|r| ResultLine {
                        name: literal(&r.name),
                        answer: r.answer.as_deref().map(literal),
                        contradicted: r
                            .contradicted
                            .iter()
                            .map(|c| Contradicted {
                                said: literal(&c.said),
                                ..c.clone()
                            })
                            .collect(),
                        ..r.clone()
                    })
                    .collect(),
                peeked_only: names(&view.peeked_only),
                ..view.clone()
            }),
            Msg::Leaderboard(view) => Msg::Leaderboard(BoardView {
                top: view.top.iter().map(board_line).collect(),
                caller: view.caller.as_ref().map(board_line),
                period: view.period,
            }),
            Msg::Stats(view) => Msg::Stats(StatsView {
                name: literal(&view.name),
                ..view.clone()
            }),
            Msg::UnknownUser(name) => Msg::UnknownUser(literal(name)),
            Msg::NoStatsYet(name) => Msg::NoStatsYet(literal(name)),
            Msg::UnknownCommand(name) => Msg::UnknownCommand(literal(name)),
            Msg::UnknownTopics { unknown, known } => Msg::UnknownTopics {
                unknown: names(unknown),
                known: known.clone(),
            },
            Msg::ChoiceFinal { chosen } => Msg::ChoiceFinal {
                chosen: literal(chosen),
            },
            Msg::ChatPaused { reason } => Msg::ChatPaused {
                reason: literal(reason),
            },
            Msg::Malformed { name, problem } => Msg::Malformed {
                name: *name,
                problem: problem.with_user_text_escaped(),
            },
            Msg::ConsoleAs { name, admin } => Msg::ConsoleAs {
                name: literal(name),
                admin: *admin,
            },
            Msg::ConsoleBadClock(arg) => Msg::ConsoleBadClock(literal(arg)),
            other => other.clone(),
        }
    }
}

pub(crate) fn one_decimal(x: f64) -> String {
    format!("{x:.1}")
}
