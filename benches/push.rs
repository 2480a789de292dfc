//! Pushes the daily question to many chats through the real outbox and the real Telegram transport
//! (teloxide) against a loopback fake Bot API that enforces a rate and answers 429 with `retry_after`.
//!
//! `cargo bench --bench push` (PUSH_CHATS, default 10,000; PUSH_RATE, the fake server's limit in messages
//! per second, default 200). Prints one line:
//! `push: N chats in T s, X% of the configured rate, 429s: K, duplicates: D, lost: L`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
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

/// The fake Bot API: at most `rate` messages in any second, counted per chat.
struct Fake {
    rate: usize,
    recent: Mutex<VecDeque<Instant>>,
    received: Mutex<HashMap<i64, u32>>,
    too_many: AtomicU64,
    next_id: AtomicU64,
}

async fn send_message(State(fake): State<Arc<Fake>>, Json(body): Json<Value>) -> Json<Value> {
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
            return Json(json!({
                "ok": false, "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1}
            }));
        }
        recent.push_back(now);
    }
    let chat = body["chat_id"].as_i64().unwrap_or_default();
    *fake.received.lock().unwrap().entry(chat).or_default() += 1;
    let id = fake.next_id.fetch_add(1, Ordering::Relaxed);
    Json(json!({"ok": true, "result": {
        "message_id": id, "date": 1_795_000_000,
        "chat": {"id": chat, "type": "group", "title": "bench"},
        "text": body["text"]
    }}))
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
        too_many: AtomicU64::new(0),
        next_id: AtomicU64::new(1),
    });
    let app = axum::Router::new()
        .route("/{token}/sendMessage", post(send_message))
        .route("/{token}/SendMessage", post(send_message))
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

    // The worker paces at 95% of the server's limit: arrival jitter on loopback must not cross it.
    let pacing = Pacing {
        per_second: ((rate as f64) * 0.95).floor().max(1.0) as u32,
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
    let lost = chats - received.len();
    let achieved = (chats - lost) as f64 / secs;
    eprintln!("tick queued {queued} posts in {tick_secs:.2} s");
    println!(
        "push: {chats} chats in {secs:.1} s, {:.0}% of the configured rate, 429s: {}, duplicates: {duplicates}, lost: {lost}",
        100.0 * achieved / rate as f64,
        fake.too_many.load(Ordering::Relaxed),
    );
}
