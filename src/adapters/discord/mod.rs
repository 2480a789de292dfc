//! Discord through serenity and poise. [`commands`] defines the slash commands; [`interactions`] turns
//! commands, button clicks and modal submits into engine calls and answers them (ephemerally when private);
//! [`render`](mod@render) lays replies out as embeds and buttons within Discord's limits; [`transport`] delivers the
//! scheduled posts and reveals from the outbox to each server's chosen channel.
//!
//! The bot needs only the non-privileged `GUILDS` intent: it reads interactions, never message content. A
//! Discord server is one chat for the engine (scores and settings are per server).

pub mod commands;
pub mod interactions;
pub mod render;
pub mod strings;
pub mod traditional;
pub mod transport;

use std::future::Future;
use std::sync::Arc;

use chrono::Utc;
use poise::serenity_prelude as serenity;
use serenity::{FullEvent, GatewayIntents, GuildId, HttpBuilder, Interaction};

pub use interactions::{Handler, discord_chat};
pub use transport::DiscordTransport;

use crate::Engine;
use commands::{Data, Error};
use render::render;

/// The Discord adapter: a serenity client with the poise framework, and the transport for the outbox.
pub struct DiscordAdapter {
    client: serenity::Client,
    transport: DiscordTransport,
    shards: Shards,
}

async fn on_event(ctx: &serenity::Context, event: &FullEvent, data: &Data) -> Result<(), Error> {
    match event {
        FullEvent::InteractionCreate {
            interaction: Interaction::Component(click),
        } => data.handler.on_button(&ctx.http, click).await,
        FullEvent::InteractionCreate {
            interaction: Interaction::Modal(submit),
        } => data.handler.on_modal(&ctx.http, submit).await,
        FullEvent::Ready { .. } | FullEvent::Resume { .. } => {
            crate::metrics::metrics().set_connected("discord", true);
        }
        FullEvent::ShardStageUpdate { event } => {
            let up = event.new == serenity::ConnectionStage::Connected;
            crate::metrics::metrics().set_connected("discord", up);
        }
        FullEvent::GuildCreate { guild, .. } => {
            introduce(
                &ctx.http,
                data.handler.engine(),
                guild.id,
                guild.system_channel_id,
            )
            .await
        }
        _ => {}
    }
    Ok(())
}

/// The first time the bot sees a server, it introduces itself in the server's system channel.
async fn introduce(
    http: &serenity::Http,
    engine: &Arc<Engine>,
    guild: GuildId,
    channel: Option<serenity::ChannelId>,
) {
    let chat = discord_chat(guild);
    let registered = engine
        .blocking("registering a new server", move |e| {
            match e.chat_row(&chat) {
                Ok(None) => e.introduce(&chat, false, false, Utc::now()).map(Some),
                Ok(Some(_)) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
    let welcome = match registered {
        Some(Ok(Some(welcome))) => welcome,
        Some(Ok(None)) | None => return,
        Some(Err(e)) => {
            tracing::error!(guild = guild.get(), error = %e, "cannot register a new server");
            return;
        }
    };
    let Some(channel) = channel else { return };
    for post in render(&welcome) {
        if let Err(e) = channel.send_message(http, post.message()).await {
            tracing::warn!(guild = guild.get(), error = %e, "cannot post the introduction");
            return;
        }
    }
}

/// Whether a reply, posted in a chat, gets a discussion thread: a reveal, in a server that turned threads on.
pub async fn wants_thread(
    engine: &Arc<Engine>,
    chat: &crate::message::ChatRef,
    reply: &crate::message::Reply,
) -> bool {
    if reply.kind != crate::message::ReplyKind::Reveal {
        return false;
    }
    let chat = chat.clone();
    match engine
        .blocking("reading whether threads are on", move |e| e.chat_row(&chat))
        .await
    {
        Some(Ok(row)) => row.is_some_and(|c| c.settings.threads),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "cannot read whether threads are on; no thread opened");
            false
        }
        None => false,
    }
}

/// Opens a discussion thread under a posted reveal when the server turned threads on. A failure (e.g. no
/// permission to create threads) is logged: the reveal itself was delivered.
pub async fn open_thread_if_wanted(
    http: &serenity::Http,
    engine: &Arc<Engine>,
    chat: &crate::message::ChatRef,
    message: &serenity::Message,
    reply: &crate::message::Reply,
) {
    if wants_thread(engine, chat, reply).await {
        open_thread(http, chat, message, reply).await;
    }
}

/// Opens a discussion thread under a posted message, titled with the reply's first line; a failure is logged.
pub async fn open_thread(
    http: &serenity::Http,
    chat: &crate::message::ChatRef,
    message: &serenity::Message,
    reply: &crate::message::Reply,
) {
    let title: String = crate::markup::unescape(&reply.text)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("drillbot")
        .chars()
        .take(100)
        .collect();
    let thread = serenity::CreateThread::new(title.trim().to_string())
        .auto_archive_duration(serenity::AutoArchiveDuration::OneDay);
    if let Err(e) = message
        .channel_id
        .create_thread_from_message(http, message.id, thread)
        .await
    {
        tracing::warn!(chat = %chat.id, error = %e, "cannot open a discussion thread under the reveal");
    }
}

/// How many gateway shards the Discord adapter runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shards {
    /// As many as Discord recommends (`GET /gateway/bot`).
    Auto,
    /// A fixed number.
    Fixed(u32),
}

