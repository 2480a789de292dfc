//! The engine: `handle(incoming, now) -> replies` for what members type, and `tick(now) -> outgoing` for what
//! the schedule does. It owns the bank and the store and knows nothing about any chat platform.

mod info;
mod rounds;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::bank::Bank;
use crate::command::{self, Command, SettingsCommand};
use crate::grading::Grader;
use crate::i18n::{Lang, Msg};
use crate::message::{ChatRef, Incoming, Outgoing, Reply, ReplyKind};
use crate::schedule;
use crate::store::{ChatRow, ChatSettings, Store, StoreError, UserRow};
use crate::vocab::{ChatDefaults, Limits};

/// Why a command did not succeed.
#[derive(Debug)]
enum Failure {
    /// The user's input or situation: tell them, privately, in their chat's language.
    User(Box<Msg>),
    /// Our side failed: log it for the operator, tell the user nothing was saved.
    Internal(String),
    /// The disk holding the database (or its size limit) is full: log it for the operator, tell the user
    /// plainly that nothing was saved and why.
    StorageFull,
}

impl Failure {
    fn user(msg: Msg) -> Failure {
        Failure::User(Box::new(msg))
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DiskFull => Failure::StorageFull,
            e => Failure::Internal(e.to_string()),
        }
    }
}

type Handled = Result<Vec<Reply>, Failure>;

/// Whether the sender's admin rights change what a message does (`/skip`, `/reveal` for the chat, changing
/// `/settings`, `/help`'s admin part). The one rule: the engine decides with it, and an adapter that must ask
/// the platform who is an admin (Telegram) asks only when it holds.
pub fn admin_matters(text: &str) -> bool {
    match command::parse(text) {
        Command::Skip | Command::Reveal { personal: false } | Command::Help => true,
        Command::Settings(s) => s != SettingsCommand::Show,
        _ => false,
    }
}

/// What the engine knows about the message being handled.
struct Ctx<'a> {
    msg: &'a Incoming,
    chat: ChatRow,
    user: UserRow,
    now: DateTime<Utc>,
}

impl Ctx<'_> {
    fn lang(&self) -> Lang {
        self.chat.settings.language
    }

    fn to_chat(&self, kind: ReplyKind, msg: &Msg) -> Reply {
        Reply::to_chat(kind, self.lang().render(msg))
    }

    fn to_user(&self, kind: ReplyKind, msg: &Msg) -> Reply {
        Reply::to_user(&self.msg.user, kind, self.lang().render(msg))
    }
}

/// The drill engine.
pub struct Engine {
    bank: Bank,
    grader: Grader,
    last_prune: std::sync::Mutex<Option<DateTime<Utc>>>,
    store: Store,
    defaults: ChatDefaults,
    limits: Limits,
}

impl Engine {
    /// Builds an engine over a bank and a store, with defaults for new chats and input limits.
    pub fn new(bank: Bank, store: Store, defaults: ChatDefaults, limits: Limits) -> Engine {
        Engine {
            grader: Grader::new(&bank),
            last_prune: std::sync::Mutex::new(None),
            bank,
            store,
            defaults,
            limits,
        }
    }

