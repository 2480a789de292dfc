//! Discord end to end: the real serenity client, poise framework, adapter and outbox worker against a local
//! fake Discord. The fake serves REST on 127.0.0.1:0 (serenity's `HttpBuilder::proxy`) and a plain `ws://`
//! gateway that sends Hello, waits for Identify, sends READY and GUILD_CREATE, then dispatches the
//! INTERACTION_CREATE events a test pushes; it records every REST call.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use drillbot::adapters::discord::{DiscordAdapter, DiscordTransport};
use drillbot::delivery::{Clock, Delivery, Pacing, Transport};
use drillbot::message::{ChatRef, Platform};
use drillbot::settings::{DiscordOptions, Shards};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::harness::{Logged, TestBot, good_answer, partial_answer};

const APP_ID: &str = "900";
const GUILD: &str = "100";
const CHANNEL: &str = "200";
/// MANAGE_GUILD.
const MANAGE_GUILD: &str = "32";

/// One recorded REST call.
#[derive(Debug, Clone)]
struct Call {
    method: String,
    path: String,
    body: Value,
    at: Instant,
}

/// A scripted REST answer: status, JSON body, and a `retry-after` header in seconds.
type Scripted = (u16, Value, Option<f64>);

/// The fake Discord: REST and gateway on one port.
#[derive(Clone)]
struct FakeDiscord {
    calls: Arc<Mutex<Vec<Call>>>,
    /// Scripted answers for `POST /channels/{id}/messages` (status, body, retry-after); then 200.
    post_script: Arc<Mutex<VecDeque<Scripted>>>,
    /// Events for the gateway to dispatch.
    events: Arc<Mutex<Option<mpsc::UnboundedReceiver<Value>>>>,
    port: u16,
    ids: Arc<AtomicU64>,
    /// Messages refused as Discord refuses them (the next wait fails the test).
    refused: Arc<Mutex<Vec<String>>>,
}

/// Why Discord would refuse a message body (create, execute-webhook or edit; `fields` are the ones its API
/// reference defines there), as its v10 docs state the limits; `None` when it is fine.
fn refusal(body: &Value, fields: &[&str], editing: bool) -> Option<String> {
    let Some(object) = body.as_object() else {
        return Some("50109: the request body contains invalid JSON".into());
    };
    if let Some(unknown) = object.keys().find(|k| !fields.contains(&k.as_str())) {
        return Some(format!("50035: unknown field {unknown}"));
    }
    let content = body["content"].as_str().unwrap_or_default();
    if content.chars().count() > 2000 {
        return Some("50035: content must be 2000 or fewer in length".into());
    }
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    let components = body["components"].as_array().is_some_and(|c| !c.is_empty());
    if !editing && content.trim().is_empty() && embeds.is_empty() && !components {
        return Some("50006: Cannot send an empty message".into());
    }
    if embeds.len() > 10 {
        return Some("50035: more than 10 embeds".into());
    }
    let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let mut total = 0;
    for e in &embeds {
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        if len(&e["title"]) > 256 || len(&e["description"]) > 4096 || fields.len() > 25 {
            return Some("50035: an embed over its limits".into());
        }
        if e["title"].is_null()
            && e["description"]
                .as_str()
                .is_none_or(|d| d.trim().is_empty())
            && fields.is_empty()
        {
            return Some("50035: an empty embed".into());
        }
        if fields
            .iter()
            .any(|f| len(&f["name"]) > 256 || len(&f["value"]) > 1024)
        {
            return Some("50035: an embed field over its limits".into());
        }
        total += len(&e["title"]) + len(&e["description"]) + len(&e["footer"]["text"]);
        total += fields
            .iter()
            .map(|f| len(&f["name"]) + len(&f["value"]))
            .sum::<usize>();
    }
    (total > 6000).then(|| "50035: embeds over 6000 characters in all".into())
}

/// Fields of `POST /channels/{id}/messages`.
const CREATE_FIELDS: &[&str] = &[
    "content",
    "nonce",
    "tts",
    "embeds",
    "allowed_mentions",
    "message_reference",
    "components",
    "sticker_ids",
    "attachments",
    "flags",
    "enforce_nonce",
    "poll",
];
/// Fields of `POST /webhooks/{app}/{token}` (an interaction's follow-up).
const WEBHOOK_FIELDS: &[&str] = &[
    "content",
    "username",
    "avatar_url",
    "tts",
    "embeds",
    "allowed_mentions",
    "components",
    "attachments",
    "flags",
    "thread_name",
    "applied_tags",
    "poll",
];
/// Fields of `PATCH /webhooks/{app}/{token}/messages/@original` and of an interaction callback's message.
const EDIT_FIELDS: &[&str] = &[
    "content",
    "embeds",
    "flags",
    "allowed_mentions",
    "components",
    "attachments",
    "poll",
    "tts",
];

fn user(id: &str, name: &str) -> Value {
    json!({"id": id, "username": name, "discriminator": "0", "global_name": name, "avatar": null,
           "bot": false, "public_flags": 0})
}

fn member(id: &str, name: &str, permissions: &str) -> Value {
    json!({"user": user(id, name), "nick": null, "roles": [], "joined_at": "2026-01-01T00:00:00+00:00",
           "deaf": false, "mute": false, "flags": 0, "pending": false, "permissions": permissions,
           "avatar": null})
}

