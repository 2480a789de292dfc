//! Memory of `drillbot run` with both adapters connected: `cargo bench --bench memory`.
//!
//! Starts a loopback fake Telegram Bot API (long polling) and a fake Discord (REST and a `ws://` gateway with
//! one server), then the `drillbot` binary with both tokens pointed at them and `/healthz` on. Once `/healthz`
//! says both platforms are connected and the bot has idled for a few seconds, it reads the process's RSS
//! (`VmRSS` in `/proc/<pid>/status`). Then `MEMORY_CHATS` Telegram groups (default 10,000) each have a round
//! through the real adapter: an admin's `/today` (the question is posted), a member's `/answer` (confirmed by
//! DM), the admin's `/reveal` (checked with `getChatMember`; the results are posted). When `/metrics` counts
//! every answer and reveal and the outbox is empty, and after a few idle seconds, it reads RSS again, and the
//! peak (`VmHWM`). Prints figures; asserts nothing about memory.

// The fake Discord's GUILD_CREATE is one large `json!`.
#![recursion_limit = "256"]

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};

const ADMIN: i64 = 1;
const APP_ID: &str = "900";
const GUILD: &str = "100";
const CHANNEL: &str = "200";

/// The fake Bot API: updates are handed out in order to `getUpdates`; every call is counted by method.
#[derive(Clone, Default)]
struct FakeTelegram {
    updates: Arc<Mutex<VecDeque<Value>>>,
    calls: Arc<Mutex<BTreeMap<String, u64>>>,
    next_id: Arc<AtomicU64>,
}

async fn bot_api(
    State(api): State<FakeTelegram>,
    Path((_token, method)): Path<(String, String)>,
    body: Bytes,
) -> Json<Value> {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let method = method.to_lowercase();
    *api.calls.lock().unwrap().entry(method.clone()).or_default() += 1;
    match method.as_str() {
        "getme" => Json(json!({"ok": true, "result": {
            "id": 4242, "is_bot": true, "first_name": "drillbot", "username": "drillbot_bot",
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "has_main_web_app": false
        }})),
        "getupdates" => {
            let limit = body["limit"].as_u64().unwrap_or(100) as usize;
            for _ in 0..10 {
                let batch: Vec<Value> = {
                    let mut queue = api.updates.lock().unwrap();
                    let n = queue.len().min(limit);
                    queue.drain(..n).collect()
                };
                if !batch.is_empty() {
                    return Json(json!({"ok": true, "result": batch}));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Json(json!({"ok": true, "result": []}))
        }
        "getwebhookinfo" => Json(json!({"ok": true, "result": {
            "url": "", "has_custom_certificate": false, "pending_update_count": 0
        }})),
        "getchatmember" => {
            let user = body["user_id"].as_i64().unwrap_or_default();
            let status = if user == ADMIN { "creator" } else { "member" };
            Json(json!({"ok": true, "result": {
                "status": status, "is_anonymous": false,
                "user": {"id": user, "is_bot": false, "first_name": "someone"}
            }}))
        }
        "sendmessage" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let id = api.next_id.fetch_add(1, Ordering::Relaxed);
            Json(json!({"ok": true, "result": {
                "message_id": id, "date": 1_795_000_000,
                "from": {"id": 4242, "is_bot": true, "first_name": "drillbot", "username": "drillbot_bot"},
                "chat": {"id": chat, "type": if chat > 0 { "private" } else { "supergroup" },
                         "title": "study group", "first_name": "x"},
                "text": body["text"]
            }}))
        }
        _ => Json(json!({"ok": true, "result": true})),
    }
}

fn update(id: u64, chat: i64, user: (i64, &str), text: &str) -> Value {
    json!({"update_id": id, "message": {
        "message_id": id, "date": 1_795_000_000,
        "chat": {"id": chat, "type": "supergroup", "title": "study group"},
        "from": {"id": user.0, "is_bot": false, "first_name": user.1, "username": user.1},
        "text": text
    }})
}

/// The fake Discord's REST side: what connecting and registering commands need.
async fn discord_rest(State(port): State<u16>, method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches("/api/v10").to_string();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["gateway"]) => {
            Json(json!({"url": format!("ws://127.0.0.1:{port}/ws")})).into_response()
        }
        ("GET", ["gateway", "bot"]) => Json(json!({
            "url": format!("ws://127.0.0.1:{port}/ws"), "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        }))
        .into_response(),
        ("POST", ["channels", channel, "messages"]) => Json(json!({
            "id": "5000", "channel_id": channel, "guild_id": GUILD, "content": "",
            "author": {"id": APP_ID, "username": "drillbot", "discriminator": "0", "avatar": null, "bot": true},
            "timestamp": "2026-11-23T08:00:00+00:00", "edited_timestamp": null, "tts": false,
            "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": false, "type": 0
        }))
        .into_response(),
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => Json(json!([])).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"code": 0, "message": "404: Not Found"})),
        )
            .into_response(),
    }
}

