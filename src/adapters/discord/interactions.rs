//! Interactions in, engine replies out: slash commands, button clicks and modal submits all become one
//! [`Incoming`] for the engine, and its replies are the interaction's response (ephemeral when only the
//! member may see them) plus follow-ups. Every interaction is acknowledged within Discord's three seconds:
//! if the engine takes longer than [`ACK_WITHIN`], the response is deferred (ephemerally) first, and public
//! replies then go to the channel as ordinary messages so they cannot end up private, or private ones public.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serenity::all::{
    ActionRowComponent, ChannelId, CommandInteraction, ComponentInteraction,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateModal, GuildId, Http, Member, ModalInteraction, User,
};

use serenity::all::Message;

use super::render::{Post, render};
use crate::Engine;
use crate::i18n::Lang;
use crate::message::{Audience, ChatRef, Incoming, Platform, Reply, ReplyKind, UserRef};

/// How long the engine may take before the interaction is deferred (Discord allows three seconds).
pub const ACK_WITHIN: Duration = Duration::from_millis(2000);

/// Longest text the answer modal accepts (Discord's limit for a text input).
pub const MODAL_MAX: u16 = 4000;

/// The custom id of the answer button and of its modal.
pub const ANSWER_ID: &str = "/answer";

/// The custom id of the text input in the answer modal.
const ANSWER_INPUT: &str = "answer";

/// A Discord server as the engine's chat.
pub fn discord_chat(guild: GuildId) -> ChatRef {
    ChatRef {
        platform: Platform::Discord,
        id: guild.get().to_string(),
    }
}

/// The interaction being answered.
#[derive(Clone, Copy)]
pub enum Interaction<'a> {
    /// A slash command.
    Command(&'a CommandInteraction),
    /// A button click.
    Component(&'a ComponentInteraction),
    /// A modal submit.
    Modal(&'a ModalInteraction),
}

impl Interaction<'_> {
    fn parts(&self) -> (Option<GuildId>, ChannelId, &User, Option<&Member>) {
        match self {
            Interaction::Command(i) => (i.guild_id, i.channel_id, &i.user, i.member.as_deref()),
            Interaction::Component(i) => (i.guild_id, i.channel_id, &i.user, i.member.as_ref()),
            Interaction::Modal(i) => (i.guild_id, i.channel_id, &i.user, i.member.as_ref()),
        }
    }

    async fn respond(&self, http: &Http, r: CreateInteractionResponse) -> serenity::Result<()> {
        match self {
            Interaction::Command(i) => i.create_response(http, r).await,
            Interaction::Component(i) => i.create_response(http, r).await,
            Interaction::Modal(i) => i.create_response(http, r).await,
        }
    }

    async fn followup(
        &self,
        http: &Http,
        f: CreateInteractionResponseFollowup,
    ) -> serenity::Result<Message> {
        match self {
            Interaction::Command(i) => i.create_followup(http, f).await,
            Interaction::Component(i) => i.create_followup(http, f).await,
            Interaction::Modal(i) => i.create_followup(http, f).await,
        }
    }

    /// Replaces the deferred response's "thinking…" message (`PATCH …/messages/@original`).
    async fn edit_original(
        &self,
        http: &Http,
        e: serenity::all::EditInteractionResponse,
    ) -> serenity::Result<Message> {
        match self {
            Interaction::Command(i) => i.edit_response(http, e).await,
            Interaction::Component(i) => i.edit_response(http, e).await,
            Interaction::Modal(i) => i.edit_response(http, e).await,
        }
    }

    /// The message the first response created.
    async fn response_message(&self, http: &Http) -> serenity::Result<Message> {
        match self {
            Interaction::Command(i) => i.get_response(http).await,
            Interaction::Component(i) => i.get_response(http).await,
            Interaction::Modal(i) => i.get_response(http).await,
        }
    }
}

/// The engine plus what answering interactions needs.
pub struct Handler {
    engine: Arc<Engine>,
    ack_within: Duration,
}

fn display_name(user: &User, member: Option<&Member>) -> String {
    member
        .and_then(|m| m.nick.clone())
        .or_else(|| user.global_name.clone())
        .unwrap_or_else(|| user.name.clone())
}

/// Manage Server (or Administrator), from the permissions Discord computed for this interaction.
fn is_admin(member: Option<&Member>) -> bool {
    member
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.manage_guild() || p.administrator())
}

