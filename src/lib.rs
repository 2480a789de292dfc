//! drillbot: a chat bot for group interview practice. One question a day from a curated bank, sealed answers
//! graded point by point, a reveal with results, and per-member scores, streaks and leaderboards in SQLite.
//!
//! # Layout
//!
//! Dependencies point one way: adapters -> engine -> (bank, grading, schedule, store).
//!
//! - [`message`]: platform-neutral incoming messages and replies; what adapters translate to and from.
//! - [`command`]: parses text into a [`command::Command`]; unknown and malformed input are values.
//! - [`i18n`]: every user-facing string, one catalogue per language.
//! - [`bank`]: the question bank (TOML files in `content/`), its loader and `bank check`.
//! - [`grading`]: normalisation, key-point coverage, scores and the no-credit rules.
//! - [`schedule`]: post and reveal decisions in a chat's time zone from a given `now`.
//! - [`store`]: SQLite storage with migrations from `migrations/`.
//! - [`engine`]: `handle(incoming, now)` and `tick(now)`, tying the above together.
//! - [`delivery`]: the outbox worker (token buckets, `retry_after`, backoff) and the scheduler loop.
//! - [`app`]: `drillbot run`: the scheduler, each configured adapter and its delivery worker until a shutdown
//!   signal.
//! - [`settings`]: layered configuration (`config/default.toml`, `config/local.toml`, `DRILLBOT__*`).
//! - [`console`]: the terminal adapter, a local chat that needs no token.
//! - [`adapters`]: Telegram (teloxide) and Discord (serenity + poise); the only place that names their crates.
//!
//! The core never imports a chat platform's crate; adapters own that.

pub mod adapters;
pub mod app;
pub mod bank;
pub mod command;
pub mod console;
pub mod delivery;
pub mod engine;
pub mod grading;
pub mod i18n;
pub mod markup;
pub mod message;
pub mod schedule;
pub mod settings;
pub mod store;

pub use engine::Engine;
