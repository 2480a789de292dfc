//! Delivery of outgoing messages to Telegram (the [`Transport`] the outbox worker uses, and the adapter's
//! direct replies). Texts are rendered as Telegram HTML ([`super::html`]) and split under the 4,096-character
//! limit at paragraph boundaries, each part valid HTML on its own; a part Telegram still cannot parse is sent
//! again as plain text. The "answer" button becomes a deep link that opens the DM with the bot with the group
//! preselected. A multiple-choice question is answered with letter buttons: a press is private (see
//! `updates.rs`), so answers stay sealed until the reveal. (Native quiz polls cannot hide who voted what from
//! the group, so the bot no longer posts them; a reveal still closes polls that earlier versions posted.)

use std::sync::Arc;
use std::time::Duration;

use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::Requester;
use teloxide::requests::{Output, Request};
use teloxide::types::{
    ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ParseMode, ReplyParameters,
    ThreadId,
};
use teloxide::{ApiError, Bot, RequestError};

use super::html::{self, Part};
use super::records::TelegramRecords;
use crate::Engine;
use crate::delivery::{ChatWindows, Pacing, SendError, Transport, backoff};
use crate::message::{Audience, Button, Outgoing, Platform, Reply, ReplyKind};

/// Telegram's limit on one message's text, in UTF-16 code units (counted on the rendered HTML, which is never
/// shorter than what Telegram counts).
pub const MAX_TEXT: usize = 4096;

/// Telegram's limit on the text of a callback answer (the private notice a button press gets).
pub const MAX_CALLBACK_TEXT: usize = 200;

/// A chat gets at most one pointer to its question post (`/today` again) in this long: a burst of `/today`
/// is answered once.
const POINTER_INTERVAL: Duration = Duration::from_secs(60);

/// The longest `retry_after` a direct reply waits out; longer waits give up (the member can ask again).
const MAX_DIRECT_WAIT: Duration = Duration::from_secs(60);

/// One Bot API call of an outgoing message.
#[derive(Debug, Clone)]
pub enum TelegramCall {
    /// `sendMessage` with one part of the text (buttons under the last).
    Text {
        /// Where.
        chat: i64,
        /// The part.
        part: Part,
        /// Its buttons.
        keyboard: Option<InlineKeyboardMarkup>,
        /// The round, when the text is a question post (a reply to it is an answer).
        asks_round: Option<i64>,
        /// The forum topic it goes to (`None`: General, or a chat without topics).
        thread: Option<ThreadId>,
    },
    /// `stopPoll` for a revealed round's poll.
    StopPoll {
        /// Where.
        chat: i64,
        /// The poll's message.
        message: i32,
    },
}

impl TelegramCall {
    /// The chat it goes to.
    pub fn chat(&self) -> i64 {
        match self {
            TelegramCall::Text { chat, .. } | TelegramCall::StopPoll { chat, .. } => *chat,
        }
    }

    /// The same call to another chat.
    fn to_chat(&self, to: i64) -> TelegramCall {
        let mut call = self.clone();
        match &mut call {
            TelegramCall::Text { chat, .. } | TelegramCall::StopPoll { chat, .. } => *chat = to,
        }
        call
    }
}

