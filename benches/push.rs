//! Pushes the daily question to many chats through the real outbox and the real Telegram transport
//! (teloxide) against a loopback fake Bot API that enforces a rate and answers 429 with `retry_after`.
//!
//! `cargo bench --bench push` (PUSH_CHATS, default 10,000; PUSH_RATE, the fake server's limit in calls per
//! second, default 200; PUSH_PACE, the worker's pace in percent of that limit, default 95: above 100 the
//! server answers 429s, which must cost no duplicate and no loss). Prints one line:
//! `push: N chats, C API calls in T s, X% of the configured rate, 429s: K, duplicates: D, lost: L`. A post
//! is one `sendMessage` (multiple-choice questions carry letter buttons, no poll).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{TimeZone, Utc};
use drillbot::Engine;
use drillbot::adapters::telegram::TelegramTransport;
use drillbot::bank::Bank;
use drillbot::delivery::{Clock, Delivery, Pacing};
use drillbot::message::Platform;
use drillbot::settings::{ChatDefaults, Limits};
use drillbot::store::{ChatSettings, Store};
use serde_json::{Value, json};

/// The fake Bot API: at most `rate` calls in any second. It speaks every method the transport uses
/// (`sendMessage`) and records each call by chat and method, so a re-sent part shows
/// as a duplicate; any other method is refused loudly.
struct Fake {
    rate: usize,
    recent: Mutex<VecDeque<Instant>>,
    received: Mutex<HashMap<(i64, String), u32>>,
    unknown: Mutex<Vec<String>>,
    too_many: AtomicU64,
    next_id: AtomicU64,
}

async fn bot_api(
    State(fake): State<Arc<Fake>>,
    Path((_token, method)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let now = Instant::now();
    {
        let mut recent = fake.recent.lock().unwrap();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            recent.pop_front();
        }
        if recent.len() >= fake.rate {
            fake.too_many.fetch_add(1, Ordering::Relaxed);
            return (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({
                    "ok": false, "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1}
                })),
            );
        }
        recent.push_back(now);
    }
    let method = method.to_lowercase();
    let chat = body["chat_id"].as_i64().unwrap_or_default();
    let id = fake.next_id.fetch_add(1, Ordering::Relaxed);
    let chat_json = json!({"id": chat, "type": "supergroup", "title": "bench"});
    let result = match method.as_str() {
        "sendmessage" => json!({
            "message_id": id, "date": 1_795_000_000, "chat": chat_json, "text": body["text"]
        }),
        other => {
            fake.unknown.lock().unwrap().push(other.to_string());
            return (
                StatusCode::NOT_FOUND,
                Json(
                    json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"}),
                ),
            );
        }
    };
    *fake
        .received
        .lock()
        .unwrap()
        .entry((chat, method))
        .or_default() += 1;
    (StatusCode::OK, Json(json!({"ok": true, "result": result})))
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let chats = env("PUSH_CHATS", 10_000);
    let rate = env("PUSH_RATE", 200);
    let fake = Arc::new(Fake {
        rate,
        recent: Mutex::new(VecDeque::new()),
        received: Mutex::new(HashMap::new()),
        unknown: Mutex::new(Vec::new()),
        too_many: AtomicU64::new(0),
        next_id: AtomicU64::new(1),
    });
    let app = axum::Router::new()
        .route("/{token}/{method}", post(bot_api))
        .with_state(Arc::clone(&fake));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // N chats whose schedule is on; one tick at 09:00 posts to all of them through the outbox.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("push.db")).unwrap();
    let since = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
    let settings = ChatSettings::from_defaults(&ChatDefaults::default(), true);
    store.with_connection(|c| c.execute_batch("BEGIN").unwrap());
    for i in 0..chats {
        store
            .ensure_chat(
                Platform::Telegram,
                &format!("-{}", 1_000_000 + i),
                false,
                &settings,
                i as i64,
                since,
            )
            .unwrap();
    }
    store.with_connection(|c| c.execute_batch("COMMIT").unwrap());
    let engine = Arc::new(Engine::new(
        Bank::bundled().unwrap(),
        store,
        ChatDefaults::default(),
        Limits::default(),
    ));
    let post_time = Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap(); // 09:00 in Shanghai
    let ticking = Instant::now();
    let queued = engine.tick(post_time).len();
    let tick_secs = ticking.elapsed().as_secs_f64();

    // By default the worker paces at 95% of the server's limit: arrival jitter on loopback must not cross it.
    let pace = env("PUSH_PACE", 95);
    let pacing = Pacing {
        per_second: ((rate * pace) as f64 / 100.0).floor().max(1.0) as u32,
        per_chat: 20,
        chat_window: Duration::from_secs(60),
    };
    let url = url::Url::parse(&format!("http://{addr}/")).unwrap();
    let transport = TelegramTransport::new("123:bench", Some(url));
    let mut worker = Delivery::new(
        Arc::clone(&engine),
        transport,
        pacing,
        Clock::starting_at(post_time),
    )
    .unwrap();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(600);
    loop {
        worker.pass().await.unwrap();
        let counts = engine.store().outbox_counts().unwrap();
        if counts.pending == 0 && counts.sending == 0 {
            break;
        }
        if Instant::now() > deadline {
            eprintln!("push: gave up after 600 s");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    let received = fake.received.lock().unwrap();
    let duplicates: u32 = received.values().map(|n| n - 1).sum();
    let calls: u32 = received.values().sum();
    let posted: std::collections::HashSet<i64> = received
        .keys()
        .filter(|(_, m)| m == "sendmessage")
        .map(|(c, _)| *c)
        .collect();
    let lost = chats - posted.len();
    let achieved = calls as f64 / secs;
    let unknown = fake.unknown.lock().unwrap();
    eprintln!("tick queued {queued} posts in {tick_secs:.2} s");
    if !unknown.is_empty() {
        eprintln!(
            "push: the fake refused methods it does not speak: {:?}",
            &unknown[..unknown.len().min(5)]
        );
    }
    println!(
        "push: {chats} chats, {calls} API calls in {secs:.1} s, {:.0}% of the configured rate, 429s: {}, duplicates: {duplicates}, lost: {lost}",
        100.0 * achieved / rate as f64,
        fake.too_many.load(Ordering::Relaxed),
    );
}