/// Discord settings beyond connection and pacing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscordOptions {
    /// Register slash commands in this server only (instant, for development) instead of globally.
    pub dev_guild_id: Option<u64>,
    /// Gateway shards.
    pub shards: Shards,
    /// How long the engine may take before an interaction is deferred (Discord allows three seconds).
    /// Not a configuration key: tests set zero to force the deferred path.
    pub ack_within: std::time::Duration,
}

/// How long the gateway's shards get to close on shutdown.
pub const SHARD_SHUTDOWN: std::time::Duration = std::time::Duration::from_secs(5);

impl DiscordAdapter {
    /// Builds the client: `api_url` points serenity's HTTP client elsewhere (a local fake in tests); asks
    /// the gateway address. Slash commands are registered when the gateway says READY.
    pub async fn connect(
        engine: Arc<Engine>,
        token: &str,
        api_url: Option<&url::Url>,
        options: &DiscordOptions,
    ) -> anyhow::Result<DiscordAdapter> {
        let mut http = HttpBuilder::new(token);
        if let Some(url) = api_url {
            // serenity sends requests to a proxy only with its own rate limiter off (it expects the proxy to
            // do the limiting); 429s then reach the outbox worker, which waits and retries.
            http = http
                .proxy(url.as_str().trim_end_matches('/'))
                .ratelimiter_disabled(true);
        }
        let handler = Arc::new(Handler::new(Arc::clone(&engine), options.ack_within));
        let dev_guild = options.dev_guild_id;
        let framework = poise::Framework::builder()
            .options(poise::FrameworkOptions {
                commands: commands::all(),
                event_handler: |ctx, event, _framework, data| Box::pin(on_event(ctx, event, data)),
                on_error: |error| {
                    Box::pin(async move {
                        tracing::warn!(error = %error, "Discord command failed");
                    })
                },
                initialize_owners: false,
                ..Default::default()
            })
            .setup(move |ctx, ready, framework| {
                Box::pin(async move {
                    let commands = &framework.options().commands;
                    match dev_guild {
                        Some(g) => {
                            poise::builtins::register_in_guild(ctx, commands, GuildId::new(g))
                                .await?
                        }
                        None => poise::builtins::register_globally(ctx, commands).await?,
                    }
                    tracing::info!(bot = %ready.user.name, servers = ready.guilds.len(), "Discord ready; slash commands registered");
                    Ok(Data { handler })
                })
            })
            .initialize_owners(false)
            .build();
        let http = http.build();
        // serenity falls back to Discord's public gateway when `GET /gateway` fails; with `api_url` set, the
        // gateway address must come from there too.
        let gateway = match api_url {
            Some(url) => Some(http.get_gateway().await.map_err(|e| {
                anyhow::anyhow!(
                    "discord.api_url is {url}, but its GET /gateway failed ({e}); the gateway address must \
                     come from it"
                )
            })?),
            None => None,
        };
        let client = serenity::ClientBuilder::new_with_http(http, GatewayIntents::GUILDS)
            .framework(framework)
            .await?;
        if let Some(gateway) = gateway {
            *client.ws_url.lock().await = gateway.url;
        }
        let transport = DiscordTransport::new(Arc::clone(&client.http), engine);
        Ok(DiscordAdapter {
            client,
            transport,
            shards: options.shards,
        })
    }

    /// The transport for the outbox worker (shares the client's HTTP client and rate limiter).
    pub fn transport(&self) -> DiscordTransport {
        self.transport.clone()
    }

    /// Runs the gateway until `shutdown` resolves. Shutdown is honoured at any point, also while the gateway
    /// cannot connect (serenity keeps retrying then): the shards get [`SHARD_SHUTDOWN`] to close, and are
    /// dropped after it.
    pub async fn run(
        mut self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), serenity::Error> {
        let shards = Arc::clone(&self.client.shard_manager);
        let start = async {
            match self.shards {
                Shards::Auto => self.client.start_autosharded().await,
                Shards::Fixed(1) => self.client.start().await,
                Shards::Fixed(n) => self.client.start_shards(n).await,
            }
        };
        let ended = tokio::select! {
            ended = start => ended,
            () = shutdown => {
                if tokio::time::timeout(SHARD_SHUTDOWN, shards.shutdown_all()).await.is_err() {
                    tracing::warn!("the Discord shards did not close in time; leaving them");
                }
                Ok(())
            }
        };
        crate::metrics::metrics().set_connected("discord", false);
        ended
    }
}