/// Sends messages with the Bot API.
#[derive(Clone)]
pub struct TelegramTransport {
    bot: Bot,
    username: Option<String>,
    engine: Option<Arc<Engine>>,
    retries: u32,
    /// The forum topic direct replies go to (the one the command came from).
    thread: Option<ThreadId>,
    /// The per-chat window direct replies to groups keep to (the outbox's own: 20 a minute).
    pacing: Pacing,
    /// Each group's window, shared by direct replies and the outbox worker.
    replied: ChatWindows,
    /// Each chat's window of pointers to its question post (one a minute).
    pointed: ChatWindows,
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
            engine: None,
            retries: 0,
            thread: None,
            pacing: Pacing::telegram(),
            replied: ChatWindows::default(),
            pointed: ChatWindows::default(),
        }
    }

    /// The same transport, replying in a forum topic (a group's messages go to the topic a command came
    /// from, instead of General).
    pub fn in_thread(&self, thread: Option<ThreadId>) -> TelegramTransport {
        TelegramTransport {
            thread,
            ..self.clone()
        }
    }

    /// The same transport, pacing direct replies to a group by `pacing`'s per-chat window instead of
    /// Telegram's 20 a minute.
    pub fn with_pacing(mut self, pacing: Pacing) -> TelegramTransport {
        self.pacing = pacing;
        self
    }

    /// Waits until a group may get one more direct reply: at most `per_chat` in any `chat_window`, so a
    /// burst of commands stays under Telegram's limit while a single member's reply goes at once. Private
    /// chats are not paced here.
    async fn wait_for_slot(&self, chat: i64) {
        if chat >= 0 {
            return;
        }
        let limit = (self.pacing.per_chat, self.pacing.chat_window);
        let chat = chat.to_string();
        loop {
            let wait = self.replied.take_slot(&chat, limit);
            if wait.is_zero() {
                return;
            }
            tracing::debug!(%chat, ?wait, "pacing a direct reply to a group");
            tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
        }
    }

    /// The same transport, knowing the bot's username (for deep links).
    pub fn with_username(mut self, username: &str) -> TelegramTransport {
        self.username = Some(username.to_string());
        self
    }

    /// The same transport, recording the quiz polls it posts in the engine's store (without it, polls are
    /// posted but their answers cannot be graded).
    pub fn with_engine(mut self, engine: Arc<Engine>) -> TelegramTransport {
        self.engine = Some(engine);
        self
    }

    /// The same transport, retrying each Bot API call up to `retries` more times after a 429 (waiting
    /// `retry_after`, up to a minute) or a network error (with backoff). Direct replies use this; the outbox
    /// worker keeps 0, since it schedules its own retries.
    pub fn with_retries(mut self, retries: u32) -> TelegramTransport {
        self.retries = retries;
        self
    }

    /// The teloxide bot.
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// The Bot API calls that deliver a reply to a chat id: the text rendered and split (the buttons under the
    /// last part), and for a reveal, closing the round's polls (posted by earlier versions). `group` is the
    /// group the reply is about (for deep links).
    pub async fn calls_for(
        &self,
        chat: i64,
        group: Option<i64>,
        reply: &Reply,
    ) -> Vec<TelegramCall> {
        let buttons: Vec<&Button> = reply.buttons.iter().collect();
        // Telegram refuses a message that renders to nothing: such parts are left out, and a reply with
        // only buttons gets a minimal text to hang them on.
        let mut parts: Vec<Part> = html::split_html(&reply.text, MAX_TEXT)
            .into_iter()
            .filter(|p| !p.plain.trim().is_empty())
            .collect();
        if parts.is_empty() {
            if buttons.is_empty() {
                return Vec::new();
            }
            parts.push(Part {
                html: "…".into(),
                plain: "…".into(),
            });
        }
        let last = parts.len() - 1;
        let mut calls: Vec<TelegramCall> = parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| TelegramCall::Text {
                chat,
                keyboard: if i == last {
                    keyboard(&buttons, self.username.as_deref(), group)
                } else {
                    None
                },
                part,
                asks_round: reply
                    .asks_round
                    .filter(|_| reply.audience == Audience::Chat),
                thread: self.thread,
            })
            .collect();
        if let (Some(round), Audience::Chat) = (reply.closes_round, &reply.audience) {
            calls.extend(
                self.poll_messages(chat, round)
                    .await
                    .into_iter()
                    .map(|message| TelegramCall::StopPoll { chat, message }),
            );
        }
        calls
    }

    /// Sends a reply to a chat id, call after call (direct replies; the outbox worker paces each call itself).
    /// A question already posted in the chat (`/today` again) is not posted twice: a short reply to it points
    /// there, at most once a minute per chat.
    pub async fn send_to(
        &self,
        chat: i64,
        group: Option<i64>,
        reply: &Reply,
    ) -> Result<(), SendError> {
        if let (ReplyKind::QuestionPost, Some(round), Audience::Chat) =
            (reply.kind, reply.asks_round, &reply.audience)
            && let Some(first) = self.question_message(chat, round).await
        {
            if !self
                .pointed
                .take_slot(&chat.to_string(), (1, POINTER_INTERVAL))
                .is_zero()
            {
                tracing::debug!(
                    chat,
                    "question pointer sent less than a minute ago; not again"
                );
                return Ok(());
            }
            self.wait_for_slot(chat).await;
            return self.point_to(chat, first).await;
        }
        for call in self.calls_for(chat, group, reply).await {
            self.wait_for_slot(chat).await;
            self.make(&call).await?;
        }
        Ok(())
    }

    /// Makes one call. When Telegram says the group became a supergroup, the chat is moved in the store (with
    /// its scores, schedule and queued posts) and the call is made again to the new id.
    pub async fn make(&self, call: &TelegramCall) -> Result<(), SendError> {
        match self.make_once(call).await {
            Err(SendError::ChatMoved { to }) => {
                let Ok(to) = to.parse::<i64>() else {
                    return Err(SendError::Rejected(format!(
                        "a chat moved to a bad id {to}"
                    )));
                };
                let (this, from) = (self.clone(), call.chat());
                if let Some(engine) = &self.engine {
                    engine
                        .blocking("moving a chat to its supergroup", move |_| {
                            this.chat_moved(from, to)
                        })
                        .await;
                }
                self.make_once(&call.to_chat(to)).await
            }
            other => other,
        }
    }

    /// Records that a group became a supergroup (from the service message or a send's error).
    pub fn chat_moved(&self, from: i64, to: i64) {
        let Some(engine) = &self.engine else { return };
        match TelegramRecords::of(engine.store()).move_chat(from, to) {
            Ok(outcome) => {
                tracing::info!(
                    from,
                    to,
                    ?outcome,
                    "the group became a supergroup; moved the chat"
                )
            }
            Err(e) => tracing::error!(from, to, error = %e, "cannot move a chat to its supergroup"),
        }
    }

    async fn make_once(&self, call: &TelegramCall) -> Result<(), SendError> {
        match call {
            TelegramCall::Text {
                chat,
                part,
                keyboard,
                asks_round,
                thread,
            } => {
                let there = self.in_thread(*thread);
                let message = match there.send_part(*chat, part, keyboard.clone()).await {
                    // The chosen topic was deleted or closed: General still reaches the group.
                    Err(SendError::Rejected(e) | SendError::Permanent(e))
                        if thread.is_some() && e.to_lowercase().contains("thread not found") =>
                    {
                        tracing::warn!(chat, error = %e, "the forum topic is gone; posting in General");
                        self.in_thread(None)
                            .send_part(*chat, part, keyboard.clone())
                            .await?
                    }
                    sent => sent?,
                };
                if let Some(round) = *asks_round {
                    self.record_question_message(*chat, message, round).await;
                }
                Ok(())
            }
            TelegramCall::StopPoll { chat, message } => self.stop_poll(*chat, *message).await,
        }
    }

    /// The message ids of a round's quiz polls in a chat (none without the engine, or if they cannot be read).
    async fn poll_messages(&self, chat: i64, round: i64) -> Vec<i32> {
        let Some(engine) = &self.engine else {
            return Vec::new();
        };
        let listed = engine
            .blocking("listing a round's polls", move |e| {
                TelegramRecords::of(e.store()).poll_messages(round)
            })
            .await;
        match listed {
            Some(Ok(ids)) => ids
                .into_iter()
                .filter_map(|id| i32::try_from(id).ok())
                .collect(),
            Some(Err(e)) => {
                tracing::warn!(chat, round, error = %e, "cannot list the round's polls");
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// Closes a quiz poll of a revealed round, so nobody votes after the answer is out. A poll that cannot be
    /// stopped (deleted, already closed) changes nothing, and a late vote is refused anyway; only a rate
    /// limit is worth trying again.
    async fn stop_poll(&self, chat: i64, message: i32) -> Result<(), SendError> {
        match self.bot.stop_poll(ChatId(chat), MessageId(message)).await {
            Ok(_) => Ok(()),
            Err(e) => match classify(&e) {
                limited @ SendError::RateLimited { .. } => Err(limited),
                _ => {
                    tracing::debug!(chat, message, error = %e, "cannot stop a quiz poll");
                    Ok(())
                }
            },
        }
    }

    /// The first message of a round's question post in a chat, if the bot posted it there.
    async fn question_message(&self, chat: i64, round: i64) -> Option<i32> {
        let engine = self.engine.as_ref()?;
        let found = engine
            .blocking("looking up a question post", move |e| {
                TelegramRecords::of(e.store()).question_message(chat, round)
            })
            .await?;
        match found {
            Ok(id) => id.and_then(|id| i32::try_from(id).ok()),
            Err(e) => {
                tracing::warn!(chat, round, error = %e, "cannot look up a question post");
                None
            }
        }
    }

    /// A short reply to the question post, instead of posting it again.
    async fn point_to(&self, chat: i64, message: i32) -> Result<(), SendError> {
        let lang = match &self.engine {
            Some(engine) => {
                engine
                    .language_of(crate::message::ChatRef {
                        platform: Platform::Telegram,
                        id: chat.to_string(),
                    })
                    .await
            }
            None => crate::vocab::Lang::Zh,
        };
        let text = html::to_html(&super::strings::TelegramText::QuestionAbove.render(lang));
        // If the post was deleted, the pointer is sent on its own.
        let mut request = self
            .bot
            .send_message(ChatId(chat), text)
            .parse_mode(ParseMode::Html)
            .reply_parameters(
                ReplyParameters::new(MessageId(message)).allow_sending_without_reply(),
            );
        if let Some(thread) = self.thread {
            request = request.message_thread_id(thread);
        }
        self.call(request).await.map(drop).map_err(|e| classify(&e))
    }

    /// Remembers that a message is (part of) a round's question post, so that a reply to it is an answer.
    /// Best effort: without the record, a reply to it is not taken as an answer (`/answer` still works).
    async fn record_question_message(&self, chat: i64, message: i32, round: i64) {
        let Some(engine) = &self.engine else { return };
        let recorded = engine
            .blocking("recording a question message", move |e| {
                TelegramRecords::of(e.store()).record_question_message(chat, message.into(), round)
            })
            .await;
        if let Some(Err(e)) = recorded {
            tracing::warn!(chat, round, error = %e, "cannot record a question message; replies to it will not count");
        }
    }

    /// Sends one part; returns the message's id.
    async fn send_part(
        &self,
        chat: i64,
        part: &Part,
        kb: Option<InlineKeyboardMarkup>,
    ) -> Result<i32, SendError> {
        let mut request = self
            .bot
            .send_message(ChatId(chat), part.html.clone())
            .parse_mode(ParseMode::Html);
        if let Some(thread) = self.thread {
            request = request.message_thread_id(thread);
        }
        if let Some(kb) = kb.clone() {
            request = request.reply_markup(kb);
        }
        match self.call(request).await {
            Ok(sent) => Ok(sent.id.0),
            Err(RequestError::Api(ApiError::CantParseEntities(e))) => {
                tracing::warn!(chat, error = %e, "Telegram could not parse our HTML; sending the part as plain text");
                let mut request = self.bot.send_message(ChatId(chat), part.plain.clone());
                if let Some(thread) = self.thread {
                    request = request.message_thread_id(thread);
                }
                if let Some(kb) = kb {
                    request = request.reply_markup(kb);
                }
                self.call(request)
                    .await
                    .map(|sent| sent.id.0)
                    .map_err(|e| classify(&e))
            }
            Err(e) => Err(classify(&e)),
        }
    }

    /// Sends a request, retrying 429s and network errors as [`TelegramTransport::with_retries`] says.
    async fn call<R>(&self, request: R) -> Result<Output<R>, RequestError>
    where
        R: Request<Err = RequestError>,
    {
        let mut attempt = 0;
        loop {
            let e = match request.send_ref().await {
                Ok(out) => return Ok(out),
                Err(e) => e,
            };
            attempt += 1;
            let wait = match classify(&e) {
                SendError::RateLimited { retry_after, .. } if retry_after <= MAX_DIRECT_WAIT => {
                    retry_after
                }
                SendError::Transient(_) => backoff(attempt.into()),
                _ => return Err(e),
            };
            if attempt > self.retries {
                return Err(e);
            }
            tracing::warn!(error = %e, ?wait, attempt, "Telegram call failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }
}

/// The deep link that opens the DM with the bot with a group preselected.
pub fn deep_link(username: &str, group: i64) -> String {
    format!("https://t.me/{username}?start=g{group}")
}

fn keyboard(
    buttons: &[&Button],
    username: Option<&str>,
    group: Option<i64>,
) -> Option<InlineKeyboardMarkup> {
    let buttons: Vec<InlineKeyboardButton> = buttons
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
        RequestError::MigrateToChatId(to) => SendError::ChatMoved {
            to: to.0.to_string(),
        },
        RequestError::Api(_) => SendError::Rejected(e.to_string()),
        RequestError::InvalidJson { raw, .. } => match http_status_in(raw) {
            // Not the Bot API speaking: a proxy's or server's error page. teloxide drops the HTTP status, so
            // it is read from the page; a server error or a cut-off answer is worth retrying, anything else
            // (a 404 from a wrong `api_url`, a 403 from a proxy) is not, for this message.
            Some(status) if !(500..600).contains(&status) => {
                SendError::Rejected(format!("HTTP {status} without a Bot API answer: {e}"))
            }
            _ => SendError::Transient(e.to_string()),
        },
        RequestError::Network(_) | RequestError::Io(_) => SendError::Transient(e.to_string()),
    }
}

/// The HTTP status an error page names near its start (`<title>502 Bad Gateway</title>`, `404 page not
/// found`), if any: the first three-digit number from 400 to 599 standing on its own.
fn http_status_in(page: &str) -> Option<u16> {
    let head: String = page.chars().take(512).collect();
    head.split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 3)
        .filter_map(|w| w.parse::<u16>().ok())
        .find(|n| (400..600).contains(n))
}

impl Transport for TelegramTransport {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    fn chat_windows(&self) -> Option<ChatWindows> {
        Some(self.replied.clone())
    }

    type Call = TelegramCall;

    async fn calls(&self, outgoing: &Outgoing) -> Result<Vec<TelegramCall>, SendError> {
        let chat: i64 = outgoing.chat.id.parse().map_err(|_| {
            SendError::Rejected(format!("not a Telegram chat id: {}", outgoing.chat.id))
        })?;
        // A group's scheduled posts go to the forum topic an admin chose with `/settings here`.
        let topic = match (&self.engine, outgoing.reply.audience == Audience::Chat) {
            (Some(engine), true) => {
                let at = outgoing.chat.clone();
                engine
                    .blocking("reading a group's forum topic", move |e| e.chat_row(&at))
                    .await
                    .and_then(Result::ok)
                    .flatten()
                    .and_then(|c| c.settings.channel)
                    .and_then(|c| i32::try_from(c.0).ok())
                    .map(|id| ThreadId(MessageId(id)))
            }
            _ => None,
        };
        Ok(self
            .in_thread(topic)
            .calls_for(chat, Some(chat), &outgoing.reply)
            .await)
    }

    async fn send_call(&self, _outgoing: &Outgoing, call: &TelegramCall) -> Result<(), SendError> {
        self.make(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_json(raw: &str) -> RequestError {
        let source = serde_json::from_str::<serde_json::Value>(raw).unwrap_err();
        RequestError::InvalidJson {
            source: Arc::new(source),
            raw: raw.into(),
        }
    }

    #[test]
    fn an_error_page_instead_of_a_bot_api_answer_is_retried_only_for_server_errors() {
        let kind = |raw: &str| match classify(&invalid_json(raw)) {
            SendError::Transient(_) => "transient",
            SendError::Rejected(_) => "rejected",
            other => panic!("{other:?}"),
        };
        assert_eq!(
            kind("<html><title>502 Bad Gateway</title></html>"),
            "transient"
        );
        assert_eq!(
            kind("<h1>503 Service Temporarily Unavailable</h1>"),
            "transient"
        );
        assert_eq!(kind(""), "transient", "a cut-off answer");
        assert_eq!(kind("404 page not found"), "rejected");
        assert_eq!(kind("<html><head><title>403 Forbidden</title>"), "rejected");
        assert_eq!(kind("<p>Error 1234567</p>"), "transient", "no status named");
    }

    #[tokio::test]
    async fn no_call_sends_an_empty_text() {
        let transport = TelegramTransport::new("1:t", Some("http://127.0.0.1:9/".parse().unwrap()));
        let empty = Reply::to_chat(crate::message::ReplyKind::Info, "  \n\n ".into());
        assert!(transport.calls_for(-1, None, &empty).await.is_empty());
        let buttons_only = empty.with_buttons(vec![Button {
            label: "A".into(),
            command: "/rate good".into(),
        }]);
        let calls = transport.calls_for(-1, None, &buttons_only).await;
        assert_eq!(calls.len(), 1);
        let TelegramCall::Text { part, keyboard, .. } = &calls[0] else {
            panic!("{calls:?}")
        };
        assert!(!part.html.trim().is_empty());
        assert!(keyboard.is_some());
    }
}