fn message_json(id: u64, channel: &str, body: &Value) -> Value {
    json!({
        "id": id.to_string(), "channel_id": channel, "guild_id": GUILD,
        "author": {"id": APP_ID, "username": "drillbot", "discriminator": "0", "avatar": null, "bot": true},
        "content": body.get("content").cloned().unwrap_or(json!("")),
        "timestamp": "2026-11-23T08:00:00+00:00", "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": body.get("embeds").cloned().unwrap_or(json!([])),
        "components": [], "pinned": false, "type": 0, "flags": body.get("flags").cloned().unwrap_or(json!(0))
    })
}

async fn rest(State(fake): State<FakeDiscord>, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().trim_start_matches("/api/v10").to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    fake.calls.lock().unwrap().push(Call {
        method: method.to_string(),
        path: path.clone(),
        body: body.clone(),
        at: Instant::now(),
    });
    let id = fake.ids.fetch_add(1, Ordering::SeqCst);
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let checked = match (method.as_str(), parts.as_slice()) {
        ("POST", ["channels", _, "messages"]) => Some(refusal(&body, CREATE_FIELDS, false)),
        ("POST", ["webhooks", _, _]) => Some(refusal(&body, WEBHOOK_FIELDS, false)),
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => {
            Some(refusal(&body, EDIT_FIELDS, true))
        }
        // A message response (4) or an update of the button's message (7).
        ("POST", ["interactions", _, _, "callback"])
            if matches!(body["type"].as_u64(), Some(4 | 7)) =>
        {
            Some(refusal(&body["data"], EDIT_FIELDS, body["type"] == 7))
        }
        _ => None,
    };
    if let Some(Some(why)) = checked {
        fake.refused
            .lock()
            .unwrap()
            .push(format!("{method} {path}: {why}"));
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": 50035, "message": why})),
        )
            .into_response();
    }
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["gateway"]) => {
            Json(json!({"url": format!("ws://127.0.0.1:{}/ws", fake.port)})).into_response()
        }
        ("GET", ["gateway", "bot"]) => Json(json!({
            "url": format!("ws://127.0.0.1:{}/ws", fake.port), "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        }))
        .into_response(),
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            Json(json!([])).into_response()
        }
        ("POST", ["interactions", _, _, "callback"]) => StatusCode::NO_CONTENT.into_response(),
        ("POST", ["webhooks", _, _]) => Json(message_json(id, CHANNEL, &body)).into_response(),
        ("GET", ["webhooks", _, _, "messages", "@original"]) => {
            Json(message_json(id, CHANNEL, &json!({}))).into_response()
        }
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => {
            Json(message_json(id, CHANNEL, &body)).into_response()
        }
        ("POST", ["channels", channel, "messages", _, "threads"]) => Json(json!({
            "id": id.to_string(), "type": 11, "guild_id": GUILD, "parent_id": channel,
            "name": body["name"], "position": 0, "permission_overwrites": [], "nsfw": false,
            "owner_id": APP_ID, "thread_metadata": {"archived": false, "auto_archive_duration": 1440,
            "archive_timestamp": "2026-11-23T08:00:00+00:00", "locked": false}
        }))
        .into_response(),
        ("POST", ["channels", channel, "messages"]) => {
            let scripted = fake.post_script.lock().unwrap().pop_front();
            match scripted {
                Some((status, error, retry_after)) => {
                    let mut headers = HeaderMap::new();
                    if let Some(s) = retry_after {
                        headers.insert("retry-after", HeaderValue::from_str(&s.to_string()).unwrap());
                        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
                        headers.insert("x-ratelimit-limit", HeaderValue::from_static("5"));
                        headers.insert("x-ratelimit-reset-after", HeaderValue::from_str(&s.to_string()).unwrap());
                        headers.insert("x-ratelimit-bucket", HeaderValue::from_static("fake"));
                    }
                    (StatusCode::from_u16(status).unwrap(), headers, Json(error)).into_response()
                }
                None => Json(message_json(id, channel, &body)).into_response(),
            }
        }
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"code": 0, "message": "404: Not Found"})),
        )
            .into_response(),
    }
}

async fn gateway(State(fake): State<FakeDiscord>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session(fake, socket))
}

fn dispatch(seq: u64, t: &str, d: Value) -> WsMessage {
    WsMessage::Text(
        json!({"op": 0, "s": seq, "t": t, "d": d})
            .to_string()
            .into(),
    )
}

async fn session(fake: FakeDiscord, mut socket: WebSocket) {
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 45000}}).to_string();
    if socket.send(WsMessage::Text(hello.into())).await.is_err() {
        return;
    }
    // Wait for Identify.
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
        "resume_gateway_url": format!("ws://127.0.0.1:{}/ws", fake.port),
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
    let Some(mut events) = fake.events.lock().unwrap().take() else {
        return;
    };
    let mut seq = 3;
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { return };
                if socket.send(dispatch(seq, "INTERACTION_CREATE", event)).await.is_err() {
                    return;
                }
                seq += 1;
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).unwrap_or_default();
                    if v["op"] == 1 {
                        let ack = json!({"op": 11}).to_string();
                        let _ = socket.send(WsMessage::Text(ack.into())).await;
                    }
                }
                Some(Ok(_)) => {}
                _ => return,
            }
        }
    }
}

