//! Platform-neutral messages: what an adapter hands to the engine and what the engine asks it to send.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The chat platform a message came from. Identities are per platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// The local terminal adapter.
    Console,
    /// Telegram (teloxide adapter).
    Telegram,
    /// Discord (serenity/poise adapter).
    Discord,
}

impl Platform {
    /// The key stored in the database.
    pub fn key(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Telegram => "telegram",
            Platform::Discord => "discord",
        }
    }

    /// Whether a chat on this platform has several channels, one of which an admin picks for the
    /// scheduled posts (a Discord server) before the schedule can start.
    pub fn needs_channel(self) -> bool {
        self == Platform::Discord
    }

    /// Whether a chat may be a forum with topics, one of which can receive its scheduled posts (Telegram).
    pub fn has_forum_topics(self) -> bool {
        self == Platform::Telegram
    }

    /// Parses a stored key back into a platform.
    pub fn from_key(key: &str) -> Option<Platform> {
        match key {
            "console" => Some(Platform::Console),
            "telegram" => Some(Platform::Telegram),
            "discord" => Some(Platform::Discord),
            _ => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A chat (group, server channel or private conversation) as the platform names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChatRef {
    /// Which platform the chat lives on.
    pub platform: Platform,
    /// The platform's own id for the chat, as text.
    pub id: String,
}

/// A person as the platform names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserRef {
    /// Which platform the user lives on.
    pub platform: Platform,
    /// The platform's own id for the user, as text.
    pub id: String,
}

/// One incoming message, already translated out of the platform's types by an adapter.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Where it was sent.
    pub chat: ChatRef,
    /// Who sent it.
    pub user: UserRef,
    /// The sender's display name, used in results and leaderboards.
    pub display_name: String,
    /// The text as typed (a command such as `/answer ...`).
    pub text: String,
    /// Whether the sender may change the chat's settings (platform admin rights).
    pub is_admin: bool,
    /// Whether this is a private conversation with the bot rather than a group.
    pub is_private: bool,
}

/// Who sees a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    /// Everyone in the chat.
    Chat,
    /// Only this user (an ephemeral reply, a DM, or a console line marked private).
    User(UserRef),
}

/// What a reply is about, so adapters can choose a presentation (embed, poll, buttons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyKind {
    /// The question of the day being posted.
    QuestionPost,
    /// The chat-wide reveal with results.
    Reveal,
    /// A personal early reveal of the model answer.
    PersonalReveal,
    /// A confirmation of something the user did.
    Confirmation,
    /// Information asked for (stats, leaderboard, help, settings).
    Info,
    /// The user's input was refused; the text says why and what to type.
    Refusal,
}

/// A button under a reply. Pressing it is the same as sending `command` as the presser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// The label shown on the button.
    pub label: String,
    /// The command text the button stands for, e.g. `/rate good`.
    pub command: String,
}

/// One message the engine wants sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// Who may see it.
    pub audience: Audience,
    /// What it is about.
    pub kind: ReplyKind,
    /// The text, in the chat's language (plain text with light Markdown).
    pub text: String,
    /// Buttons to show under the text, if the platform has them.
    pub buttons: Vec<Button>,
    /// The round a reveal concludes, so a platform can close what belongs to it (Telegram polls posted by
    /// earlier versions).
    #[serde(default)]
    pub closes_round: Option<i64>,
    /// The round a question post asks, so a platform can tell replies to it from replies to anything else
    /// (on Telegram, only a reply to the question is an answer).
    #[serde(default)]
    pub asks_round: Option<i64>,
}

impl Reply {
    /// A reply to the whole chat.
    pub fn to_chat(kind: ReplyKind, text: String) -> Reply {
        Reply {
            audience: Audience::Chat,
            kind,
            text,
            buttons: Vec::new(),
            closes_round: None,
            asks_round: None,
        }
    }

    /// A reply only `user` sees.
    pub fn to_user(user: &UserRef, kind: ReplyKind, text: String) -> Reply {
        Reply {
            audience: Audience::User(user.clone()),
            kind,
            text,
            buttons: Vec::new(),
            closes_round: None,
            asks_round: None,
        }
    }

    /// The same reply with buttons.
    pub fn with_buttons(mut self, buttons: Vec<Button>) -> Reply {
        self.buttons = buttons;
        self
    }

    /// The same reply marked as concluding a round.
    pub fn closing_round(mut self, round_id: i64) -> Reply {
        self.closes_round = Some(round_id);
        self
    }

    /// The same reply marked as the question post of a round.
    pub fn asking_round(mut self, round_id: i64) -> Reply {
        self.asks_round = Some(round_id);
        self
    }
}

/// A message the engine sends on its own (a scheduled post or reveal) to a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// The chat it goes to.
    pub chat: ChatRef,
    /// What to send.
    pub reply: Reply,
}
