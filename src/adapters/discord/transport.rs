//! Delivery of scheduled posts and reveals to Discord (the [`Transport`] the outbox worker uses): each goes to
//! the channel an admin chose with `/settings channel`, through serenity's HTTP client, whose rate limiter
//! honours `retry_after` on 429s (behind a proxy, where serenity turns it off, the outbox worker waits
//! instead). Losing access to the channel is a permanent error, which pauses the
//! server's schedule until an admin starts it again.

use std::sync::Arc;

use serenity::all::{ChannelId, Http};
use serenity::http::HttpError;

use super::render::render;

use crate::Engine;
use crate::delivery::{SendError, Transport};
use crate::message::{Audience, Outgoing, Platform};

/// One message of an outgoing reply, posted in the server's channel.
#[derive(Debug, Clone)]
pub struct DiscordCall {
    channel: ChannelId,
    post: super::render::Post,
    open_thread: bool,
}

/// Sends outbox messages with serenity's HTTP client.
#[derive(Clone)]
pub struct DiscordTransport {
    http: Arc<Http>,
    engine: Arc<Engine>,
}

impl DiscordTransport {
    /// A transport over serenity's HTTP client; the engine tells which channel each server chose.
    pub fn new(http: Arc<Http>, engine: Arc<Engine>) -> DiscordTransport {
        DiscordTransport { http, engine }
    }
}

/// How long to wait after a 429 whose `retry_after` serenity did not pass on.
pub const RATE_LIMIT_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Discord's JSON error codes that mean the bot cannot post there any more.
const NO_ACCESS: [isize; 5] = [
    10003, // Unknown Channel
    10004, // Unknown Guild
    50001, // Missing Access
    50013, // Missing Permissions
    50007, // Cannot send messages to this user
];

/// Maps a serenity error to what the delivery worker should do.
pub fn classify(e: &serenity::Error) -> SendError {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            let status = r.status_code.as_u16();
            let what = format!("{} {} ({})", status, r.error.message, r.error.code);
            // serenity sets code -1 when the body was not Discord's JSON (a proxy's error page): only
            // Discord itself saying 403 or 404 means the channel is gone.
            let from_discord = r.error.code >= 0;
            if NO_ACCESS.contains(&r.error.code)
                || (from_discord && (status == 403 || status == 404))
            {
                SendError::Permanent(what)
            } else if status == 429 {
                // Only seen with serenity's rate limiter off (behind a proxy), which keeps the headers to
                // itself: wait a conservative second.
                SendError::RateLimited {
                    retry_after: RATE_LIMIT_WAIT,
                    global: false,
                }
            } else if status >= 500 {
                SendError::Transient(what)
            } else {
                SendError::Rejected(what)
            }
        }
        serenity::Error::Http(HttpError::Request(_)) | serenity::Error::Io(_) => {
            SendError::Transient(e.to_string())
        }
        serenity::Error::Http(HttpError::RateLimitI64F64 | HttpError::RateLimitUtf8) => {
            SendError::Transient(e.to_string())
        }
        _ => SendError::Rejected(e.to_string()),
    }
}

impl Transport for DiscordTransport {
    fn platform(&self) -> Platform {
        Platform::Discord
    }

    type Call = DiscordCall;

    async fn calls(&self, outgoing: &Outgoing) -> Result<Vec<DiscordCall>, SendError> {
        if let Audience::User(_) = outgoing.reply.audience {
            return Err(SendError::Rejected(
                "private replies are sent as ephemeral interaction responses, not queued".into(),
            ));
        }
        // A database error is transient: only a chat that really has no channel pauses.
        let chat = outgoing.chat.clone();
        let chosen = self
            .engine
            .blocking("reading a server's channel", move |e| e.chat_row(&chat))
            .await
            .ok_or_else(|| SendError::Transient("reading the server's settings panicked".into()))?
            .map_err(|e| SendError::Transient(format!("cannot read the server's settings: {e}")))?
            .and_then(|c| c.settings.channel);
        let Some(channel) = chosen.map(|c| ChannelId::new(c.0)) else {
            return Err(SendError::Permanent(
                "no channel chosen for this server (/settings channel)".into(),
            ));
        };
        let thread = super::wants_thread(&self.engine, &outgoing.chat, &outgoing.reply).await;
        Ok(render(&outgoing.reply)
            .into_iter()
            .enumerate()
            .map(|(i, post)| DiscordCall {
                channel,
                post,
                // The discussion thread hangs under the first message.
                open_thread: thread && i == 0,
            })
            .collect())
    }

    async fn send_call(&self, outgoing: &Outgoing, call: &DiscordCall) -> Result<(), SendError> {
        let sent = call
            .channel
            .send_message(&self.http, call.post.message())
            .await
            .map_err(|e| classify(&e))?;
        if call.open_thread {
            // Best effort: the message itself was delivered.
            super::open_thread(&self.http, &outgoing.chat, &sent, &outgoing.reply).await;
        }
        Ok(())
    }
}