impl FakeDiscord {
    async fn start() -> (FakeDiscord, mpsc::UnboundedSender<Value>, url::Url) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::unbounded_channel();
        let fake = FakeDiscord {
            calls: Arc::default(),
            post_script: Arc::default(),
            events: Arc::new(Mutex::new(Some(rx))),
            port,
            ids: Arc::new(AtomicU64::new(5_000)),
            refused: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/ws", get(gateway))
            .fallback(any(rest))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let url = format!("http://127.0.0.1:{port}").parse().unwrap();
        (fake, tx, url)
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Waits until `n` calls match, and returns them.
    async fn wait_for(&self, n: usize, what: impl Fn(&Call) -> bool) -> Vec<Call> {
        for _ in 0..200 {
            let refused = self.refused.lock().unwrap().clone();
            assert!(refused.is_empty(), "Discord would refuse: {refused:?}");
            let found: Vec<Call> = self.calls().into_iter().filter(|c| what(c)).collect();
            if found.len() >= n {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "expected {n} matching calls; recorded: {:#?}",
            self.calls()
                .iter()
                .map(|c| format!("{} {}", c.method, c.path))
                .collect::<Vec<_>>()
        );
    }
}

/// Interaction ids and tokens, unique per test run.
static NEXT: AtomicU64 = AtomicU64::new(1);

fn interaction(kind: u8, who: (&str, &str, &str), data: Value, extra: Value) -> Value {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let mut v = json!({
        "id": (10_000 + n).to_string(), "application_id": APP_ID, "type": kind,
        "token": format!("itoken-{n}"), "version": 1, "guild_id": GUILD, "channel_id": CHANNEL,
        "member": member(who.0, who.1, who.2), "data": data, "locale": "zh-CN", "guild_locale": "zh-CN",
        "app_permissions": "2048", "entitlements": [], "authorizing_integration_owners": {}, "context": 0,
        "attachment_size_limit": 10485760
    });
    if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in extra {
            v.insert(k.clone(), x.clone());
        }
    }
    v
}

/// A slash command; `options` as Discord sends them.
fn slash(who: (&str, &str, &str), name: &str, options: Value, resolved: Value) -> Value {
    interaction(
        2,
        who,
        json!({"id": "700", "name": name, "type": 1, "options": options, "resolved": resolved}),
        json!({}),
    )
}

fn click(who: (&str, &str, &str), custom_id: &str) -> Value {
    let message = message_json(4242, CHANNEL, &json!({"content": "question"}));
    interaction(
        3,
        who,
        json!({"custom_id": custom_id, "component_type": 2}),
        json!({"message": message}),
    )
}

fn modal(who: (&str, &str, &str), text: &str) -> Value {
    interaction(
        5,
        who,
        json!({"custom_id": "/answer", "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": text}]}
        ]}),
        json!({}),
    )
}

fn opt(name: &str, kind: u8, value: Value) -> Value {
    json!({"name": name, "type": kind, "value": value})
}

fn sub(name: &str, options: Value) -> Value {
    json!([{"name": name, "type": 1, "options": options}])
}

const ADMIN: (&str, &str, &str) = ("1", "admin", MANAGE_GUILD);
const ALICE: (&str, &str, &str) = ("2", "alice", "0");
const BOB: (&str, &str, &str) = ("3", "bob", "0");

/// The interaction callback (first response) for an interaction, with its body.
fn is_callback(c: &Call) -> bool {
    c.method == "POST" && c.path.starts_with("/interactions/") && c.path.ends_with("/callback")
}

fn ephemeral(body: &Value) -> bool {
    let flags = body["data"]["flags"]
        .as_u64()
        .or_else(|| body["flags"].as_u64())
        .unwrap_or(0);
    flags & 64 != 0
}

/// Everything a REST call would show to people, as one text.
fn shown(body: &Value) -> String {
    let data = if body.get("data").is_some() {
        &body["data"]
    } else {
        body
    };
    let mut s = data["content"].as_str().unwrap_or("").to_string();
    for e in data["embeds"].as_array().into_iter().flatten() {
        s.push_str(e["title"].as_str().unwrap_or(""));
        s.push('\n');
        s.push_str(e["description"].as_str().unwrap_or(""));
        s.push('\n');
    }
    s
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), serenity_error::Error>>,
    transport: DiscordTransport,
}

mod serenity_error {
    pub type Error = Box<dyn std::error::Error + Send + Sync>;
}

/// A TestBot whose chat is the fake Discord server, and the adapter running against the fake.
async fn discord_bot(
    adjust: impl FnOnce(&mut drillbot::settings::ChatDefaults),
) -> (TestBot, FakeDiscord, mpsc::UnboundedSender<Value>, Running) {
    discord_bot_acking_within(adjust, Duration::from_secs(2)).await
}

