//! drillbot: a chat bot for group interview practice. One question a day from a curated bank, sealed answers
//! graded point by point, a reveal with results, and per-member scores, streaks and leaderboards in SQLite.
//!
//! # Layout
//!
//! Dependencies point one way, down these layers (checked by `tests/drillbot/layout.rs`, which fails on an
//! import that points up or sideways):
//!
//! 1. [`vocab`] (the shared vocabulary: language, chat settings, weekdays, limits, ratings, periods, verdicts),
//!    [`message`] (platform-neutral incoming messages and replies), [`markup`] (the replies' light
//!    Markdown, and escaping user text so it is never read as markup) and [`metrics`] (what the running bot
//!    counts, for `/metrics`).
//! 2. [`command`] (text into a [`command::Command`]; unknown and malformed input are values), [`bank`] (the
//!    question bank in `content/`, its loader and `bank check`), [`schedule`] (post and reveal decisions in a
//!    chat's time zone from a given `now`).
//! 3. [`i18n`] (every user-facing string, one catalogue per language), [`grading`] (normalisation, key
//!    points, myths, scores, the evaluation set), [`store`] (SQLite with migrations from `migrations/`), and
//!    [`importer`] (`bank import`, used only by the command-line tool, never by the bot).
//! 4. [`engine`]: `handle(incoming, now)` and `tick(now)`, tying the above together; `blocking` and
//!    `handle_blocking` are the async side's one way in.
//! 5. [`delivery`] (the outbox worker: pacing per API call, `retry_after`, backoff; the scheduler loop) and
//!    [`console`] (the terminal adapter, a local chat that needs no token).
//! 6. [`adapters`]: Telegram (teloxide) and Discord (serenity + poise); the only place that names their crates.
//! 7. [`settings`]: layered configuration (`config/default.toml`, `config/local.toml`, `DRILLBOT__*`).
//! 8. [`app`]: `drillbot run`: the scheduler, each configured adapter and its delivery worker until a shutdown
//!    signal.
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
pub mod importer;
pub mod markup;
pub mod message;
pub mod metrics;
pub mod schedule;
pub mod settings;
pub mod store;
pub mod vocab;

pub use engine::Engine;
