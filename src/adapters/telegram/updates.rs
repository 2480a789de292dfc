//! Incoming Telegram updates: long polling with teloxide's dispatcher. Commands (also `/cmd@botname`) and
//! replies to the bot's own messages in groups, DMs (after a deep link, plain text answers for the group),
//! and button presses are turned into [`Incoming`] messages for the engine; its replies go to the group, or
//! privately by DM, with a short note in the group when the bot cannot DM someone yet. Privacy mode on is
//! enough: the bot reads only commands, replies to itself and DMs.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use teloxide::RequestError;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::dptree;
use teloxide::payloads::SetMyCommandsSetters;
use teloxide::prelude::{Requester, Update};
use teloxide::types::{BotCommand, CallbackQuery, ChatId, Message, User, UserId};

use super::transport::{TelegramTransport, deep_link};
use crate::Engine;
use crate::command::{self, Command, CommandName, SettingsCommand};
use crate::i18n::{Lang, Msg};
use crate::message::{Audience, ChatRef, Incoming, Platform, Reply, ReplyKind, UserRef};

/// The Telegram adapter: the engine, a transport, and which group each member's DM answers for.
pub struct TelegramAdapter {
    engine: Arc<Engine>,
    transport: TelegramTransport,
    username: String,
    bot_id: UserId,
    dm_targets: Mutex<HashMap<UserId, i64>>,
}

fn display_name(u: &User) -> String {
    u.username.clone().unwrap_or_else(|| u.full_name())
}

impl TelegramAdapter {
    /// Asks `getMe`, publishes the command menu in Chinese and English, and returns the adapter.
    pub async fn connect(
        engine: Arc<Engine>,
        transport: TelegramTransport,
    ) -> Result<Arc<TelegramAdapter>, RequestError> {
        let bot = transport.bot().clone();
        let me = bot.get_me().await?;
        for lang in [Lang::Zh, Lang::En] {
            let commands: Vec<BotCommand> = CommandName::ALL
                .iter()
                .map(|c| BotCommand::new(c.word(), lang.command_summary(*c)))
                .collect();
            bot.set_my_commands(commands)
                .language_code(lang.code())
                .await?;
        }
        let username = me.username().to_string();
        Ok(Arc::new(TelegramAdapter {
            engine,
            transport: transport.with_username(&username),
            username,
            bot_id: me.user.id,
            dm_targets: Mutex::new(HashMap::new()),
        }))
    }

    /// The transport, knowing the bot's username (for the outbox worker's deep links).
    pub fn transport(&self) -> TelegramTransport {
        self.transport.clone()
    }

    /// Long-polls until `shutdown` resolves.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()> + Send + 'static) {
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
        dispatcher.dispatch().await;
    }

    async fn is_admin(&self, chat: i64, user: UserId) -> bool {
        match self
            .transport
            .bot()
            .get_chat_member(ChatId(chat), user)
            .await
        {
            Ok(member) => member.is_privileged(),
            Err(e) => {
                tracing::warn!(chat, error = %e, "getChatMember failed; treating the sender as a member");
                false
            }
        }
    }

    async fn handle(&self, incoming: Incoming) -> Vec<Reply> {
        let engine = Arc::clone(&self.engine);
        tokio::task::spawn_blocking(move || engine.handle(&incoming, Utc::now()))
            .await
            .unwrap_or_default()
    }

    async fn on_message(&self, msg: Message) {
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
                self.dm_targets
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(user, g);
                let lang = self.engine.chat_language(&tg_chat(g));
                let ready = Reply::to_chat(ReplyKind::Info, lang.render(&Msg::TelegramDmReady));
                self.send(chat, None, &ready).await;
                return;
            }
            let target = self
                .dm_targets
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&user)
                .copied();
            if let Some(g) = target {
                match command::parse(&text) {
                    Command::NotACommand => {
                        text = format!("/answer {text}");
                        group = Some(g);
                    }
                    Command::Answer(_) | Command::Rate(_) | Command::Reveal { .. } => {
                        group = Some(g)
                    }
                    _ => {}
                }
            }
        } else if !text.starts_with('/') {
            let to_bot = msg
                .reply_to_message()
                .and_then(|m| m.from.as_ref())
                .is_some_and(|u| u.id == self.bot_id);
            if !to_bot {
                return;
            }
            text = format!("/answer {text}");
        }
        let target = group.unwrap_or(chat);
        let needs_admin = matches!(
            command::parse(&text),
            Command::Skip | Command::Reveal { personal: false } | Command::Settings(_)
        ) && !matches!(
            command::parse(&text),
            Command::Settings(SettingsCommand::Show)
        );
        let is_admin = group.is_none()
            && !private
            && (anonymous_admin || (needs_admin && self.is_admin(chat, user).await));
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
        self.deliver(target, user, &name, private, replies).await;
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
        let replies = self.handle(incoming).await;
        let _ = bot.answer_callback_query(q.id.clone()).await;
        self.deliver(chat, q.from.id, &name, private, replies).await;
    }

    async fn send(&self, chat: i64, group: Option<i64>, reply: &Reply) -> bool {
        match self.transport.send_to(chat, group, reply).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(chat, error = ?e, "cannot send a reply");
                false
            }
        }
    }

    /// Chat replies go to the chat; private ones by DM, or a short note in the group when that fails.
    async fn deliver(
        &self,
        chat: i64,
        user: UserId,
        name: &str,
        from_dm: bool,
        replies: Vec<Reply>,
    ) {
        for reply in replies {
            match &reply.audience {
                Audience::Chat if !from_dm => {
                    self.send(chat, Some(chat), &reply).await;
                }
                // In a DM, everything is private anyway.
                Audience::Chat | Audience::User(_) => {
                    let dm = i64::try_from(user.0).unwrap_or_default();
                    if self.send(dm, Some(chat), &reply).await || from_dm {
                        continue;
                    }
                    let lang = self.engine.chat_language(&tg_chat(chat));
                    let note = Msg::TelegramCannotDm {
                        name: name.to_string(),
                        link: deep_link(&self.username, chat),
                        received: reply.kind == ReplyKind::Confirmation,
                    };
                    let note = Reply::to_chat(ReplyKind::Info, lang.render(&note));
                    self.send(chat, Some(chat), &note).await;
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