/// The same, deferring interactions the engine has not answered within `ack_within` (zero: always).
async fn discord_bot_acking_within(
    adjust: impl FnOnce(&mut drillbot::settings::ChatDefaults),
    ack_within: Duration,
) -> (TestBot, FakeDiscord, mpsc::UnboundedSender<Value>, Running) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("serenity=warn,poise=warn,drillbot=info")
        .with_test_writer()
        .try_init();
    let mut bot = TestBot::with(adjust);
    bot.chat = ChatRef {
        platform: Platform::Discord,
        id: GUILD.into(),
    };
    let (fake, events, url) = FakeDiscord::start().await;
    let options = DiscordOptions {
        dev_guild_id: None,
        shards: Shards::Fixed(1),
        ack_within,
    };
    let adapter = DiscordAdapter::connect(
        bot.engine.clone(),
        "discord-secret-token",
        Some(&url),
        &options,
    )
    .await
    .expect("the client builds against the fake");
    let transport = adapter.transport();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        adapter
            .run(async move {
                let _ = stopped.await;
            })
            .await
            .map_err(|e| Box::new(e) as serenity_error::Error)
    });
    // READY registers the commands globally.
    fake.wait_for(1, |c| {
        c.method == "PUT" && c.path == format!("/applications/{APP_ID}/commands")
    })
    .await;
    // GUILD_CREATE of a server the bot has not seen: the introduction in its system channel.
    fake.wait_for(1, |c| {
        c.path == format!("/channels/{CHANNEL}/messages")
            && shown(&c.body).contains("/settings channel")
    })
    .await;
    (
        bot,
        fake,
        events,
        Running {
            stop,
            task,
            transport,
        },
    )
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        let done = tokio::time::timeout(Duration::from_secs(10), self.task).await;
        assert!(done.is_ok(), "the Discord adapter did not stop");
    }
}

/// Sends an interaction and waits for its callback.
async fn interact(fake: &FakeDiscord, events: &mpsc::UnboundedSender<Value>, event: Value) -> Call {
    let id = event["id"].as_str().unwrap().to_string();
    events.send(event).unwrap();
    let path = format!("/interactions/{id}/");
    fake.wait_for(1, |c| is_callback(c) && c.path.starts_with(&path))
        .await
        .remove(0)
}

/// The admin runs `/settings channel channel:#general`; returns the interaction's callback.
async fn choose_channel(fake: &FakeDiscord, events: &mpsc::UnboundedSender<Value>) -> Call {
    let resolved = json!({"channels": {CHANNEL: {"id": CHANNEL, "name": "general", "type": 0, "permissions": "2048"}}});
    let channel = sub("channel", json!([opt("channel", 7, json!(CHANNEL))]));
    interact(fake, events, slash(ADMIN, "settings", channel, resolved)).await
}

/// The admin turns discussion threads on (`/settings threads state:on`).
async fn threads_on(fake: &FakeDiscord, events: &mpsc::UnboundedSender<Value>) {
    let on = sub("threads", json!([opt("state", 4, json!(0))]));
    interact(fake, events, slash(ADMIN, "settings", on, json!({}))).await;
}

/// Follow-ups sent for an interaction token.
/// The edits of a deferred interaction's original response ("thinking…" replaced).
fn original_edits(fake: &FakeDiscord, callback: &Call) -> Vec<Call> {
    let token = callback.path.split('/').nth(3).unwrap().to_string();
    fake.calls()
        .into_iter()
        .filter(|c| {
            c.method == "PATCH"
                && c.path == format!("/webhooks/{APP_ID}/{token}/messages/@original")
        })
        .collect()
}

fn followups(fake: &FakeDiscord, callback: &Call) -> Vec<Call> {
    let token = callback.path.split('/').nth(3).unwrap().to_string();
    fake.calls()
        .into_iter()
        .filter(|c| c.method == "POST" && c.path == format!("/webhooks/{APP_ID}/{token}"))
        .collect()
}

