//! Telegram through teloxide: [`transport`] delivers outgoing messages for the outbox worker; [`updates`]
//! long-polls the Bot API and turns messages, replies, DMs and button presses into engine calls.

pub mod transport;
pub mod updates;

pub use transport::{MAX_TEXT, TelegramTransport, classify, split_text};
pub use updates::TelegramAdapter;
