//! Platform adapters: each translates platform events into core types and core replies into platform calls.
//! Only this directory names a chat platform's crate.

pub mod discord;
pub mod telegram;
pub mod text;