#[tokio::test]
async fn discord_a_full_round_with_slash_commands_a_button_and_a_modal() {
    let (bot, fake, events, running) = discord_bot(|d| d.topics = vec!["beta".into()]).await;
    // Registration: every command, described in English and Chinese.
    let registered = fake
        .calls()
        .into_iter()
        .find(|c| c.method == "PUT")
        .unwrap()
        .body;
    let names: Vec<&str> = registered
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for name in [
        "today",
        "answer",
        "reveal",
        "rate",
        "leaderboard",
        "stats",
        "topics",
        "help",
        "settings",
        "skip",
    ] {
        assert!(names.contains(&name), "{name} not registered: {names:?}");
    }
    assert!(registered.to_string().contains("zh-CN"));
    // The first GUILD_CREATE of a new server: the introduction in its system channel.
    let intro = fake
        .wait_for(1, |c| c.path == format!("/channels/{CHANNEL}/messages"))
        .await;
    assert!(shown(&intro[0].body).contains("/settings channel"));

    // The admin chooses the channel: that starts the schedule.
    let cb = choose_channel(&fake, &events).await;
    assert!(
        shown(&cb.body).contains(&format!("<#{CHANNEL}>")),
        "{}",
        cb.body
    );
    let row = bot.chat();
    assert!(row.settings.scheduled);
    assert_eq!(row.settings.channel, Some(drillbot::vocab::ChannelId(200)));

    // alice asks for today's question: a public embed with Answer and Show me buttons.
    let cb = interact(&fake, &events, slash(ALICE, "today", json!([]), json!({}))).await;
    assert!(!ephemeral(&cb.body));
    let components = cb.body["data"]["components"].to_string();
    assert!(
        components.contains("\"/answer\"") && components.contains("/reveal me"),
        "{components}"
    );
    let q = bot.open_question().unwrap();

    // alice answers with the button and the modal; bob with /answer.
    let cb = interact(&fake, &events, click(ALICE, "/answer")).await;
    assert_eq!(
        cb.body["type"], 9,
        "the Answer button opens a modal: {}",
        cb.body
    );
    let alice = format!("{} ALICEMARK", good_answer(&q.id));
    let cb = interact(&fake, &events, modal(ALICE, &alice)).await;
    assert!(
        ephemeral(&cb.body),
        "the confirmation is ephemeral: {}",
        cb.body
    );
    assert!(shown(&cb.body).contains("已收到"), "{}", cb.body);
    let bob = format!("{} BOBMARK", partial_answer(&q.id));
    let cb = interact(
        &fake,
        &events,
        slash(
            BOB,
            "answer",
            json!([opt("text", 3, json!(bob))]),
            json!({}),
        ),
    )
    .await;
    assert!(ephemeral(&cb.body));

    // bob may not reveal for everyone; his /reveal is his own early look, ephemeral.
    let cb = interact(
        &fake,
        &events,
        slash(
            BOB,
            "settings",
            sub("post", json!([opt("time", 3, json!("08:00"))])),
            json!({}),
        ),
    )
    .await;
    assert!(ephemeral(&cb.body));
    assert!(shown(&cb.body).contains("管理员"), "{}", cb.body);

    // Nothing public so far contains an answer.
    for c in fake.calls() {
        let public = (is_callback(&c) && !ephemeral(&c.body))
            || c.path.starts_with("/channels/")
            || (c.path.starts_with("/webhooks/") && !ephemeral(&c.body));
        if public {
            let text = c.body.to_string();
            assert!(
                !text.contains("ALICEMARK") && !text.contains("BOBMARK"),
                "a sealed answer went public: {text}"
            );
        }
    }

    // The admin turns discussion threads on, then reveals for everyone: public, with both members and
    // rating buttons, and a thread under the reveal.
    threads_on(&fake, &events).await;
    assert!(bot.chat().settings.threads);
    let cb = interact(
        &fake,
        &events,
        slash(ADMIN, "reveal", json!([opt("who", 4, json!(1))]), json!({})),
    )
    .await;
    assert!(!ephemeral(&cb.body));
    let mut text = shown(&cb.body);
    for f in followups(&fake, &cb) {
        text.push_str(&shown(&f.body));
    }
    for name in ["alice", "bob"] {
        assert!(
            text.contains(name),
            "{name} missing from the reveal: {text}"
        );
    }
    let all = fake
        .calls()
        .iter()
        .map(|c| c.body.to_string())
        .collect::<String>();
    assert!(
        all.contains("/rate good"),
        "rating buttons after the reveal"
    );
    assert_eq!(bot.result_of("alice").unwrap().0, 100);
    let thread = fake
        .wait_for(1, |c| c.method == "POST" && c.path.ends_with("/threads"))
        .await;
    assert!(
        thread[0]
            .path
            .starts_with(&format!("/channels/{CHANNEL}/messages/"))
    );
    assert!(!thread[0].body["name"].as_str().unwrap().is_empty());

    // alice rates herself with a button: answered ephemerally.
    let cb = interact(&fake, &events, click(ALICE, "/rate good")).await;
    assert!(ephemeral(&cb.body));
    assert_eq!(bot.count("ratings"), 1);
    // The token never appears in anything sent.
    assert!(!all.contains("discord-secret-token"));
    running.stop().await;
}

#[tokio::test]
async fn discord_a_non_admin_is_refused_settings_and_skip() {
    let (bot, fake, events, running) = discord_bot(|_| {}).await;
    let cb = interact(
        &fake,
        &events,
        slash(
            ALICE,
            "settings",
            sub("schedule", json!([opt("state", 4, json!(0))])),
            json!({}),
        ),
    )
    .await;
    assert!(ephemeral(&cb.body));
    assert!(shown(&cb.body).contains("管理员"), "{}", cb.body);
    let cb = interact(&fake, &events, slash(ALICE, "skip", json!([]), json!({}))).await;
    assert!(ephemeral(&cb.body));
    assert!(!bot.chat().settings.scheduled);
    // Even an admin cannot start the schedule before choosing a channel.
    let cb = interact(
        &fake,
        &events,
        slash(
            ADMIN,
            "settings",
            sub("schedule", json!([opt("state", 4, json!(0))])),
            json!({}),
        ),
    )
    .await;
    assert!(shown(&cb.body).contains("/settings channel"), "{}", cb.body);
    assert!(!bot.chat().settings.scheduled);
    running.stop().await;
}

#[tokio::test]
async fn discord_a_multiple_choice_round_with_buttons() {
    let (bot, fake, events, running) = discord_bot(|d| {
        d.topics = vec!["alpha".into()];
        d.difficulty = (1, 1);
    })
    .await;
    interact(&fake, &events, slash(ALICE, "today", json!([]), json!({}))).await;
    if bot.open_question().unwrap().id != "alpha-choice" {
        interact(&fake, &events, slash(ADMIN, "skip", json!([]), json!({}))).await;
    }
    assert_eq!(bot.open_question().unwrap().id, "alpha-choice");
    let posts = fake.calls();
    let post = posts
        .iter()
        .rev()
        .find(|c| c.body.to_string().contains("/answer B"))
        .expect("a post with a button per choice");
    assert!(post.body.to_string().contains("/answer D"));
    let cb = interact(&fake, &events, click(ALICE, "/answer B")).await;
    assert!(ephemeral(&cb.body), "{}", cb.body);
    let cb = interact(&fake, &events, click(BOB, "/answer A")).await;
    assert!(ephemeral(&cb.body));
    interact(&fake, &events, slash(ADMIN, "reveal", json!([]), json!({}))).await;
    assert_eq!(bot.result_of("alice").unwrap().0, 100);
    assert_eq!(bot.result_of("bob").unwrap().0, 0);
    running.stop().await;
}