async fn discord_gateway(State(port): State<u16>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| discord_session(port, socket))
}

fn dispatch(seq: u64, t: &str, d: Value) -> WsMessage {
    WsMessage::Text(
        json!({"op": 0, "s": seq, "t": t, "d": d})
            .to_string()
            .into(),
    )
}

/// Hello, Identify, READY and one server's GUILD_CREATE; then heartbeats are acknowledged.
async fn discord_session(port: u16, mut socket: WebSocket) {
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 45000}}).to_string();
    if socket.send(WsMessage::Text(hello.into())).await.is_err() {
        return;
    }
    loop {
        match socket.recv().await {
            Some(Ok(WsMessage::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap_or_default();
                if v["op"] == 2 {
                    break;
                }
            }
            Some(Ok(_)) => {}
            _ => return,
        }
    }
    let ready = json!({
        "v": 10, "user": {"id": APP_ID, "username": "drillbot", "discriminator": "0", "avatar": null,
                          "bot": true, "verified": true, "mfa_enabled": false, "flags": 0},
        "guilds": [{"id": GUILD, "unavailable": true}], "session_id": "session-1",
        "resume_gateway_url": format!("ws://127.0.0.1:{port}/ws"),
        "application": {"id": APP_ID, "flags": 0}
    });
    let _ = socket.send(dispatch(1, "READY", ready)).await;
    let guild = json!({
        "id": GUILD, "name": "study server", "icon": null, "splash": null, "discovery_splash": null,
        "owner_id": "1", "afk_channel_id": null, "afk_timeout": 300, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0, "roles": [], "emojis": [],
        "features": [], "mfa_level": 0, "application_id": null, "system_channel_id": CHANNEL,
        "system_channel_flags": 0, "rules_channel_id": null, "vanity_url_code": null, "description": null,
        "banner": null, "premium_tier": 0, "preferred_locale": "zh-CN", "public_updates_channel_id": null,
        "nsfw_level": 0, "premium_progress_bar_enabled": false, "stickers": [],
        "joined_at": "2026-11-23T00:00:00+00:00", "large": false, "unavailable": false, "member_count": 4,
        "voice_states": [], "members": [], "channels": [
            {"id": CHANNEL, "type": 0, "guild_id": GUILD, "name": "general", "position": 0,
             "permission_overwrites": [], "nsfw": false, "parent_id": null}
        ], "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": []
    });
    let _ = socket.send(dispatch(2, "GUILD_CREATE", guild)).await;
    while let Some(Ok(message)) = socket.recv().await {
        if let WsMessage::Text(t) = message {
            let v: Value = serde_json::from_str(&t).unwrap_or_default();
            if v["op"] == 1 {
                let ack = json!({"op": 11}).to_string();
                let _ = socket.send(WsMessage::Text(ack.into())).await;
            }
        }
    }
}

/// A plain HTTP/1.1 GET on loopback: the status code and the body.
async fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    tcp.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .ok()?;
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).await.ok()?;
    let raw = String::from_utf8_lossy(&raw);
    let status = raw.split_whitespace().nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

