//! Incoming Telegram updates: long polling with teloxide's dispatcher. Commands (also `/cmd@botname`) and
//! replies to the bot's own messages in groups, DMs (after a deep link, plain text answers for the group, and
//! `/stats`, `/leaderboard` about it), button presses and quiz poll answers are turned into [`Incoming`]
//! messages for the engine; its replies go to the group, or privately by DM, with a short note in the group
//! when the bot cannot DM someone yet. Privacy mode on is enough: the bot reads only commands, replies to
//! itself, DMs and answers to its own polls.

use std::future::Future;
use std::sync::Arc;

use super::TelegramWebhook;
use super::records::TelegramRecords;
use super::strings::TelegramText;
use anyhow::Context;
use chrono::Utc;
use teloxide::RequestError;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::dptree;
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::payloads::{AnswerCallbackQuerySetters, SetMyCommandsSetters};
use teloxide::prelude::{Requester, Update};
use teloxide::types::{
    BotCommand, CallbackQuery, ChatId, ChatMember, ChatMemberUpdated, Message, PollAnswer,
    ThreadId, User, UserId,
};
use teloxide::update_listeners::webhooks;

use super::html;
use super::transport::{MAX_CALLBACK_TEXT, TelegramTransport, deep_link};
use crate::Engine;
use crate::command::{self, Command, CommandName, SettingsCommand};
use crate::i18n::{Lang, Msg};
use crate::message::{Audience, ChatRef, Incoming, Platform, Reply, ReplyKind, UserRef};

/// How many times a direct reply's Bot API call is tried again after a 429 or a network error.
const DIRECT_RETRIES: u32 = 3;

/// The Telegram adapter: the engine and a transport. Which group each member's DM is for is in the store.
pub struct TelegramAdapter {
    engine: Arc<Engine>,
    transport: TelegramTransport,
    username: String,
    bot_id: UserId,
}

fn display_name(u: &User) -> String {
    u.username.clone().unwrap_or_else(|| u.full_name())
}

impl TelegramAdapter {
    /// Asks `getMe`, publishes the command menu in Chinese, in English and as the default for other client
    /// languages, and returns the adapter.
    pub async fn connect(
        engine: Arc<Engine>,
        transport: TelegramTransport,
    ) -> Result<Arc<TelegramAdapter>, RequestError> {
        let bot = transport.bot().clone();
        let me = bot.get_me().await?;
        let menu = |lang: Lang| -> Vec<BotCommand> {
            CommandName::ALL
                .iter()
                .map(|c| BotCommand::new(c.word(), lang.command_summary(*c)))
                .collect()
        };
        for lang in [Lang::Zh, Lang::En] {
            bot.set_my_commands(menu(lang))
                .language_code(lang.code())
                .await?;
        }
        // Clients in any other language get the default menu (no language code), in the bot's default
        // language.
        bot.set_my_commands(menu(engine.default_language())).await?;
        let username = me.username().to_string();
        let transport = transport
            .with_username(&username)
            .with_engine(Arc::clone(&engine))
            .with_retries(DIRECT_RETRIES);
        Ok(Arc::new(TelegramAdapter {
            engine,
            transport,
            username,
            bot_id: me.user.id,
        }))
    }

    /// The transport for the outbox worker: it knows the bot's username (for deep links) and records quiz
    /// polls; it does not retry by itself, since the worker schedules retries.
    pub fn transport(&self) -> TelegramTransport {
        self.transport.clone().with_retries(0)
    }