fn discord_worker(bot: &TestBot, transport: DiscordTransport) -> Delivery<DiscordTransport> {
    Delivery::new(
        bot.engine.clone(),
        transport,
        Pacing::discord(),
        Clock::starting_at(bot.now),
    )
    .unwrap()
}

/// Chooses the channel, then queues a 09:00 post.
async fn queue_a_post(
    bot: &mut TestBot,
    fake: &FakeDiscord,
    events: &mpsc::UnboundedSender<Value>,
) {
    choose_channel(fake, events).await;
    // The adapter runs on the real clock (the channel was chosen now): the post is due at a later 09:00.
    bot.set_clock("2099-01-05T09:00");
    assert_eq!(bot.engine.tick(bot.now).len(), 1);
}

fn channel_posts(fake: &FakeDiscord) -> Vec<Call> {
    fake.calls()
        .into_iter()
        .filter(|c| c.method == "POST" && c.path == format!("/channels/{CHANNEL}/messages"))
        .collect()
}

#[tokio::test]
async fn discord_outbox_honours_a_429_on_a_message_post() {
    let (mut bot, fake, events, running) = discord_bot(|_| {}).await;
    queue_a_post(&mut bot, &fake, &events).await;
    let before = channel_posts(&fake).len();
    fake.post_script.lock().unwrap().push_back((
        429,
        json!({"message": "You are being rate limited.", "retry_after": 0.5, "global": false}),
        Some(0.5),
    ));
    let mut worker = discord_worker(&bot, running.transport.clone());
    assert_eq!(worker.pass().await.unwrap().rate_limited, 1);
    assert_eq!(
        worker.pass().await.unwrap().sent,
        0,
        "waits before retrying"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(worker.pass().await.unwrap().sent, 1);
    let posts = channel_posts(&fake);
    assert_eq!(posts.len() - before, 2, "one refused, one accepted");
    let waited = posts[posts.len() - 1].at - posts[posts.len() - 2].at;
    assert!(
        waited >= Duration::from_millis(1000),
        "waited only {waited:?}"
    );
    assert!(shown(&posts[posts.len() - 1].body).contains("今日一题"));
    assert_eq!(bot.count("outbox WHERE state = 'sent'"), 1);
    running.stop().await;
}

#[tokio::test]
async fn discord_an_error_page_from_a_proxy_never_pauses_the_server() {
    let (mut bot, fake, events, running) = discord_bot(|_| {}).await;
    queue_a_post(&mut bot, &fake, &events).await;
    // Not Discord's JSON: a proxy's 502 is retried, its 404 drops the message; neither pauses the server.
    fake.post_script
        .lock()
        .unwrap()
        .push_back((502, json!("<html>502 Bad Gateway</html>"), None));
    let mut worker = discord_worker(&bot, running.transport.clone());
    assert_eq!(worker.pass().await.unwrap().retried, 1);
    bot.engine
        .store()
        .with_connection(|c| c.execute("UPDATE outbox SET not_before = 0", []).unwrap());
    fake.post_script
        .lock()
        .unwrap()
        .push_back((404, json!("404 page not found"), None));
    assert_eq!(worker.pass().await.unwrap().failed, 1);
    let row = bot.chat();
    assert!(row.settings.scheduled, "the schedule is still on");
    assert_eq!(bot.count("outbox WHERE state = 'failed'"), 1);
    running.stop().await;
}

#[tokio::test]
async fn discord_a_channel_the_bot_lost_access_to_pauses_the_schedule_and_admins_are_told() {
    let (mut bot, fake, events, running) = discord_bot(|_| {}).await;
    queue_a_post(&mut bot, &fake, &events).await;
    fake.post_script.lock().unwrap().push_back((
        403,
        json!({"message": "Missing Access", "code": 50001}),
        None,
    ));
    let mut worker = discord_worker(&bot, running.transport.clone());
    assert_eq!(worker.pass().await.unwrap().failed, 1);
    let row = bot.chat();
    assert!(!row.settings.scheduled, "the schedule is paused");
    // The admin's next command carries the notice, privately.
    let cb = interact(&fake, &events, slash(ADMIN, "help", json!([]), json!({}))).await;
    let notes = followups(&fake, &cb);
    let notice = notes
        .iter()
        .find(|f| shown(&f.body).contains("Missing Access"))
        .expect("a notice about the pause");
    assert!(ephemeral(&notice.body));
    running.stop().await;
}

#[tokio::test]
async fn discord_a_database_error_is_retried_and_never_pauses_the_server() {
    let (mut bot, fake, events, running) = discord_bot(|_| {}).await;
    queue_a_post(&mut bot, &fake, &events).await;
    let outgoing = drillbot::message::Outgoing {
        chat: bot.chat.clone(),
        reply: drillbot::message::Reply::to_chat(drillbot::message::ReplyKind::Info, "x".into()),
    };
    let posts_before = channel_posts(&fake).len();
    // The chats table cannot be read for a moment (a stand-in for a locked or failing disk).
    bot.engine.store().with_connection(|c| {
        c.execute_batch("ALTER TABLE chats RENAME TO chats_away")
            .unwrap()
    });
    let err = running.transport.send(&outgoing).await.unwrap_err();
    assert!(
        matches!(err, drillbot::delivery::SendError::Transient(_)),
        "{err:?}"
    );
    bot.engine.store().with_connection(|c| {
        c.execute_batch("ALTER TABLE chats_away RENAME TO chats")
            .unwrap()
    });
    let row = bot.chat();
    assert!(row.settings.scheduled, "the schedule is still on");
    assert_eq!(channel_posts(&fake).len(), posts_before);
    running.stop().await;
}

#[tokio::test]
async fn discord_long_model_answers_are_split_within_limits() {
    let (mut bot, fake, events, running) = discord_bot(|_| {}).await;
    queue_a_post(&mut bot, &fake, &events).await;
    // A reveal padded far beyond one message: every recorded message stays within Discord's limits.
    let long = format!("{}\n\n", "长答案的一段，讲清楚原理和细节。".repeat(120)).repeat(12);
    let outgoing = drillbot::message::Outgoing {
        chat: bot.chat.clone(),
        reply: drillbot::message::Reply::to_chat(
            drillbot::message::ReplyKind::Reveal,
            format!("揭晓\n{long}"),
        ),
    };
    running.transport.send(&outgoing).await.unwrap();
    let posts = channel_posts(&fake);
    let long_posts: Vec<&Call> = posts
        .iter()
        .filter(|c| shown(&c.body).contains("长答案"))
        .collect();
    assert!(long_posts.len() >= 2, "split across messages");
    let mut total_chars = 0;
    for p in &long_posts {
        let embeds = p.body["embeds"].as_array().unwrap();
        assert!(embeds.len() <= 10);
        let mut sum = 0;
        for e in embeds {
            // Discord counts characters.
            let d = e["description"].as_str().unwrap_or("").chars().count();
            let t = e["title"].as_str().unwrap_or("").chars().count();
            assert!(d <= 4096 && t <= 256);
            sum += d + t;
            total_chars += e["description"]
                .as_str()
                .unwrap_or("")
                .matches("长答案")
                .count();
        }
        assert!(sum <= 6000, "{sum} characters in one message");
        assert!(p.body["content"].as_str().unwrap_or("").chars().count() <= 2000);
    }
    assert_eq!(total_chars, 120 * 12, "no paragraph lost");
    assert!(
        !fake.calls().iter().any(|c| c.path.ends_with("/threads")),
        "no discussion thread unless the server turned threads on"
    );
    let _ = (&events, &mut bot);
    running.stop().await;
}

#[tokio::test]
async fn discord_run_connects_registers_commands_and_stops_cleanly_without_logging_the_token() {
    let (fake, _events, url) = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let listen = crate::harness::free_port();
    let child = Logged::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_drillbot"))
            .args(["run", "--db"])
            .arg(dir.path().join("run.db"))
            .env_remove("DRILLBOT__TELEGRAM__TOKEN")
            .env("DRILLBOT__DISCORD__TOKEN", "VERY-SECRET-DISCORD-TOKEN")
            .env("DRILLBOT__DISCORD__API_URL", url.as_str())
            .env("DRILLBOT__DISCORD__DEV_GUILD_ID", GUILD)
            .env("DRILLBOT__DISCORD__SHARDS", "auto")
            .env("DRILLBOT__HTTP__LISTEN", listen.to_string())
            .env("RUST_LOG", "debug"),
    );
    // Autosharding asks /gateway/bot; dev_guild_id registers the commands in that server only, once the
    // gateway says READY.
    let registered = format!("/applications/{APP_ID}/guilds/{GUILD}/commands");
    let is_registration = |c: &Call| c.method == "PUT" && c.path == registered;
    for _ in 0..400 {
        if fake.calls().iter().any(is_registration) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let registered_while_running = fake.calls().iter().any(is_registration);
    // Connected to the gateway: the operator's health check says so.
    let health = crate::harness::http_get(listen, "/healthz").await;
    let (ok, log) = crate::harness::terminate(child).await;
    let (status, body) = health.expect("/healthz answers");
    assert_eq!(status, 200, "{body}\n{log}");
    assert!(body.contains("\"discord\""), "{body}");
    assert!(
        registered_while_running,
        "no command registration within 10 s; log:\n{log}"
    );
    assert!(ok, "{log}");
    assert!(log.contains("stopped cleanly"), "{log}");
    assert!(
        !log.contains("VERY-SECRET-DISCORD-TOKEN"),
        "the token leaked into the log"
    );
}

#[tokio::test]
async fn discord_a_scheduled_reveal_goes_to_the_channel_and_opens_a_thread_only_when_asked() {
    let (mut bot, fake, events, running) = discord_bot(|_| {}).await;
    queue_a_post(&mut bot, &fake, &events).await;
    let mut worker = discord_worker(&bot, running.transport.clone());
    assert_eq!(worker.pass().await.unwrap().sent, 1);
    threads_on(&fake, &events).await;
    bot.set_clock("2099-01-05T21:00");
    assert_eq!(bot.engine.tick(bot.now).len(), 1, "the reveal is queued");
    let mut worker = discord_worker(&bot, running.transport.clone());
    assert_eq!(worker.pass().await.unwrap().sent, 1);
    let threads: Vec<Call> = fake
        .calls()
        .into_iter()
        .filter(|c| c.path.ends_with("/threads"))
        .collect();
    assert_eq!(threads.len(), 1, "one thread under the reveal");
    let reveal = channel_posts(&fake).pop().unwrap();
    assert!(shown(&reveal.body).contains("揭晓"), "{}", reveal.body);
    assert!(reveal.body.to_string().contains("/rate good"));
    running.stop().await;
}

#[tokio::test]
async fn discord_a_deferred_interaction_keeps_private_replies_private_and_public_ones_public() {
    // Defer every interaction, as if the engine were slow.
    let (bot, fake, events, running) =
        discord_bot_acking_within(|d| d.topics = vec!["beta".into()], Duration::ZERO).await;
    let cb = interact(&fake, &events, slash(ALICE, "today", json!([]), json!({}))).await;
    assert_eq!(cb.body["type"], 5, "deferred: {}", cb.body);
    assert!(ephemeral(&cb.body), "the deferral is ephemeral");
    // The public question went to the channel as a message, not into the ephemeral deferral.
    fake.wait_for(1, |c| {
        c.method == "POST"
            && c.path == format!("/channels/{CHANNEL}/messages")
            && shown(&c.body).contains("今日一题")
    })
    .await;
    let q = bot.open_question().unwrap();
    let cb = interact(
        &fake,
        &events,
        slash(
            ALICE,
            "answer",
            json!([opt(
                "text",
                3,
                json!(format!("{} SEALED", good_answer(&q.id)))
            )]),
            json!({}),
        ),
    )
    .await;
    assert_eq!(cb.body["type"], 5);
    assert!(
        ephemeral(&cb.body),
        "the deferral, and so what replaces it, is ephemeral"
    );
    // The confirmation replaces the "thinking…" message (an edit of the original response, not a follow-up).
    let confirmation = loop {
        if let Some(f) = original_edits(&fake, &cb).pop() {
            break f;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(followups(&fake, &cb).is_empty());
    assert!(
        shown(&confirmation.body).contains("已收到"),
        "{}",
        confirmation.body
    );
    assert!(
        channel_posts(&fake)
            .iter()
            .all(|c| !c.body.to_string().contains("SEALED")),
        "the sealed answer never reaches the channel"
    );
    running.stop().await;
}

/// A Discord REST API whose `/gateway` answers `gateway` (status and body); every other call answers `[]`.
async fn rest_only(gateway: (u16, Value)) -> url::Url {
    let app = axum::Router::new().fallback(any(move |uri: Uri| {
        let gateway = gateway.clone();
        async move {
            let path = uri
                .path()
                .trim_start_matches("/api/v10")
                .trim_matches('/')
                .to_string();
            if path == "gateway" || path == "gateway/bot" {
                (StatusCode::from_u16(gateway.0).unwrap(), Json(gateway.1)).into_response()
            } else {
                Json(json!([])).into_response()
            }
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://127.0.0.1:{port}").parse().unwrap()
}

fn discord_run(dir: &std::path::Path, api_url: &url::Url) -> Logged {
    Logged::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_drillbot"))
            .args(["run", "--db"])
            .arg(dir.join("run.db"))
            .env_remove("DRILLBOT__TELEGRAM__TOKEN")
            .env("DRILLBOT__DISCORD__TOKEN", "x")
            .env("DRILLBOT__DISCORD__API_URL", api_url.as_str())
            .env("RUST_LOG", "info"),
    )
}

/// Waits up to `secs` for a child to exit; kills it and fails the test if it does not.
async fn exits_within(mut child: Logged, secs: u64) -> (bool, String) {
    for _ in 0..secs * 20 {
        if child.exited() {
            return child.wait().await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill();
    let (_, log) = child.wait().await;
    panic!("still running after {secs} s; log:\n{log}");
}

#[tokio::test]
async fn discord_run_stops_on_sigterm_while_the_gateway_cannot_connect() {
    // The gateway address names a port nobody listens on: the shard keeps failing to connect.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = rest_only((200, json!({
        "url": format!("ws://127.0.0.1:{port}"), "shards": 1,
        "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
    })))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let child = discord_run(dir.path(), &url);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let (ok, log) = exits_within(child, 15).await;
    assert!(ok, "{log}");
    assert!(log.contains("stopped cleanly"), "{log}");
}

#[tokio::test]
async fn discord_run_never_falls_back_to_the_public_gateway_when_the_api_url_is_set() {
    let url = rest_only((502, json!({"message": "bad gateway", "code": 0}))).await;
    let dir = tempfile::tempdir().unwrap();
    let (ok, log) = exits_within(discord_run(dir.path(), &url), 15).await;
    assert!(!ok, "{log}");
    assert!(log.contains("discord.api_url"), "{log}");
    assert!(!log.contains("gateway.discord.gg"), "{log}");
}

#[tokio::test]
async fn discord_a_deferred_public_post_that_fails_is_explained_to_the_member() {
    let (_bot, fake, events, running) =
        discord_bot_acking_within(|d| d.topics = vec!["beta".into()], Duration::ZERO).await;
    fake.post_script.lock().unwrap().push_back((
        403,
        json!({"message": "Missing Permissions", "code": 50013}),
        None,
    ));
    let cb = interact(&fake, &events, slash(ALICE, "today", json!([]), json!({}))).await;
    assert_eq!(cb.body["type"], 5, "deferred: {}", cb.body);
    assert!(ephemeral(&cb.body));
    let notice = loop {
        if let Some(f) = original_edits(&fake, &cb).pop() {
            break f;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let text = shown(&notice.body);
    assert!(text.contains("Missing Permissions"), "{text}");
    assert!(!text.contains('✅'), "{text}");
    running.stop().await;
}
