//! `drillbot run`: the scheduler loop plus a delivery worker for every platform with a token, until a
//! shutdown signal. On shutdown the loops stop taking new work, messages claimed but not confirmed go back to
//! the outbox, and the caller drops the engine, which closes the database.

use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::Engine;
use crate::adapters::telegram::{TelegramAdapter, TelegramTransport};
use crate::delivery::{Clock, Delivery, run_scheduler};
use crate::settings::Settings;

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Runs until `shutdown` turns true. Fails at once when no platform has a token.
pub async fn run(
    engine: Arc<Engine>,
    settings: &Settings,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    if settings.discord.token.is_some() {
        tracing::warn!("a Discord token is configured, but the Discord adapter is not built yet");
    }
    let Some(token) = &settings.telegram.token else {
        bail!(
            "no chat platform is configured: set DRILLBOT__TELEGRAM__TOKEN or telegram.token_file \
             (or try `drillbot console`, which needs no token)"
        );
    };
    let clock = Clock::system();
    let mut tasks = JoinSet::new();
    let scheduler = run_scheduler(Arc::clone(&engine), clock, stopped(shutdown.clone()));
    tasks.spawn(async move {
        scheduler.await;
        anyhow::Ok(())
    });
    let transport = TelegramTransport::new(token.expose(), settings.telegram.api_url.clone());
    let adapter = TelegramAdapter::connect(Arc::clone(&engine), transport)
        .await
        .context("cannot reach the Telegram Bot API (getMe)")?;
    let worker = Delivery::new(
        Arc::clone(&engine),
        adapter.transport(),
        settings.telegram.pacing.clone(),
        clock,
    )
    .context("cannot start Telegram delivery")?;
    let delivery_stop = stopped(shutdown.clone());
    tasks.spawn(async move {
        worker
            .run(delivery_stop)
            .await
            .context("Telegram delivery failed")
    });
    tasks.spawn(async move {
        adapter.run(stopped(shutdown)).await;
        anyhow::Ok(())
    });
    tracing::info!("running: scheduler, Telegram updates and delivery");
    while let Some(done) = tasks.join_next().await {
        done.context("a task panicked")??;
    }
    Ok(())
}