    /// Long-polls until `shutdown` resolves.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()> + Send + 'static) {
        if let Err(e) = self.run_with(None, shutdown).await {
            tracing::error!(error = %e, "Telegram updates stopped");
        }
    }

    /// Receives updates until `shutdown` resolves: by long polling, or with `webhook` by listening for
    /// Telegram's posts (after `setWebhook`; the secret token teloxide generates is checked on each post).
    pub async fn run_with(
        self: Arc<Self>,
        webhook: Option<TelegramWebhook>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let handler = dptree::entry()
            .branch(Update::filter_message().endpoint(
                |msg: Message, a: Arc<TelegramAdapter>| async move {
                    a.on_message(msg).await;
                    Ok::<(), RequestError>(())
                },
            ))
            .branch(Update::filter_callback_query().endpoint(
                |q: CallbackQuery, a: Arc<TelegramAdapter>| async move {
                    a.on_callback(q).await;
                    Ok::<(), RequestError>(())
                },
            ))
            .branch(Update::filter_poll_answer().endpoint(
                |answer: PollAnswer, a: Arc<TelegramAdapter>| async move {
                    a.on_poll_answer(answer).await;
                    Ok::<(), RequestError>(())
                },
            ))
            .branch(Update::filter_my_chat_member().endpoint(
                |change: ChatMemberUpdated, a: Arc<TelegramAdapter>| async move {
                    a.on_my_membership(change).await;
                    Ok::<(), RequestError>(())
                },
            ));
        let mut dispatcher = Dispatcher::builder(self.transport.bot().clone(), handler)
            .dependencies(dptree::deps![Arc::clone(&self)])
            .default_handler(|_| async {})
            .build();
        let token = dispatcher.shutdown_token();
        tokio::spawn(async move {
            shutdown.await;
            // The dispatcher may not have started yet: try until it accepts the shutdown.
            loop {
                match token.shutdown() {
                    Ok(done) => return done.await,
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                }
            }
        });
        // getMe answered when the adapter connected; the dispatcher retries failed polls by itself, so the
        // connection counts as up from here until the dispatcher stops.
        crate::metrics::metrics().set_connected("telegram", true);
        let dispatched = self.dispatch(&mut dispatcher, webhook).await;
        crate::metrics::metrics().set_connected("telegram", false);
        dispatched
    }

    async fn dispatch(
        &self,
        dispatcher: &mut Dispatcher<teloxide::Bot, RequestError, teloxide::dispatching::DefaultKey>,
        webhook: Option<TelegramWebhook>,
    ) -> anyhow::Result<()> {
        match webhook {
            None => dispatcher.dispatch().await,
            Some(hook) => {
                // Bind first, so a taken port is a clear error rather than a panic in a background task.
                let tcp = tokio::net::TcpListener::bind(hook.listen)
                    .await
                    .with_context(|| {
                        format!("cannot listen for Telegram webhooks on {}", hook.listen)
                    })?;
                let options = webhooks::Options::new(hook.listen, hook.url.clone());
                let (listener, stopped, app) =
                    webhooks::axum_to_router(self.transport.bot().clone(), options)
                        .await
                        .context("setWebhook failed")?;
                tokio::spawn(async move {
                    if let Err(e) = axum::serve(tcp, app).with_graceful_shutdown(stopped).await {
                        tracing::error!(error = %e, "the webhook server failed");
                    }
                });
                tracing::info!(url = %hook.url, listen = %hook.listen, "receiving Telegram updates by webhook");
                dispatcher
                    .dispatch_with_listener(
                        listener,
                        LoggingErrorHandler::with_custom_text("a Telegram webhook update failed"),
                    )
                    .await;
            }
        }
        Ok(())
    }

    /// The sender's membership of a chat, or `None` (logged) when Telegram cannot say.
    async fn chat_member(&self, chat: i64, user: UserId) -> Option<ChatMember> {
        match self
            .transport
            .bot()
            .get_chat_member(ChatId(chat), user)
            .await
        {
            Ok(member) => Some(member),
            Err(e) => {
                tracing::warn!(chat, error = %e, "getChatMember failed; assuming no rights and no membership");
                None
            }
        }
    }

    async fn is_admin(&self, chat: i64, user: UserId) -> bool {
        self.chat_member(chat, user)
            .await
            .is_some_and(|m| m.is_privileged())
    }

    async fn is_member(&self, group: i64, user: UserId) -> bool {
        self.chat_member(group, user)
            .await
            .is_some_and(|m| m.is_present())
    }

    async fn handle(&self, incoming: Incoming) -> Vec<Reply> {
        self.engine.handle_blocking(incoming, Utc::now()).await
    }

    async fn on_message(&self, msg: Message) {
        // A group that became a supergroup: the old chat says where it went, the new one where it came from.
        let moved = match (msg.migrate_to_chat_id(), msg.migrate_from_chat_id()) {
            (Some(to), _) => Some((msg.chat.id.0, to.0)),
            (None, Some(from)) => Some((from.0, msg.chat.id.0)),
            (None, None) => None,
        };
        if let Some((from, to)) = moved {
            let transport = self.transport.clone();
            self.engine
                .blocking("moving a chat to its supergroup", move |_| {
                    transport.chat_moved(from, to)
                })
                .await;
            return;
        }
        let Some(raw) = msg.text() else { return };
        let chat = msg.chat.id.0;
        let private = msg.chat.is_private();
        // A group's anonymous admin posts as the group itself.
        let anonymous_admin = msg
            .sender_chat
            .as_ref()
            .is_some_and(|c| c.id == msg.chat.id);
        let (user, name) = match (&msg.from, anonymous_admin) {
            (_, true) => (UserId(chat.unsigned_abs()), "admin".to_string()),
            (Some(u), false) => (u.id, display_name(u)),
            (None, false) => return,
        };
        let mut text = raw.trim().to_string();
        // `/cmd@otherbot` is meant for another bot in the group.
        let head = text.split_whitespace().next().unwrap_or("");
        if head.starts_with('/')
            && let Some((_, to)) = head.split_once('@')
            && !to.eq_ignore_ascii_case(&self.username)
        {
            return;
        }
        let mut group = None;
        if private {
            if let Some(g) = text
                .strip_prefix("/start")
                .map(str::trim)
                .and_then(|p| p.strip_prefix('g'))
                .and_then(|g| g.parse::<i64>().ok())
            {
                // Only a member of the group may answer for it or read its boards from the DM.
                if !self.is_member(g, user).await {
                    let lang = self.engine.language_of(tg_chat(g)).await;
                    let refusal =
                        Reply::to_chat(ReplyKind::Refusal, TelegramText::NotMember.render(lang));
                    self.send(chat, None, &refusal).await;
                    return;
                }
                if let Err(e) = self.set_dm_target(user, g).await {
                    tracing::error!(error = %e, "cannot remember a DM target");
                    let lang = self.engine.language_of(tg_chat(g)).await;
                    let sorry = Reply::to_chat(ReplyKind::Refusal, lang.render(&Msg::Internal));
                    self.send(chat, None, &sorry).await;
                    return;
                }
                let lang = self.engine.language_of(tg_chat(g)).await;
                let ready = Reply::to_chat(ReplyKind::Info, TelegramText::DmReady.render(lang));
                self.send(chat, None, &ready).await;
                return;
            }
            if let Some(g) = self.dm_target(user).await {
                match command::parse(&text) {
                    Command::NotACommand => {
                        text = format!("/answer {text}");
                        group = Some(g);
                    }
                    // About the group the member chose; the replies stay in the DM.
                    Command::Answer(_)
                    | Command::Today
                    | Command::Rate(_)
                    | Command::Reveal { .. }
                    | Command::Stats(_)
                    | Command::Leaderboard(_) => group = Some(g),
                    _ => {}
                }
            } else if matches!(
                command::parse(&text),
                Command::NotACommand
                    | Command::Answer(_)
                    | Command::Today
                    | Command::Rate(_)
                    | Command::Reveal { .. }
                    | Command::Skip
            ) {
                // The round is a group's: a DM no group's button opened says how to get there.
                let lang = self.engine.language_of(tg_chat(chat)).await;
                let how = Reply::to_chat(ReplyKind::Info, TelegramText::NoGroup.render(lang));
                self.send(chat, None, &how).await;
                return;
            }
        } else if !text.starts_with('/') {
            // Only a reply to the open round's question post is an answer ("thanks" under /help is not).
            let Some(replied) = msg
                .reply_to_message()
                .filter(|m| m.from.as_ref().is_some_and(|u| u.id == self.bot_id))
            else {
                return;
            };
            if !self.answers_open_question(chat, replied.id.0).await {
                return;
            }
            text = format!("/answer {text}");
        }
        // A bare `/settings here` in a forum topic names that topic (elsewhere it means General).
        if let Some(topic) = msg.thread_id.filter(|_| msg.is_topic_message && !private)
            && text.split_whitespace().count() == 2
            && command::parse(&text) == Command::Settings(SettingsCommand::Here(None))
        {
            text = format!("/settings here {}", topic.0.0);
        }
        let target = group.unwrap_or(chat);
        // Asking Telegram costs a call: only when the engine says admin rights change the answer.
        let is_admin = group.is_none()
            && !private
            && (anonymous_admin
                || (crate::engine::admin_matters(&text) && self.is_admin(chat, user).await));
        let incoming = Incoming {
            chat: tg_chat(target),
            user: UserRef {
                platform: Platform::Telegram,
                id: user.0.to_string(),
            },
            display_name: name.clone(),
            text,
            is_admin,
            // A DM answering for a group is handled in the group's context, replies stay private.
            is_private: private && group.is_none(),
        };
        let replies = self.handle(incoming).await;
        // Replies to a command in a forum topic stay in that topic (a DM answering for a group has none).
        let thread = msg
            .thread_id
            .filter(|_| msg.is_topic_message && group.is_none());
        self.deliver((target, thread), user, &name, private, replies)
            .await;
    }

    async fn on_callback(&self, q: CallbackQuery) {
        let bot = self.transport.bot().clone();
        let (Some(data), Some(message)) = (q.data.clone(), q.message.as_ref()) else {
            let _ = bot.answer_callback_query(q.id.clone()).await;
            return;
        };
        let chat = message.chat().id.0;
        let private = message.chat().is_private();
        let name = display_name(&q.from);
        let incoming = Incoming {
            chat: tg_chat(chat),
            user: UserRef {
                platform: Platform::Telegram,
                id: q.from.id.0.to_string(),
            },
            display_name: name.clone(),
            text: data,
            is_admin: false,
            is_private: private,
        };
        let mut replies = self.handle(incoming).await;
        // In a group, the first private reply that fits (the confirmation of a pick, a refusal) is the press's
        // own notice, which only the presser sees: a sealed answer needs no DM.
        let notice = (!private)
            .then(|| {
                replies.iter().position(|r| {
                    matches!(r.audience, Audience::User(_))
                        && html::telegram_len(&html::to_plain(&r.text)) <= MAX_CALLBACK_TEXT
                })
            })
            .flatten()
            .map(|i| replies.remove(i));
        let answer = bot.answer_callback_query(q.id.clone());
        let answered = match &notice {
            Some(r) => answer.text(html::to_plain(&r.text)).show_alert(true).await,
            None => answer.await,
        };
        if let Err(e) = answered {
            // The notice goes the usual way instead (a DM, or a note in the group).
            tracing::debug!(chat, error = %e, "cannot answer a button press");
            replies.extend(notice);
        }
        let thread = q
            .message
            .as_ref()
            .and_then(|m| m.regular_message())
            .filter(|m| m.is_topic_message)
            .and_then(|m| m.thread_id);
        self.deliver((chat, thread), q.from.id, &name, private, replies)
            .await;
    }

    /// A poll answer: `/answer <letters>` for the voter in the poll's group, while its round is open. Every
    /// reply (the confirmation, a refusal) goes by DM, never to the group; when the DM fails it is logged.
    /// Added to a group: introduce the bot (what it does, the defaults, and `/settings on` to start).
    async fn on_my_membership(&self, change: ChatMemberUpdated) {
        let joined = !change.old_chat_member.is_present() && change.new_chat_member.is_present();
        if !joined || change.chat.is_private() {
            return;
        }
        let chat = change.chat.id.0;
        let welcome = self
            .engine
            .blocking("introducing the bot", move |e| {
                e.introduce(&tg_chat(chat), false, false, Utc::now())
            })
            .await;
        match welcome {
            Some(Ok(reply)) => {
                self.send(chat, Some(chat), &reply).await;
            }
            Some(Err(e)) => tracing::error!(chat, error = %e, "cannot register a new group"),
            None => {}
        }
    }

    async fn on_poll_answer(&self, answer: PollAnswer) {
        let Some(voter) = answer.voter.user().cloned() else {
            return;
        };
        if answer.option_ids.is_empty() {
            // A retracted vote (regular polls allow it): the earlier answer stands until another one comes.
            tracing::info!(
                user = voter.id.0,
                "a poll vote was retracted; the earlier answer stands"
            );
            return;
        }
        let poll_id = answer.poll_id.0.clone();
        let found = self
            .engine
            .blocking("looking up a poll", move |engine| {
                let poll = TelegramRecords::of(engine.store()).poll(&poll_id)?;
                let Some(poll) = poll else {
                    return Ok(None);
                };
                let open = engine.store().open_round(poll.chat_id)?;
                Ok::<_, crate::store::StoreError>(Some((poll, open.map(|r| r.id))))
            })
            .await;
        let (poll, open_round) = match found {
            Some(Ok(Some(found))) => found,
            Some(Ok(None)) => {
                tracing::debug!(poll = %answer.poll_id.0, "an answer to a poll we did not post");
                return;
            }
            Some(Err(e)) => {
                tracing::error!(error = %e, "cannot look up a poll");
                return;
            }
            None => return,
        };
        let Ok(group) = poll.chat_external_id.parse::<i64>() else {
            return;
        };
        let dm = i64::try_from(voter.id.0).unwrap_or_default();
        let name = display_name(&voter);
        let replies = if open_round == Some(poll.round_id) {
            let letters: String = answer
                .option_ids
                .iter()
                .map(|&i| char::from(b'A' + i.min(25)))
                .collect();
            let incoming = Incoming {
                chat: tg_chat(group),
                user: UserRef {
                    platform: Platform::Telegram,
                    id: voter.id.0.to_string(),
                },
                display_name: name,
                text: format!("/answer {letters}"),
                is_admin: false,
                is_private: false,
            };
            self.handle(incoming).await
        } else {
            let lang = self.engine.language_of(tg_chat(group)).await;
            vec![Reply::to_chat(
                ReplyKind::Refusal,
                TelegramText::PollClosed.render(lang),
            )]
        };
        for reply in replies {
            if !self.send(dm, Some(group), &reply).await {
                tracing::info!(
                    user = voter.id.0,
                    group,
                    "a poll answer's reply could not be sent by DM; not posting it in the group"
                );
            }
        }
    }

    /// Whether a message of the bot in a group is (part of) the question post of the group's open round.
    async fn answers_open_question(&self, chat: i64, message: i32) -> bool {
        let found = self
            .engine
            .blocking("looking up a replied-to message", move |e| {
                let Some(round) =
                    TelegramRecords::of(e.store()).question_round(chat, message.into())?
                else {
                    return Ok(false);
                };
                let Some(row) = e.chat_row(&tg_chat(chat))? else {
                    return Ok(false);
                };
                let open = e.store().open_round(row.id)?;
                Ok::<_, crate::store::StoreError>(open.is_some_and(|r| r.id == round))
            })
            .await;
        match found {
            Some(Ok(open)) => open,
            Some(Err(e)) => {
                tracing::error!(chat, error = %e, "cannot look up a replied-to message");
                false
            }
            None => false,
        }
    }

    /// The group a member's DM is for (their last deep link).
    async fn dm_target(&self, user: UserId) -> Option<i64> {
        let user = i64::try_from(user.0).ok()?;
        match self
            .engine
            .blocking("reading a DM target", move |e| {
                TelegramRecords::of(e.store()).dm_target(user)
            })
            .await?
        {
            Ok(target) => target,
            Err(e) => {
                tracing::error!(error = %e, "cannot read a DM target");
                None
            }
        }
    }

    async fn set_dm_target(&self, user: UserId, group: i64) -> Result<(), String> {
        let user = i64::try_from(user.0).map_err(|e| e.to_string())?;
        self.engine
            .blocking("saving a DM target", move |e| {
                TelegramRecords::of(e.store()).set_dm_target(user, group, Utc::now())
            })
            .await
            .ok_or("the task panicked")?
            .map_err(|e| e.to_string())
    }

    async fn send(&self, chat: i64, group: Option<i64>, reply: &Reply) -> bool {
        self.send_in(chat, group, None, reply).await
    }

    /// Sends a reply into a forum topic of the chat (`None`: the chat itself, or General).
    async fn send_in(
        &self,
        chat: i64,
        group: Option<i64>,
        thread: Option<ThreadId>,
        reply: &Reply,
    ) -> bool {
        match self
            .transport
            .in_thread(thread)
            .send_to(chat, group, reply)
            .await
        {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(chat, error = ?e, "cannot send a reply");
                false
            }
        }
    }

    /// Chat replies go to the chat; private ones by DM, or a short note in the group when that fails.
    /// A command from a forum topic (`thread`) is answered in that topic.
    async fn deliver(
        &self,
        (chat, thread): (i64, Option<ThreadId>),
        user: UserId,
        name: &str,
        from_dm: bool,
        replies: Vec<Reply>,
    ) {
        for reply in replies {
            match &reply.audience {
                Audience::Chat if !from_dm => {
                    self.send_in(chat, Some(chat), thread, &reply).await;
                }
                // In a DM, everything is private anyway.
                Audience::Chat | Audience::User(_) => {
                    let dm = i64::try_from(user.0).unwrap_or_default();
                    if self.send(dm, Some(chat), &reply).await || from_dm {
                        continue;
                    }
                    let lang = self.engine.language_of(tg_chat(chat)).await;
                    let note = TelegramText::CannotDm {
                        name: name.to_string(),
                        link: deep_link(&self.username, chat),
                        received: reply.kind == ReplyKind::Confirmation,
                    };
                    let note = Reply::to_chat(ReplyKind::Info, note.render(lang));
                    self.send_in(chat, Some(chat), thread, &note).await;
                }
            }
        }
    }
}

fn tg_chat(id: i64) -> ChatRef {
    ChatRef {
        platform: Platform::Telegram,
        id: id.to_string(),
    }
}
