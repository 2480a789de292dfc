//! `drillbot run`: the scheduler loop plus, for every platform with a token, its adapter and delivery worker, until a
//! shutdown signal. On shutdown the loops stop taking new work, messages claimed but not confirmed go back to
//! the outbox, and the caller drops the engine, which closes the database.

pub mod http;

use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::Engine;
use crate::adapters::discord::DiscordAdapter;
use crate::adapters::telegram::{TelegramAdapter, TelegramTransport};
use crate::delivery::{Clock, Delivery, Pacing, Transport, run_scheduler};
use crate::settings::Settings;

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Starts a platform's outbox worker as one of the tasks, until `shutdown` turns true.
fn spawn_delivery<T: Transport + 'static>(
    tasks: &mut JoinSet<anyhow::Result<()>>,
    engine: &Arc<Engine>,
    transport: T,
    pacing: &Pacing,
    clock: Clock,
    shutdown: &watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let platform = transport.platform();
    let worker = Delivery::new(Arc::clone(engine), transport, pacing.clone(), clock)
        .with_context(|| format!("cannot start {platform} delivery"))?;
    let stop = stopped(shutdown.clone());
    tasks.spawn(async move {
        worker
            .run(stop)
            .await
            .with_context(|| format!("{platform} delivery failed"))
    });
    Ok(())
}

/// Runs until `shutdown` turns true. Fails at once when no platform has a token.
pub async fn run(
    engine: Arc<Engine>,
    settings: &Settings,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    if settings.telegram.token.is_none() && settings.discord.token.is_none() {
        bail!(
            "no chat platform is configured: set DRILLBOT__TELEGRAM__TOKEN or DRILLBOT__DISCORD__TOKEN \
             (or telegram.token_file / discord.token_file), or try `drillbot console`, which needs no token"
        );
    }
    let clock = Clock::system();
    let mut tasks = JoinSet::new();
    if let Some(listen) = settings.http_listen {
        let platforms = [
            settings.telegram.token.as_ref().map(|_| "telegram"),
            settings.discord.token.as_ref().map(|_| "discord"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let server = http::serve(
            listen,
            Arc::clone(&engine),
            platforms,
            stopped(shutdown.clone()),
        )
        .await?;
        tasks.spawn(server);
    }
    let scheduler = run_scheduler(Arc::clone(&engine), clock, stopped(shutdown.clone()));
    tasks.spawn(async move {
        scheduler.await;
        anyhow::Ok(())
    });
    let mut running = vec!["scheduler"];
    if let Some(token) = &settings.telegram.token {
        // Direct replies and the outbox count in the same per-chat windows, with the same limits.
        let transport = TelegramTransport::new(token.expose(), settings.telegram.api_url.clone())
            .with_pacing(settings.telegram.pacing.clone());
        let adapter = TelegramAdapter::connect(Arc::clone(&engine), transport)
            .await
            .context("cannot reach the Telegram Bot API (getMe)")?;
        spawn_delivery(
            &mut tasks,
            &engine,
            adapter.transport(),
            &settings.telegram.pacing,
            clock,
            &shutdown,
        )?;
        let updates_stop = stopped(shutdown.clone());
        let webhook = settings.telegram_webhook.clone();
        tasks.spawn(async move { adapter.run_with(webhook, updates_stop).await });
        running.push("Telegram");
    }
    if let Some(token) = &settings.discord.token {
        let adapter = DiscordAdapter::connect(
            Arc::clone(&engine),
            token.expose(),
            settings.discord.api_url.as_ref(),
            &settings.discord_options,
        )
        .await
        .context("cannot reach the Discord API (gateway address)")?;
        spawn_delivery(
            &mut tasks,
            &engine,
            adapter.transport(),
            &settings.discord.pacing,
            clock,
            &shutdown,
        )?;
        let gateway_stop = stopped(shutdown.clone());
        tasks.spawn(async move {
            adapter
                .run(gateway_stop)
                .await
                .context("the Discord gateway connection failed")
        });
        running.push("Discord");
    }
    tracing::info!(running = %running.join(", "), "running");
    while let Some(done) = tasks.join_next().await {
        done.context("a task panicked")??;
    }
    Ok(())
}