    /// Deletes sent outbox rows older than the retention period, at most once an hour.
    fn prune_outbox(&self, now: DateTime<Utc>) {
        let mut last = self.last_prune.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|t| now - t < chrono::Duration::hours(1) && now >= t) {
            return;
        }
        *last = Some(now);
        let before = now - chrono::Duration::days(self.limits.outbox_retention_days.into());
        match self.store.prune_sent(before) {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "pruned sent messages from the outbox"),
            Err(e) => tracing::warn!(error = %e, "cannot prune the outbox"),
        }
    }

    /// Input limits (answer length).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The question bank.
    pub fn bank(&self) -> &Bank {
        &self.bank
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Makes sure a chat exists and returns the bot's introduction for it. `schedule_on` starts the daily
    /// schedule for a new chat (the console does; real platforms wait for an admin's `/settings on`).
    pub fn introduce(
        &self,
        chat: &ChatRef,
        is_private: bool,
        schedule_on: bool,
        now: DateTime<Utc>,
    ) -> Result<Reply, String> {
        let row = self
            .ensure_chat(chat, is_private, schedule_on, now)
            .map_err(|e| e.to_string())?;
        let s = &row.settings;
        let msg = Msg::Welcome {
            private: is_private,
            post_time: s.post_time.format("%H:%M").to_string(),
            reveal_time: s.reveal_time.format("%H:%M").to_string(),
            timezone: s.timezone.name().to_string(),
            scheduled: s.scheduled,
        };
        Ok(Reply::to_chat(ReplyKind::Info, s.language.render(&msg)))
    }

    /// The language a chat speaks (the default for a chat not seen yet).
    pub fn chat_language(&self, chat: &ChatRef) -> Lang {
        self.chat_row(chat)
            .ok()
            .flatten()
            .map_or(self.defaults.language, |c| c.settings.language)
    }

    /// The language of new chats (what to speak where there is no chat).
    pub fn default_language(&self) -> Lang {
        self.defaults.language
    }

    /// The settings of a chat, if the bot knows it.
    pub fn chat_row(&self, chat: &ChatRef) -> Result<Option<ChatRow>, StoreError> {
        self.store.find_chat(chat.platform, &chat.id)
    }

    fn ensure_chat(
        &self,
        chat: &ChatRef,
        is_private: bool,
        schedule_on: bool,
        now: DateTime<Utc>,
    ) -> Result<ChatRow, StoreError> {
        let settings = ChatSettings::from_defaults(&self.defaults, schedule_on);
        let seed: i64 = rand::rng().random();
        let (row, _new) =
            self.store
                .ensure_chat(chat.platform, &chat.id, is_private, &settings, seed, now)?;
        Ok(row)
    }

    /// Handles a message on a blocking thread: the one way the async adapters call the engine, so a slow disk
    /// or a wait for the write lock never stalls the runtime. A panic is logged and answered with the
    /// internal-error reply, never with silence.
    pub async fn handle_blocking(
        self: &Arc<Self>,
        msg: Incoming,
        now: DateTime<Utc>,
    ) -> Vec<Reply> {
        let user = msg.user.clone();
        let chat = msg.chat.clone();
        match self
            .blocking("handling a command", move |e| e.handle(&msg, now))
            .await
        {
            Some(replies) => replies,
            None => {
                let lang = self.language_of(chat).await;
                vec![Reply::to_user(
                    &user,
                    ReplyKind::Refusal,
                    lang.render(&Msg::Internal),
                )]
            }
        }
    }

    /// The language a chat speaks, read on a blocking thread (the default when it cannot be read).
    pub async fn language_of(self: &Arc<Self>, chat: ChatRef) -> Lang {
        self.blocking("reading a chat's language", move |e| e.chat_language(&chat))
            .await
            .unwrap_or(self.defaults.language)
    }

    /// Runs `f` with the engine on a blocking thread (the async side's way to the store). A panic is logged
    /// with `what` was being done, and gives `None`.
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        what: &'static str,
        f: impl FnOnce(&Engine) -> T + Send + 'static,
    ) -> Option<T> {
        let engine = Arc::clone(self);
        match tokio::task::spawn_blocking(move || f(&engine)).await {
            Ok(value) => Some(value),
            Err(e) => {
                let cause = e
                    .try_into_panic()
                    .ok()
                    .and_then(|p| {
                        p.downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| p.downcast_ref::<String>().cloned())
                    })
                    .unwrap_or_else(|| "cancelled".into());
                tracing::error!(what, panic = %cause, "a task panicked");
                None
            }
        }
    }

    /// Handles one incoming message and returns the replies to send. Never panics on user input; failures on
    /// our side are logged and answered with a short apology.
    pub fn handle(&self, msg: &Incoming, now: DateTime<Utc>) -> Vec<Reply> {
        let command = command::parse(&msg.text);
        if command == Command::NotACommand {
            return Vec::new();
        }
        crate::metrics::metrics().update(msg.chat.platform.key());
        let answer = matches!(command, Command::Answer(_));
        let ctx = match self.context(msg, now) {
            Ok(ctx) => ctx,
            Err(e) => {
                tracing::error!(error = %e, chat = %msg.chat.id, "cannot load chat or user");
                let lang = self.chat_language(&msg.chat);
                let sorry = match e {
                    StoreError::DiskFull => Msg::StorageFull { answer },
                    _ => Msg::Internal,
                };
                return vec![Reply::to_user(
                    &msg.user,
                    ReplyKind::Refusal,
                    lang.render(&sorry),
                )];
            }
        };
        match self.dispatch(&ctx, command) {
            Ok(mut replies) => {
                if ctx.msg.is_admin
                    && let Ok(Some(reason)) = self.store.paused_reason(ctx.chat.id)
                {
                    replies.push(ctx.to_user(ReplyKind::Info, &Msg::ChatPaused { reason }));
                }
                replies
            }
            Err(Failure::User(m)) => vec![ctx.to_user(ReplyKind::Refusal, &m)],
            Err(Failure::Internal(e)) => {
                tracing::error!(error = %e, chat = %msg.chat.id, user = %msg.user.id, text_len = msg.text.len(), "command failed");
                vec![ctx.to_user(ReplyKind::Refusal, &Msg::Internal)]
            }
            Err(Failure::StorageFull) => {
                tracing::error!(error = %StoreError::DiskFull, chat = %msg.chat.id, user = %msg.user.id, "command failed");
                vec![ctx.to_user(ReplyKind::Refusal, &Msg::StorageFull { answer })]
            }
        }
    }

    fn context<'a>(&self, msg: &'a Incoming, now: DateTime<Utc>) -> Result<Ctx<'a>, StoreError> {
        let chat = self.ensure_chat(&msg.chat, msg.is_private, false, now)?;
        let name = if msg.display_name.trim().is_empty() {
            &msg.user.id
        } else {
            &msg.display_name
        };
        let user = self
            .store
            .ensure_user(msg.user.platform, &msg.user.id, name.trim())?;
        Ok(Ctx {
            msg,
            chat,
            user,
            now,
        })
    }

    fn dispatch(&self, ctx: &Ctx<'_>, command: Command) -> Handled {
        match command {
            Command::NotACommand => Ok(Vec::new()),
            Command::Start(_) => {
                let r = self
                    .introduce(&ctx.msg.chat, ctx.msg.is_private, false, ctx.now)
                    .map_err(Failure::Internal)?;
                Ok(vec![r])
            }
            Command::Today => self.today(ctx),
            Command::Answer(text) => self.answer(ctx, &text),
            Command::Reveal { personal } => {
                if personal || !ctx.msg.is_admin || ctx.msg.is_private {
                    self.personal_reveal(ctx)
                } else {
                    self.chat_reveal(ctx)
                }
            }
            Command::Rate(rating) => self.rate(ctx, rating),
            Command::Leaderboard(period) => self.leaderboard(ctx, period),
            Command::Stats(name) => self.stats(ctx, name.as_deref()),
            Command::Topics => Ok(vec![
                ctx.to_chat(ReplyKind::Info, &self.topics_msg(&ctx.chat)),
            ]),
            Command::Help => Ok(vec![ctx.to_chat(
                ReplyKind::Info,
                &Msg::Help {
                    admin: ctx.msg.is_admin,
                },
            )]),
            Command::Settings(s) => self.settings(ctx, s),
            Command::Skip => self.skip(ctx),
            Command::Unknown(name) => Err(Failure::user(Msg::UnknownCommand(name))),
            Command::Malformed { name, problem } => {
                Err(Failure::user(Msg::Malformed { name, problem }))
            }
        }
    }

    /// Runs the schedule at `now`: posts due questions and reveals due rounds, and returns what to send.
    /// Safe to call from several processes at once: the database lets only one of them post or reveal.
    pub fn tick(&self, now: DateTime<Utc>) -> Vec<Outgoing> {
        let mut out = Vec::new();
        self.prune_outbox(now);
        match self.store.scheduled_chats() {
            Ok(chats) => {
                for chat in chats {
                    match self.scheduled_post(&chat, now) {
                        Ok(Some(o)) => out.push(o),
                        Ok(None) => {}
                        Err(Failure::User(m)) => {
                            tracing::warn!(chat = chat.id, problem = ?m, "scheduled post not made")
                        }
                        Err(Failure::Internal(e)) => {
                            tracing::error!(chat = chat.id, error = %e, "scheduled post failed")
                        }
                        Err(Failure::StorageFull) => {
                            tracing::error!(chat = chat.id, error = %StoreError::DiskFull, "scheduled post failed")
                        }
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot list scheduled chats"),
        }
        match self.store.due_reveals(now) {
            Ok(rounds) => {
                for round in rounds {
                    let chat = match self.store.chat(round.chat_id) {
                        Ok(Some(chat)) => chat,
                        Ok(None) => continue,
                        Err(e) => {
                            tracing::error!(round = round.id, error = %e, "cannot load chat for reveal");
                            continue;
                        }
                    };
                    match self.reveal_round(&chat, &round, now, true) {
                        Ok(Some(reply)) => out.push(Outgoing {
                            chat: chat_ref(&chat),
                            reply,
                        }),
                        Ok(None) => {}
                        Err(e) => {
                            tracing::error!(round = round.id, error = ?e, "scheduled reveal failed")
                        }
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot list due reveals"),
        }
        out
    }

    /// The next instant after `now` at which [`Engine::tick`] has something to do, if any.
    pub fn next_event_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut next = self.store.next_reveal_after(now).ok().flatten();
        for chat in self.store.scheduled_chats().unwrap_or_default() {
            let today = schedule::local_date(now, chat.settings.timezone);
            let has_round = self.store.has_round_on(chat.id, today).unwrap_or(true);
            if let Some(t) = schedule::next_post_after(&chat.settings, now, has_round) {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        next
    }
}

fn chat_ref(chat: &ChatRow) -> ChatRef {
    ChatRef {
        platform: chat.platform,
        id: chat.external_id.clone(),
    }
}