/// A counter or gauge from `/metrics` text (summed over its labels).
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// (`VmRSS`, `VmHWM`) of a live process, in MB.
fn rss_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .expect("the field is in /proc/<pid>/status")
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::main]
async fn main() {
    let chats: usize = std::env::var("MEMORY_CHATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let telegram = FakeTelegram::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let telegram_url = format!("http://{}/", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/{token}/{method}", post(bot_api))
        .with_state(telegram.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .route("/ws", get(discord_gateway))
        .fallback(any(discord_rest))
        .with_state(port);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http: SocketAddr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };

    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("drillbot.log")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .args(["run", "--db", "memory.db"])
        .current_dir(dir.path())
        .env("DRILLBOT__TELEGRAM__TOKEN", "4242:BENCH")
        .env("DRILLBOT__TELEGRAM__API_URL", &telegram_url)
        // Direct replies and posts paced far above what the run needs: the bench measures memory, not pacing.
        .env("DRILLBOT__TELEGRAM__PER_SECOND", "100000")
        .env("DRILLBOT__DISCORD__TOKEN", "BENCH")
        .env(
            "DRILLBOT__DISCORD__API_URL",
            format!("http://127.0.0.1:{port}"),
        )
        .env("DRILLBOT__DISCORD__DEV_GUILD_ID", GUILD)
        .env("DRILLBOT__HTTP__LISTEN", http.to_string())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("drillbot starts");
    let pid = child.id();
    let started = Instant::now();
    loop {
        if let Some((200, _)) = http_get(http, "/healthz").await {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60) && child.try_wait().unwrap().is_none(),
            "drillbot did not become healthy: {}",
            std::fs::read_to_string(dir.path().join("drillbot.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connected = started.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (idle, idle_peak) = rss_mb(pid);
    println!(
        "memory: idle, Telegram and Discord connected ({:.1} s after start): RSS {idle:.1} MB (peak so far {idle_peak:.1} MB)",
        connected.as_secs_f64()
    );

    let answer = "三次握手时客户端发 SYN，服务端回 SYN+ACK，客户端再回 ACK，双方确认初始序列号，\
                  也确认彼此都能收发，还能防止历史连接请求被错误建立。";
    {
        let mut queue = telegram.updates.lock().unwrap();
        let mut id = 1;
        for c in 0..chats as i64 {
            let chat = -1_000_000_000_000 - c;
            let member = (1_000_000 + c, "member");
            for (user, text) in [
                ((ADMIN, "admin"), "/today".to_string()),
                (member, format!("/answer {answer}")),
                ((ADMIN, "admin"), "/reveal".to_string()),
            ] {
                queue.push_back(update(id, chat, user, &text));
                id += 1;
            }
        }
    }
    let rounds_started = Instant::now();
    let mut last_report = Instant::now();
    let mut answers;
    loop {
        let text = http_get(http, "/metrics")
            .await
            .map(|(_, b)| b)
            .unwrap_or_default();
        let handled = metric(&text, "drillbot_updates_total");
        answers = metric(&text, "drillbot_answers_recorded_total");
        let revealed = metric(&text, "drillbot_rounds_revealed_total");
        let pending = metric(&text, "drillbot_outbox_pending");
        let queued = telegram.updates.lock().unwrap().len();
        if handled >= 3.0 * chats as f64
            && revealed >= chats as f64
            && pending == 0.0
            && queued == 0
        {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            eprintln!(
                "... {:.0} s: {answers} answers, {revealed} reveals, {pending} pending, {queued} updates queued",
                rounds_started.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        assert!(
            rounds_started.elapsed() < Duration::from_secs(900)
                && child.try_wait().unwrap().is_none(),
            "the rounds did not finish: {answers} answers, {revealed} reveals, {pending} pending; {}",
            std::fs::read_to_string(dir.path().join("drillbot.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let rounds_took = rounds_started.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (after, peak) = rss_mb(pid);
    let calls = telegram.calls.lock().unwrap().clone();
    // Which rounds got no answer, and whether their question was a multiple-choice one (where the text answer
    // is refused as no valid pick).
    let unanswered: Vec<String> = {
        let conn = rusqlite::Connection::open_with_flags(
            dir.path().join("memory.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT question_id FROM rounds r WHERE skipped = 0
                 AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.round_id = r.id)",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let bank = drillbot::bank::Bank::bundled().unwrap();
    let choice = unanswered
        .iter()
        .filter(|id| bank.get(id).is_some_and(|q| q.is_choice()))
        .count();
    println!(
        "memory: after {chats} Telegram groups had a round (/today, /answer, /reveal; {:.1} s; {answers} answers \
         recorded; {} rounds without one, {choice} of them multiple-choice): RSS {after:.1} MB, peak {peak:.1} MB; \
         Bot API calls {calls:?}",
        rounds_took.as_secs_f64(),
        unanswered.len()
    );
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let log = std::fs::read_to_string(dir.path().join("drillbot.log")).unwrap_or_default();
    let warnings = log.lines().filter(|l| l.contains("WARN")).count();
    let errors = log.lines().filter(|l| l.contains("ERROR")).count();
    println!("memory: drillbot exited {status}; log: {warnings} warnings, {errors} errors");
    if errors > 0 {
        eprintln!(
            "{}",
            log.lines()
                .filter(|l| l.contains("ERROR"))
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