impl Handler {
    /// A handler over the engine that defers interactions the engine has not answered within `ack_within`
    /// (zero: always).
    pub fn new(engine: Arc<Engine>, ack_within: Duration) -> Handler {
        Handler { engine, ack_within }
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The language of a server (the default one outside servers).
    async fn lang(&self, guild: Option<GuildId>) -> Lang {
        match guild {
            Some(g) => self.engine.language_of(discord_chat(g)).await,
            None => self.engine.default_language(),
        }
    }

    /// Runs `text` as the interaction's member in the interaction's server and answers with the replies.
    pub async fn run(&self, http: &Http, inter: Interaction<'_>, text: String) {
        let (guild, channel, user, member) = inter.parts();
        let Some(guild) = guild else {
            let lang = self.lang(None).await;
            let post = Post {
                content: Some(super::strings::servers_only(lang).to_string()),
                ..Post::default()
            };
            let r = CreateInteractionResponse::Message(post.response(true));
            if let Err(e) = inter.respond(http, r).await {
                tracing::warn!(error = %e, "cannot answer an interaction in a DM");
            }
            return;
        };
        let chat = discord_chat(guild);
        let incoming = Incoming {
            chat: chat.clone(),
            user: UserRef {
                platform: Platform::Discord,
                id: user.id.get().to_string(),
            },
            display_name: display_name(user, member),
            text,
            is_admin: is_admin(member),
            is_private: false,
        };
        let job = self.engine.handle_blocking(incoming, Utc::now());
        tokio::pin!(job);
        let in_time = if self.ack_within.is_zero() {
            None
        } else {
            tokio::time::timeout(self.ack_within, &mut job).await.ok()
        };
        let (replies, deferred) = match in_time {
            Some(replies) => (replies, false),
            None => {
                let defer = CreateInteractionResponse::Defer(
                    CreateInteractionResponseMessage::new().ephemeral(true),
                );
                if let Err(e) = inter.respond(http, defer).await {
                    tracing::warn!(error = %e, "cannot defer an interaction");
                }
                (job.await, true)
            }
        };
        self.answer(http, inter, &chat, channel, replies, deferred)
            .await;
    }

    async fn answer(
        &self,
        http: &Http,
        inter: Interaction<'_>,
        chat: &ChatRef,
        channel: ChannelId,
        replies: Vec<Reply>,
        deferred: bool,
    ) {
        let mut responded = deferred;
        let mut private_sent = false;
        // After a deferral, the "thinking…" message is replaced by the first private post (editing the
        // original response; a follow-up editing it is deprecated), or by the closing note.
        let mut original_pending = deferred;
        // A public post the deferred path could not put in the channel: the member is told why.
        let mut public_failed: Option<String> = None;
        for reply in &replies {
            let ephemeral = matches!(reply.audience, Audience::User(_));
            // A public reveal may get a discussion thread: it needs the first message it became.
            let wants_message = !ephemeral && reply.kind == ReplyKind::Reveal;
            let mut first: Option<Message> = None;
            for post in render(reply) {
                let sent = if !responded {
                    responded = true;
                    let r = CreateInteractionResponse::Message(post.response(ephemeral));
                    match inter.respond(http, r).await {
                        Ok(()) if wants_message && first.is_none() => {
                            inter.response_message(http).await.map(Some)
                        }
                        Ok(()) => Ok(None),
                        Err(e) => Err(e),
                    }
                } else if deferred && !ephemeral {
                    // The deferred response is ephemeral: a public reply goes to the channel instead.
                    channel.send_message(http, post.message()).await.map(Some)
                } else if original_pending && ephemeral {
                    original_pending = false;
                    private_sent = true;
                    inter.edit_original(http, post.edit()).await.map(Some)
                } else {
                    private_sent |= ephemeral;
                    inter
                        .followup(http, post.followup(ephemeral))
                        .await
                        .map(Some)
                };
                match sent {
                    Ok(message) => {
                        if first.is_none() {
                            first = message;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot send a reply to an interaction");
                        if deferred && !ephemeral {
                            public_failed.get_or_insert(e.to_string());
                        }
                    }
                }
            }
            if let (true, Some(message)) = (wants_message, &first) {
                super::open_thread_if_wanted(http, &self.engine, chat, message, reply).await;
            }
        }
        if !responded {
            // Nothing to say (not a command): acknowledge quietly.
            let ack = CreateInteractionResponse::Acknowledge;
            if let Err(e) = inter.respond(http, ack).await {
                tracing::warn!(error = %e, "cannot acknowledge an interaction");
            }
        } else if deferred {
            let note = match public_failed {
                Some(reason) => {
                    let lang = self.engine.language_of(chat.clone()).await;
                    Some(super::strings::post_failed(lang, &reason))
                }
                None => (!private_sent).then(|| "✅".to_string()),
            };
            if let Some(note) = note {
                // The "thinking…" message is still there: it becomes the note. Otherwise the note follows.
                let sent = if original_pending {
                    let edit = serenity::all::EditInteractionResponse::new().content(note);
                    inter.edit_original(http, edit).await.map(drop)
                } else {
                    let follow = CreateInteractionResponseFollowup::new()
                        .content(note)
                        .ephemeral(true);
                    inter.followup(http, follow).await.map(drop)
                };
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "cannot finish a deferred interaction");
                }
            }
        }
    }

    /// A button: "Answer" opens the answer modal; every other button is the command it stands for.
    pub async fn on_button(&self, http: &Http, click: &ComponentInteraction) {
        let id = click.data.custom_id.as_str();
        if id == ANSWER_ID {
            let lang = self.lang(click.guild_id).await;
            let (title, label) = super::strings::answer_modal_labels(lang);
            let input = serenity::all::CreateInputText::new(
                serenity::all::InputTextStyle::Paragraph,
                label,
                ANSWER_INPUT,
            )
            .max_length(MODAL_MAX)
            .required(true);
            let modal = CreateModal::new(ANSWER_ID, title)
                .components(vec![serenity::all::CreateActionRow::InputText(input)]);
            if let Err(e) = click
                .create_response(http, CreateInteractionResponse::Modal(modal))
                .await
            {
                tracing::warn!(error = %e, "cannot open the answer modal");
            }
            return;
        }
        if !id.starts_with('/') {
            let _ = click
                .create_response(http, CreateInteractionResponse::Acknowledge)
                .await;
            return;
        }
        self.run(http, Interaction::Component(click), id.to_string())
            .await;
    }

    /// The answer modal was submitted.
    pub async fn on_modal(&self, http: &Http, submit: &ModalInteraction) {
        let value = submit
            .data
            .components
            .iter()
            .flat_map(|row| row.components.iter())
            .find_map(|c| match c {
                ActionRowComponent::InputText(t) if t.custom_id == ANSWER_INPUT => t.value.clone(),
                _ => None,
            })
            .unwrap_or_default();
        let text = if submit.data.custom_id == ANSWER_ID {
            format!("/answer {value}")
        } else {
            submit.data.custom_id.clone()
        };
        self.run(http, Interaction::Modal(submit), text).await;
    }
}
