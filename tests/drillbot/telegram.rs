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

/// A fake Bot API on 127.0.0.1:0: serves `getUpdates` from a queue, answers `getMe`, `getChatMember`
/// (creator for the admins), scripted answers for `sendMessage` (then success), `true` for anything else, and
/// records every call.
#[derive(Clone, Default)]
struct FakeBotApi {
    calls: Arc<Mutex<Vec<(String, Value)>>>,
    script: Arc<Mutex<VecDeque<Value>>>,
    updates: Arc<Mutex<VecDeque<Value>>>,
    admins: Arc<Mutex<Vec<i64>>>,
    /// Chats that refuse messages as Telegram does for users who never started the bot.
    no_dm: Arc<Mutex<Vec<i64>>>,
}

const BOT_ID: i64 = 999;

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "drillbot", "username": "drillbot_bot"})
}

async fn method(
    State(api): State<FakeBotApi>,
    Path((_token, name)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Json<Value> {
    let body = body.map(|Json(b)| b).unwrap_or(Value::Null);
    let name = name.to_lowercase();
    api.calls.lock().unwrap().push((name.clone(), body.clone()));
    match name.as_str() {
        "getme" => Json(json!({"ok": true, "result": {
            "id": BOT_ID, "is_bot": true, "first_name": "drillbot", "username": "drillbot_bot",
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "has_main_web_app": false
        }})),
        "getupdates" => {
            for _ in 0..10 {
                let batch: Vec<Value> = api.updates.lock().unwrap().drain(..).collect();
                if !batch.is_empty() {
                    return Json(json!({"ok": true, "result": batch}));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Json(json!({"ok": true, "result": []}))
        }
        "getchatmember" => {
            let user = body["user_id"].as_i64().unwrap_or_default();
            let status = if api.admins.lock().unwrap().contains(&user) {
                "creator"
            } else {
                "member"
            };
            Json(json!({"ok": true, "result": {
                "status": status, "is_anonymous": false,
                "user": {"id": user, "is_bot": false, "first_name": "someone"}
            }}))
        }
        "sendmessage" => {
            if let Some(answer) = api.script.lock().unwrap().pop_front() {
                return Json(answer);
            }
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            if api.no_dm.lock().unwrap().contains(&chat) {
                return Json(json!({"ok": false, "error_code": 403,
                    "description": "Forbidden: bot can't initiate conversation with a user"}));
            }
            let id = api.calls.lock().unwrap().len();
            Json(json!({"ok": true, "result": {
                "message_id": id, "date": 1_795_000_000, "from": bot_user(),
                "chat": {"id": chat, "type": if chat > 0 { "private" } else { "supergroup" }, "title": "study group", "first_name": "x"},
                "text": body["text"]
            }}))
        }
        _ => Json(json!({"ok": true, "result": true})),
    }
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

    fn sends_to(&self, chat: i64) -> Vec<String> {
        self.sends()
            .iter()
            .filter(|b| b["chat_id"].as_i64() == Some(chat))
            .map(|b| b["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Queues an update and waits until the bot has sent `more` further messages (or 5 s pass).
    async fn push(&self, update: Value, more: usize) {
        let before = self.sends().len();
        self.updates.lock().unwrap().push_back(update);
        for _ in 0..250 {
            if self.sends().len() >= before + more {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "the bot did not answer {more} time(s) to an update; calls: {:?}",
            self.calls.lock().unwrap()
        );
    }
}

static UPDATE_ID: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);

fn message(chat: i64, user: (i64, &str), text: &str, reply_to: Option<Value>) -> Value {
    let id = UPDATE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let chat_json = if chat > 0 {
        json!({"id": chat, "type": "private", "first_name": user.1})
    } else {
        json!({"id": chat, "type": "supergroup", "title": "study group"})
    };
    let mut m = json!({
        "message_id": 10_000 + id, "date": 1_795_000_000, "chat": chat_json,
        "from": {"id": user.0, "is_bot": false, "first_name": user.1, "username": user.1},
        "text": text
    });
    if let Some(r) = reply_to {
        m["reply_to_message"] = r;
    }
    json!({"update_id": id, "message": m})
}

/// The outbox worker delivering through teloxide to the fake Bot API.
fn telegram_worker(bot: &TestBot, url: url::Url) -> Delivery<TelegramTransport> {
    let transport = TelegramTransport::new("123:secret", Some(url));
    Delivery::new(
        bot.engine.clone(),
        transport,
        Pacing::telegram(),
        Clock::starting_at(bot.now),
    )
    .unwrap()
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
    let mut w = telegram_worker(&bot, url);
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
    let mut w = telegram_worker(&bot, url);
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
    let mut w = telegram_worker(&bot, url);
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

#[tokio::test]
async fn telegram_a_full_round_in_a_group_with_answers_by_command_reply_and_dm() {
    use drillbot::adapters::telegram::TelegramAdapter;
    let bot = TestBot::with(|d| d.topics = vec!["beta".into()]);
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![]).await;
    api.admins.lock().unwrap().push(1);
    api.no_dm.lock().unwrap().push(5);
    let adapter =
        TelegramAdapter::connect(bot.engine.clone(), TelegramTransport::new("1:t", Some(url)))
            .await
            .unwrap();
    let commands = api
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, _)| m == "setmycommands")
        .count();
    assert_eq!(commands, 2, "zh and en command menus");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(adapter.run(async move {
        let _ = stopped.await;
    }));

    let admin = (1, "admin");
    api.push(message(group, admin, "/settings on", None), 1)
        .await;
    assert!(api.sends_to(group).last().unwrap().contains("设置已更新"));
    api.push(message(group, (2, "alice"), "/today@drillbot_bot", None), 1)
        .await;
    let post = api.sends().last().unwrap().clone();
    assert!(post["text"].as_str().unwrap().contains("今日一题"));
    let buttons = post["reply_markup"]["inline_keyboard"].to_string();
    assert!(
        buttons.contains("t.me/drillbot_bot?start=g-100123"),
        "{buttons}"
    );
    let q = bot.open_question().unwrap();
    // A command for another bot in the group is not ours.
    let before = api.sends().len();
    api.updates
        .lock()
        .unwrap()
        .push_back(message(group, (2, "alice"), "/today@otherbot", None));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.sends().len(), before);

    // alice answers with /answer@botname, bob by replying to the question, carol in a DM after the deep link.
    let alice = format!("{} ALICE-MARK", crate::harness::good_answer(&q.id));
    api.push(
        message(
            group,
            (2, "alice"),
            &format!("/answer@drillbot_bot {alice}"),
            None,
        ),
        1,
    )
    .await;
    assert!(api.sends_to(2).last().unwrap().contains("已收到"));
    let question_msg = json!({"message_id": 7, "date": 1_795_000_000, "from": bot_user(),
        "chat": {"id": group, "type": "supergroup", "title": "study group"}, "text": "📝 今日一题"});
    let bob = format!("{} BOB-MARK", crate::harness::partial_answer(&q.id));
    api.push(message(group, (3, "bob"), &bob, Some(question_msg)), 1)
        .await;
    assert!(api.sends_to(3).last().unwrap().contains("已收到"));
    api.push(message(4, (4, "carol"), "/start g-100123", None), 1)
        .await;
    let carol = "生成器函数用 yield 暂停，返回迭代器，惰性产生值 CAROL-MARK";
    api.push(message(4, (4, "carol"), carol, None), 1).await;
    assert!(api.sends_to(4).last().unwrap().contains("已收到"));
    // dave, a member who never started the bot, is refused /skip: the refusal cannot be DMed, a note says why.
    api.push(message(group, (5, "dave"), "/skip", None), 2)
        .await;
    assert!(
        api.sends_to(group)
            .last()
            .unwrap()
            .contains("t.me/drillbot_bot?start=g-100123")
    );

    // Nothing sent to the group so far contains an answer.
    for text in api.sends_to(group) {
        for mark in ["ALICE-MARK", "BOB-MARK", "CAROL-MARK"] {
            assert!(
                !text.contains(mark),
                "a sealed answer reached the group: {text}"
            );
        }
    }
    api.push(message(group, admin, "/reveal", None), 1).await;
    let reveal = api.sends_to(group).last().unwrap().clone();
    assert!(reveal.contains("揭晓"), "{reveal}");
    for name in ["alice", "bob", "carol"] {
        assert!(reveal.contains(name), "{name} missing from {reveal}");
    }
    assert_eq!(bot.result_of("alice").unwrap().0, 100);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap();
}
