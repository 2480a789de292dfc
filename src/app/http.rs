//! The operator's endpoints, served on `http.listen` when it is set: `/healthz` (200 when the database
//! answers and every configured platform is connected; 503 with the reasons otherwise) and `/metrics`
//! (Prometheus text, see [`crate::metrics`]).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;

use crate::Engine;
use crate::metrics::metrics;

#[derive(Clone)]
struct Ops {
    engine: Arc<Engine>,
    /// The platforms with a token: each must be connected for the bot to be healthy.
    platforms: Vec<&'static str>,
}

/// Binds `listen` (a taken port is an error now, not later) and serves until `shutdown` resolves.
pub async fn serve(
    listen: SocketAddr,
    engine: Arc<Engine>,
    platforms: Vec<&'static str>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<impl Future<Output = anyhow::Result<()>>> {
    let tcp = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on http.listen = {listen}"))?;
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(scrape))
        .with_state(Ops { engine, platforms });
    tracing::info!(%listen, "serving /healthz and /metrics");
    Ok(async move {
        axum::serve(tcp, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("the /healthz and /metrics server failed")
    })
}

/// The outbox backlog, read now; `None` when the database does not answer.
async fn backlog(engine: &Arc<Engine>) -> Option<(i64, Option<i64>)> {
    engine
        .blocking("reading the outbox for /healthz or /metrics", |e| {
            e.store().outbox_backlog(Utc::now())
        })
        .await?
        .inspect_err(|e| tracing::warn!(error = %e, "the database did not answer a health check"))
        .ok()
}

async fn healthz(State(ops): State<Ops>) -> impl IntoResponse {
    let mut reasons = Vec::new();
    let backlog = backlog(&ops.engine).await;
    if backlog.is_none() {
        reasons.push("the database does not answer".to_string());
    }
    for p in &ops.platforms {
        if !metrics().is_connected(p) {
            reasons.push(format!("{p} is not connected"));
        }
    }
    let (status, body) = if reasons.is_empty() {
        let (pending, oldest) = backlog.unwrap_or_default();
        (
            StatusCode::OK,
            serde_json::json!({
                "status": "ok",
                "platforms": ops.platforms,
                "outbox_pending": pending,
                "outbox_oldest_unsent_seconds": oldest,
            }),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "unavailable", "reasons": reasons}),
        )
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}

async fn scrape(State(ops): State<Ops>) -> impl IntoResponse {
    if let Some((pending, oldest)) = backlog(&ops.engine).await {
        metrics().set_outbox(pending, oldest);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics().render(),
    )
}
