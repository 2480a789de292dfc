//! Telegram through teloxide: [`transport`] delivers outgoing messages (for the outbox worker and direct
//! replies) as HTML rendered by [`html`], with quiz polls for multiple-choice questions; [`updates`] long-polls
//! the Bot API and turns messages, replies, DMs, button presses and poll answers into engine calls.

pub mod html;
pub mod records;
pub mod strings;
pub mod transport;
pub mod updates;

pub use html::split_html;
pub use transport::{MAX_TEXT, TelegramTransport, classify};
pub use updates::TelegramAdapter;

/// Telegram delivers updates to this bot by webhook: it listens on `listen` and Telegram posts to `url`
/// (an HTTPS address forwarded to `listen`, e.g. by a reverse proxy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramWebhook {
    /// The public HTTPS URL given to `setWebhook`.
    pub url: url::Url,
    /// The local address to listen on.
    pub listen: std::net::SocketAddr,
}
