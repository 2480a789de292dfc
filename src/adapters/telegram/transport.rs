//! Delivery of outgoing messages to Telegram (the [`Transport`] the outbox worker uses). Long texts are split
//! under Telegram's 4,096-character limit at paragraph boundaries; text is sent without a parse mode, so
//! names and answers need no escaping. The "answer" button becomes a deep link that opens the DM with the
//! bot with the group preselected.

use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup};
use teloxide::{ApiError, Bot, RequestError};

use crate::delivery::{SendError, Transport};
use crate::message::{Outgoing, Platform};

/// Telegram's limit on one message's text, in UTF-16 code units (we count chars, which is never more).
pub const MAX_TEXT: usize = 4096;

/// Sends outbox messages with the Bot API.
#[derive(Clone)]
pub struct TelegramTransport {
    bot: Bot,
    username: Option<String>,
}

impl TelegramTransport {
    /// A transport for a bot token; `api_url` points it elsewhere (a local fake server in tests).
    pub fn new(token: &str, api_url: Option<url::Url>) -> TelegramTransport {
        let bot = Bot::new(token);
        let bot = match api_url {
            Some(url) => bot.set_api_url(url),
            None => bot,
        };
        TelegramTransport {
            bot,
            username: None,
        }
    }

    /// The same transport, knowing the bot's username (for deep links).
    pub fn with_username(mut self, username: &str) -> TelegramTransport {
        self.username = Some(username.to_string());
        self
    }

    /// The teloxide bot.
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// Sends a reply to a chat id (split and with buttons), mapping errors for the caller.
    pub async fn send_to(
        &self,
        chat: i64,
        group: Option<i64>,
        reply: &crate::message::Reply,
    ) -> Result<(), SendError> {
        let pieces = split_text(&reply.text, MAX_TEXT);
        let last = pieces.len() - 1;
        for (i, piece) in pieces.into_iter().enumerate() {
            let mut request = self.bot.send_message(ChatId(chat), piece);
            if i == last
                && let Some(kb) = keyboard(reply, self.username.as_deref(), group)
            {
                request = request.reply_markup(kb);
            }
            request.await.map_err(|e| classify(&e))?;
        }
        Ok(())
    }
}

/// The deep link that opens the DM with the bot with a group preselected.
pub fn deep_link(username: &str, group: i64) -> String {
    format!("https://t.me/{username}?start=g{group}")
}

/// Splits text into pieces of at most `max` characters, preferring paragraph, then line boundaries.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = text.trim_end();
    while rest.chars().count() > max {
        let cut_byte = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..cut_byte];
        let at = window
            .rfind("\n\n")
            .or_else(|| window.rfind('\n'))
            .filter(|&i| i > 0)
            .unwrap_or(cut_byte);
        pieces.push(rest[..at].trim_end().to_string());
        rest = rest[at..].trim_start_matches('\n');
    }
    if !rest.is_empty() || pieces.is_empty() {
        pieces.push(rest.to_string());
    }
    pieces
}

fn keyboard(
    reply: &crate::message::Reply,
    username: Option<&str>,
    group: Option<i64>,
) -> Option<InlineKeyboardMarkup> {
    let buttons: Vec<InlineKeyboardButton> = reply
        .buttons
        .iter()
        .filter_map(|b| {
            if b.command == "/answer" {
                // Free-text answers are written in the DM: a deep link with the group preselected.
                let link = deep_link(username?, group?).parse().ok()?;
                return Some(InlineKeyboardButton::url(b.label.clone(), link));
            }
            // Callback data is limited to 64 bytes.
            (b.command.len() <= 64)
                .then(|| InlineKeyboardButton::callback(b.label.clone(), b.command.clone()))
        })
        .collect();
    (!buttons.is_empty()).then(|| InlineKeyboardMarkup::new(buttons.chunks(4).map(<[_]>::to_vec)))
}

/// Maps a teloxide error to what the delivery worker should do.
pub fn classify(e: &RequestError) -> SendError {
    match e {
        // Telegram does not say whether a 429 is the chat's or the bot's limit: assume the bot's.
        RequestError::RetryAfter(s) => SendError::RateLimited {
            retry_after: s.duration(),
            global: true,
        },
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::NotEnoughRightsToPostMessages,
        ) => SendError::Permanent(e.to_string()),
        RequestError::Api(_) | RequestError::MigrateToChatId(_) => {
            SendError::Rejected(e.to_string())
        }
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            SendError::Transient(e.to_string())
        }
    }
}

impl Transport for TelegramTransport {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    async fn send(&self, outgoing: &Outgoing) -> Result<(), SendError> {
        let chat: i64 = outgoing.chat.id.parse().map_err(|_| {
            SendError::Rejected(format!("not a Telegram chat id: {}", outgoing.chat.id))
        })?;
        self.send_to(chat, Some(chat), &outgoing.reply).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_split_at_paragraphs_under_the_limit() {
        let para = "段".repeat(3000);
        let text = format!("{para}\n\n{para}\n\n短");
        let pieces = split_text(&text, MAX_TEXT);
        assert_eq!(pieces.len(), 2);
        assert!(pieces.iter().all(|p| p.chars().count() <= MAX_TEXT));
        assert_eq!(pieces[0], para);
        let no_breaks = "x".repeat(9000);
        let pieces = split_text(&no_breaks, MAX_TEXT);
        assert_eq!(pieces.iter().map(|p| p.len()).sum::<usize>(), 9000);
        assert_eq!(split_text("short", MAX_TEXT), vec!["short".to_string()]);
    }
}
