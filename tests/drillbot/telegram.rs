//! Telegram delivery end to end: the real outbox worker and teloxide against a local fake Bot API.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::post;
use drillbot::adapters::telegram::TelegramTransport;
use drillbot::delivery::{Clock, Delivery, Pacing};
use drillbot::message::{ChatRef, Outgoing, Platform, Reply, ReplyKind};
use serde_json::{Value, json};

use crate::harness::TestBot;

/// A fake Bot API on 127.0.0.1:0: answers from a script (then success) and records every call.
#[derive(Clone, Default)]
struct FakeBotApi {
    calls: Arc<Mutex<Vec<(String, Value)>>>,
    script: Arc<Mutex<VecDeque<Value>>>,
}

async fn method(
    State(api): State<FakeBotApi>,
    Path((_token, name)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Json<Value> {
    api.calls
        .lock()
        .unwrap()
        .push((name.to_lowercase(), body.clone()));
    if let Some(answer) = api.script.lock().unwrap().pop_front() {
        return Json(answer);
    }
    Json(json!({"ok": true, "result": {
        "message_id": api.calls.lock().unwrap().len(), "date": 1_795_000_000,
        "chat": {"id": body["chat_id"], "type": "supergroup", "title": "study group"},
        "text": body["text"]
    }}))
}

impl FakeBotApi {
    async fn start(script: Vec<Value>) -> (FakeBotApi, url::Url) {
        let api = FakeBotApi::default();
        *api.script.lock().unwrap() = script.into();
        let app = axum::Router::new()
            .route("/{token}/{method}", post(method))
            .with_state(api.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (api, url)
    }

    fn sends(&self) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| m == "sendmessage")
            .map(|(_, b)| b.clone())
            .collect()
    }
}

/// A group chat on Telegram with its 09:00 post queued.
fn telegram_bot_with_a_queued_post() -> TestBot {
    let mut bot = TestBot::new();
    bot.start_schedule();
    bot.set_clock("2026-11-23T09:00");
    assert_eq!(bot.engine.tick(bot.now).len(), 1);
    bot
}

#[tokio::test]
async fn telegram_outbox_honours_a_429_and_posts_once() {
    let bot = telegram_bot_with_a_queued_post();
    let (api, url) = FakeBotApi::start(vec![json!({
        "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1}
    })])
    .await;
    let transport = TelegramTransport::new("123:secret", Some(url));
    let mut w = Delivery::new(
        bot.engine.clone(),
        transport,
        Pacing::telegram(),
        Clock::starting_at(bot.now),
    )
    .unwrap();
    assert_eq!(w.pass().await.unwrap().rate_limited, 1);
    assert_eq!(w.pass().await.unwrap().sent, 0, "waits for retry_after");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(w.pass().await.unwrap().sent, 1);
    let sends = api.sends();
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[1]["chat_id"], json!(-100123));
    assert!(sends[1]["text"].as_str().unwrap().contains("今日一题"));
    assert!(
        sends[1]["reply_markup"]["inline_keyboard"].is_array(),
        "buttons travel as an inline keyboard"
    );
}

#[tokio::test]
async fn telegram_outbox_a_kicked_bot_pauses_the_chat() {
    let bot = telegram_bot_with_a_queued_post();
    let (api, url) = FakeBotApi::start(vec![json!({
        "ok": false, "error_code": 403, "description": "Forbidden: bot was kicked from the supergroup chat"
    })])
    .await;
    let transport = TelegramTransport::new("123:secret", Some(url));
    let mut w = Delivery::new(
        bot.engine.clone(),
        transport,
        Pacing::telegram(),
        Clock::starting_at(bot.now),
    )
    .unwrap();
    assert_eq!(w.pass().await.unwrap().failed, 1);
    let chat = bot.engine.chat_row(&bot.chat).unwrap();
    assert!(!chat.settings.scheduled);
    assert!(
        bot.engine
            .store()
            .paused_reason(chat.id)
            .unwrap()
            .unwrap()
            .contains("kicked")
    );
    assert_eq!(
        w.pass().await.unwrap(),
        Default::default(),
        "nothing more is tried"
    );
    assert_eq!(api.sends().len(), 1);
}

#[tokio::test]
async fn telegram_outbox_splits_long_messages_under_4096_characters() {
    let bot = TestBot::new();
    bot.say("alice", "/help");
    let chat = bot.engine.chat_row(&bot.chat).unwrap();
    let long = format!("{}\n\n{}", "甲".repeat(3000), "乙".repeat(3000));
    let outgoing = Outgoing {
        chat: ChatRef {
            platform: Platform::Telegram,
            id: bot.chat.id.clone(),
        },
        reply: Reply::to_chat(ReplyKind::Reveal, long),
    };
    bot.engine
        .store()
        .enqueue(chat.id, "notice", &outgoing, bot.now)
        .unwrap();
    let (api, url) = FakeBotApi::start(vec![]).await;
    let transport = TelegramTransport::new("123:secret", Some(url));
    let mut w = Delivery::new(
        bot.engine.clone(),
        transport,
        Pacing::telegram(),
        Clock::starting_at(bot.now),
    )
    .unwrap();
    assert_eq!(w.pass().await.unwrap().sent, 1);
    let texts: Vec<String> = api
        .sends()
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts.len(), 2);
    assert!(texts.iter().all(|t| t.chars().count() <= 4096));
    assert_eq!(texts[0], "甲".repeat(3000));
    assert_eq!(texts[1], "乙".repeat(3000));
}

#[tokio::test]
async fn telegram_run_stops_cleanly_on_sigterm_and_never_logs_the_token() {
    let (_api, url) = FakeBotApi::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .args(["run", "--db"])
        .arg(dir.path().join("run.db"))
        .env("DRILLBOT__TELEGRAM__TOKEN", "4242:VERY-SECRET-TOKEN")
        .env("DRILLBOT__TELEGRAM__API_URL", url.as_str())
        .env("RUST_LOG", "debug")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("stopped cleanly"), "{log}");
    assert!(
        !log.contains("VERY-SECRET-TOKEN"),
        "the token leaked into the log"
    );
}

#[test]
fn telegram_run_without_any_token_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .args(["run", "--db"])
        .arg(dir.path().join("run.db"))
        .env_remove("DRILLBOT__TELEGRAM__TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DRILLBOT__TELEGRAM__TOKEN"));
}
