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

use crate::harness::{Logged, TestBot, free_port, http_get};

/// A fake Bot API on 127.0.0.1:0: serves `getUpdates` from a queue, answers `getMe`, `getChatMember`
/// (creator for the admins), scripted answers for `sendMessage` (then success), `true` for anything else, and
/// records every call.
#[derive(Clone, Default)]
pub(crate) struct FakeBotApi {
    pub(crate) calls: Arc<Mutex<Vec<(String, Value)>>>,
    script: Arc<Mutex<VecDeque<Value>>>,
    pub(crate) updates: Arc<Mutex<VecDeque<Value>>>,
    admins: Arc<Mutex<Vec<i64>>>,
    /// Users who left the group (`getChatMember` says `left`).
    left: Arc<Mutex<Vec<i64>>>,
    /// Chats that refuse messages as Telegram does for users who never started the bot.
    no_dm: Arc<Mutex<Vec<i64>>>,
    /// Calls refused for a parameter the Bot API does not define (a test fails on the next push or wait).
    refused: Arc<Mutex<Vec<String>>>,
}

const BOT_ID: i64 = 999;

/// The parameters the Bot API (10.1) defines for the methods drillbot calls; the fake refuses any other, so a
/// misspelt or outdated field fails a test instead of being silently ignored.
fn known_parameters(method: &str) -> Option<&'static [&'static str]> {
    Some(match method {
        "sendmessage" => &[
            "business_connection_id",
            "chat_id",
            "message_thread_id",
            "direct_messages_topic_id",
            "text",
            "parse_mode",
            "entities",
            "link_preview_options",
            "disable_notification",
            "protect_content",
            "allow_paid_broadcast",
            "message_effect_id",
            "suggested_post_parameters",
            "reply_parameters",
            "reply_markup",
        ],
        "answercallbackquery" => &[
            "callback_query_id",
            "text",
            "show_alert",
            "url",
            "cache_time",
        ],
        "stoppoll" => &[
            "business_connection_id",
            "chat_id",
            "message_id",
            "reply_markup",
        ],
        "getchatmember" => &["chat_id", "user_id"],
        "getupdates" => &["offset", "limit", "timeout", "allowed_updates"],
        "setmycommands" => &["commands", "scope", "language_code"],
        "deletewebhook" => &["drop_pending_updates"],
        "setwebhook" => &[
            "url",
            "certificate",
            "ip_address",
            "max_connections",
            "allowed_updates",
            "drop_pending_updates",
            "secret_token",
        ],
        _ => return None,
    })
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "drillbot", "username": "drillbot_bot"})
}

/// A request's parameters as JSON: teloxide sends JSON, or multipart (setWebhook, files) whose text fields
/// become strings.
fn request_body(headers: &axum::http::HeaderMap, body: &[u8]) -> Value {
    let kind = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = kind.split("boundary=").nth(1) else {
        return serde_json::from_slice(body).unwrap_or(Value::Null);
    };
    let text = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in text.split(&format!("--{}", boundary.trim_matches('"'))) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
        else {
            continue;
        };
        fields.insert(name.to_string(), json!(value.trim_end_matches("\r\n")));
    }
    Value::Object(fields)
}

async fn method(
    State(api): State<FakeBotApi>,
    Path((_token, name)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Json<Value> {
    let body = request_body(&headers, &body);
    let name = name.to_lowercase();
    api.calls.lock().unwrap().push((name.clone(), body.clone()));
    if let (Some(known), Some(fields)) = (known_parameters(&name), body.as_object())
        && let Some(unknown) = fields.keys().find(|k| !known.contains(&k.as_str()))
    {
        let description = format!("Bad Request: unknown parameter {unknown} for {name}");
        api.refused.lock().unwrap().push(description.clone());
        return Json(json!({"ok": false, "error_code": 400, "description": description}));
    }
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
            } else if api.left.lock().unwrap().contains(&user) {
                "left"
            } else {
                "member"
            };
            Json(json!({"ok": true, "result": {
                "status": status, "is_anonymous": false,
                "user": {"id": user, "is_bot": false, "first_name": "someone"}
            }}))
        }
        "sendpoll" => {
            let n = api.calls.lock().unwrap().len();
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let options: Vec<Value> = body["options"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|o| json!({"text": o["text"], "voter_count": 0}))
                .collect();
            let mut poll = json!({
                "id": format!("poll-{n}"), "question": body["question"], "options": options,
                "total_voter_count": 0, "is_closed": false,
                "is_anonymous": body["is_anonymous"].as_bool().unwrap_or(true),
                "type": body["type"].as_str().unwrap_or("regular"),
                "allows_multiple_answers": body["allows_multiple_answers"].as_bool().unwrap_or(false)
            });
            if let Some(c) = body["correct_option_id"].as_i64() {
                poll["correct_option_id"] = json!(c);
            }
            Json(json!({"ok": true, "result": {
                "message_id": n, "date": 1_795_000_000, "from": bot_user(),
                "chat": {"id": chat, "type": "supergroup", "title": "study group"},
                "poll": poll
            }}))
        }
        "answercallbackquery" => {
            // Refused as the real server refuses it.
            if body["text"]
                .as_str()
                .unwrap_or_default()
                .encode_utf16()
                .count()
                > 200
            {
                return Json(json!({"ok": false, "error_code": 400,
                    "description": "Bad Request: MESSAGE_TOO_LONG"}));
            }
            Json(json!({"ok": true, "result": true}))
        }
        "sendmessage" => {
            // Refused as the real server refuses it.
            if body["text"].as_str().unwrap_or_default().trim().is_empty() {
                return Json(json!({"ok": false, "error_code": 400,
                    "description": "Bad Request: message text is empty"}));
            }
            // A button's callback_data is 1-64 bytes.
            let buttons = body["reply_markup"]["inline_keyboard"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten();
            if let Some(bad) = buttons
                .filter_map(|b| b["callback_data"].as_str())
                .find(|d| d.is_empty() || d.len() > 64)
            {
                api.refused
                    .lock()
                    .unwrap()
                    .push(format!("callback_data of {} bytes", bad.len()));
                return Json(json!({"ok": false, "error_code": 400,
                    "description": "Bad Request: BUTTON_DATA_INVALID"}));
            }
            // Telegram counts 4,096 UTF-16 units after entities; the markup counted too, this is stricter.
            if body["text"]
                .as_str()
                .unwrap_or_default()
                .encode_utf16()
                .count()
                > 4096
            {
                api.refused
                    .lock()
                    .unwrap()
                    .push("message is too long".into());
                return Json(json!({"ok": false, "error_code": 400,
                    "description": "Bad Request: message is too long"}));
            }
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
    pub(crate) async fn start(script: Vec<Value>) -> (FakeBotApi, url::Url) {
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

    pub(crate) fn sends(&self) -> Vec<Value> {
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

    /// The id the fake gave the last message it was asked to send containing `needle`.
    fn message_id_of(&self, needle: &str) -> i64 {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .enumerate()
            .filter(|(_, (m, b))| {
                m == "sendmessage" && b["text"].as_str().unwrap_or_default().contains(needle)
            })
            .map(|(i, _)| i as i64 + 1)
            .next_back()
            .expect("such a message was sent")
    }

    /// The bodies of every call to a method (lower case).
    pub(crate) fn calls_of(&self, method: &str) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// Waits for the `n`th answer to a button press and returns it.
    async fn wait_for_callback_answer(&self, n: usize) -> Value {
        self.wait_until("a button press answered", |a| {
            a.calls_of("answercallbackquery").len() >= n
        })
        .await;
        self.calls_of("answercallbackquery")[n - 1].clone()
    }

    /// Fails the test if the bot sent a parameter the Bot API does not define.
    fn nothing_refused(&self) {
        let refused = self.refused.lock().unwrap();
        assert!(refused.is_empty(), "{refused:?}");
    }

    /// Waits until `done` holds (or panics after 5 s).
    pub(crate) async fn wait_until(&self, what: &str, done: impl Fn(&FakeBotApi) -> bool) {
        for _ in 0..250 {
            if done(self) {
                self.nothing_refused();
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "{what} did not happen; calls: {:?}",
            self.calls.lock().unwrap()
        );
    }

    /// Queues an update and waits until the bot has sent `more` further messages (or 5 s pass).
    async fn push(&self, update: Value, more: usize) {
        let before = self.sends().len();
        self.updates.lock().unwrap().push_back(update);
        for _ in 0..250 {
            if self.sends().len() >= before + more {
                self.nothing_refused();
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

pub(crate) fn message(chat: i64, user: (i64, &str), text: &str, reply_to: Option<Value>) -> Value {
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
    let chat = bot.chat();
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
    let chat = bot.chat();
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

/// `drillbot run` against a fake Bot API with a Telegram token and `env`, returned once it is polling (its
/// signal handler is in place by then: a fixed sleep was too short on a loaded machine, and the process died
/// of the signal instead of stopping cleanly).
async fn polling_run(env: &[(&str, String)]) -> (FakeBotApi, tempfile::TempDir, Logged) {
    let (api, url) = FakeBotApi::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let child = Logged::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_drillbot"))
            .args(["run", "--db"])
            .arg(dir.path().join("run.db"))
            .env("DRILLBOT__TELEGRAM__TOKEN", "4242:VERY-SECRET-TOKEN")
            .env("DRILLBOT__TELEGRAM__API_URL", url.as_str())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str()))),
    );
    for _ in 0..500 {
        if !api.calls_of("getupdates").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    (api, dir, child)
}

#[tokio::test]
async fn telegram_run_stops_cleanly_on_sigterm_and_never_logs_the_token() {
    let (_api, _dir, child) = polling_run(&[("RUST_LOG", "debug".into())]).await;
    let (ok, log) = crate::harness::terminate(child).await;
    assert!(ok, "{log}");
    assert!(log.contains("stopped cleanly"), "{log}");
    assert!(
        !log.contains("VERY-SECRET-TOKEN"),
        "the token leaked into the log"
    );
}

#[tokio::test]
async fn with_log_format_json_every_log_line_is_one_json_object_without_the_token() {
    let (_api, _dir, child) = polling_run(&[
        ("DRILLBOT__LOG__FORMAT", "json".into()),
        ("RUST_LOG", "debug".into()),
    ])
    .await;
    let (ok, log) = crate::harness::terminate(child).await;
    assert!(ok, "{log}");
    assert!(!log.contains("VERY-SECRET-TOKEN"), "the token leaked");
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.iter().all(|l| l["level"].is_string()), "{log}");
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "stopped cleanly; database closed"),
        "{log}"
    );
}

#[tokio::test]
async fn healthz_and_metrics_report_the_running_bot() {
    let listen = free_port();
    let (api, _dir, child) = polling_run(&[("DRILLBOT__HTTP__LISTEN", listen.to_string())]).await;
    let mut health = None;
    for _ in 0..500 {
        health = http_get(listen, "/healthz").await;
        if matches!(health, Some((200, _))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = health.expect("/healthz answers");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["platforms"], json!(["telegram"]));
    api.push(message(-100123, (1, "alice"), "/today", None), 1)
        .await;
    let (status, text) = http_get(listen, "/metrics").await.unwrap();
    assert_eq!(status, 200);
    for line in [
        "drillbot_platform_connected{platform=\"telegram\"} 1",
        "drillbot_updates_total{platform=\"telegram\"} 1",
        "drillbot_outbox_pending ",
        "# EOF",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    // The container health check asks the same endpoint.
    let check = |listen: std::net::SocketAddr| {
        std::process::Command::new(env!("CARGO_BIN_EXE_drillbot"))
            .arg("healthcheck")
            .env("DRILLBOT__HTTP__LISTEN", listen.to_string())
            .output()
            .unwrap()
    };
    let out = check(listen);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"status\":\"ok\""));
    let out = check(free_port());
    assert!(!out.status.success(), "nothing listens there: {out:?}");
    let (ok, log) = crate::harness::terminate(child).await;
    assert!(ok, "{log}");
}

#[tokio::test]
async fn healthz_is_503_with_the_reason_while_a_platform_is_not_connected() {
    let bot = TestBot::new();
    let listen = free_port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        drillbot::app::http::serve(listen, bot.engine.clone(), vec!["nowhere"], async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    let served = tokio::spawn(server);
    let (status, body) = http_get(listen, "/healthz").await.unwrap();
    assert_eq!(status, 503, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "unavailable");
    assert_eq!(v["reasons"], json!(["nowhere is not connected"]));
    // The port is taken now: a second server says so instead of failing later.
    let taken = drillbot::app::http::serve(listen, bot.engine.clone(), vec![], async {}).await;
    assert!(taken.err().unwrap().to_string().contains("http.listen"));
    let _ = stop.send(());
    served.await.unwrap().unwrap();
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
    assert_eq!(commands, 3, "zh, en and a default command menu");
    let codes: Vec<Value> = api
        .calls_of("setmycommands")
        .iter()
        .map(|b| b["language_code"].clone())
        .collect();
    assert_eq!(codes, vec![json!("zh"), json!("en"), Value::Null]);
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
    let alice = format!("{} ALICEMARK", crate::harness::good_answer(&q.id));
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
    let bot_message = |id: i64, text: &str| {
        json!({"message_id": id, "date": 1_795_000_000, "from": bot_user(),
            "chat": {"id": group, "type": "supergroup", "title": "study group"}, "text": text})
    };
    let question_msg = bot_message(api.message_id_of("今日一题"), "📝 今日一题");
    let bob = format!("{} BOBMARK", crate::harness::partial_answer(&q.id));
    api.push(message(group, (3, "bob"), &bob, Some(question_msg)), 1)
        .await;
    assert!(api.sends_to(3).last().unwrap().contains("已收到"));
    // A reply to another bot message is not an answer: alice's "thanks" under the settings confirmation
    // leaves her answer as it was.
    let settings_msg = bot_message(api.message_id_of("设置已更新"), "设置已更新");
    let before = api.sends().len();
    api.updates.lock().unwrap().push_back(message(
        group,
        (2, "alice"),
        "谢谢，这个设置很好用，我明天也会来答题的。",
        Some(settings_msg),
    ));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(api.sends().len(), before, "the bot said nothing");
    let alice_body: String = bot.engine.store().with_connection(|c| {
        c.query_row(
            "SELECT a.body FROM answers a JOIN users u ON u.id = a.user_id WHERE u.display_name = 'alice'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    });
    assert!(alice_body.contains("ALICEMARK"), "{alice_body}");
    api.push(message(4, (4, "carol"), "/start g-100123", None), 1)
        .await;
    let carol = "生成器函数用 yield 暂停，返回迭代器，惰性产生值 CAROLMARK";
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
        for mark in ["ALICEMARK", "BOBMARK", "CAROLMARK"] {
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

/// A group message from a member with no username (so the display name is the first name, as typed).
fn message_from_name(chat: i64, id: i64, first_name: &str, text: &str) -> Value {
    let mut update = message(chat, (id, "x"), text, None);
    update["message"]["from"] = json!({"id": id, "is_bot": false, "first_name": first_name});
    update
}

/// A press of an inline button with callback `data` under message `message_id` of `chat`.
fn button_press(chat: i64, message_id: i64, user: (i64, &str), data: &str) -> Value {
    let id = UPDATE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    json!({"update_id": id, "callback_query": {
        "id": format!("cb-{id}"),
        "from": {"id": user.0, "is_bot": false, "first_name": user.1, "username": user.1},
        "message": {
            "message_id": message_id, "date": 1_795_000_000, "from": bot_user(),
            "chat": {"id": chat, "type": "supergroup", "title": "study group"},
            "text": "📝"
        },
        "chat_instance": "ci-1",
        "data": data
    }})
}

fn poll_answer(poll_id: &str, user: (i64, &str), options: &[u8]) -> Value {
    let id = UPDATE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    json!({"update_id": id, "poll_answer": {
        "poll_id": poll_id,
        "user": {"id": user.0, "is_bot": false, "first_name": user.1, "username": user.1},
        "option_ids": options
    }})
}

/// Checks that Telegram HTML only has balanced tags and escaped text; returns what a reader sees.
fn visible_html(html: &str) -> String {
    let mut stack = Vec::new();
    let mut seen = String::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let end = rest.find('>').expect("a tag is closed");
            let tag = &rest[1..end];
            match tag.strip_prefix('/') {
                Some(name) => assert_eq!(stack.pop(), Some(name.to_string()), "in {html}"),
                None => stack.push(tag.split(' ').next().unwrap().to_string()),
            }
            rest = &rest[end + 1..];
        } else if c == '&' {
            let end = rest.find(';').expect("an entity ends");
            seen.push(match &rest[..=end] {
                "&amp;" => '&',
                "&lt;" => '<',
                "&gt;" => '>',
                "&quot;" => '"',
                other => panic!("unknown entity {other} in {html}"),
            });
            rest = &rest[end + 1..];
        } else {
            assert_ne!(c, '>', "raw > in {html}");
            seen.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?} in {html}");
    seen
}

/// Starts the long-polling adapter against the fake API; send on the returned channel to stop it.
async fn run_adapter(
    bot: &TestBot,
    url: url::Url,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (_, stop, running) = run_adapter_on(bot, TelegramTransport::new("1:t", Some(url))).await;
    (stop, running)
}

/// Starts the long-polling adapter on `transport`; also returns the adapter's transport, for an outbox
/// worker that shares its windows and engine.
async fn run_adapter_on(
    bot: &TestBot,
    transport: TelegramTransport,
) -> (
    TelegramTransport,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    use drillbot::adapters::telegram::TelegramAdapter;
    let adapter = TelegramAdapter::connect(bot.engine.clone(), transport)
        .await
        .unwrap();
    let transport = adapter.transport();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(adapter.run(async move {
        let _ = stopped.await;
    }));
    (transport, stop, running)
}

async fn stop_adapter(
    stop: tokio::sync::oneshot::Sender<()>,
    running: tokio::task::JoinHandle<()>,
) {
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn telegram_hostile_names_are_escaped_in_the_reveal() {
    let bot = TestBot::with(|d| d.topics = vec!["beta".into()]);
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![]).await;
    api.admins.lock().unwrap().push(1);
    let (stop, running) = run_adapter(&bot, url).await;
    api.push(message(group, (1, "admin"), "/today", None), 1)
        .await;
    let q = bot.open_question().unwrap();
    let hostile = "<b>_*[x]";
    let sneaky = "**a`b&c";
    for (id, name) in [(6, hostile), (7, sneaky)] {
        let answer = format!("/answer {} <i>`</i>", crate::harness::good_answer(&q.id));
        api.push(message_from_name(group, id, name, &answer), 1)
            .await;
        assert!(api.sends_to(id).last().unwrap().contains("已收到"));
    }
    api.push(message(group, (1, "admin"), "/reveal", None), 1)
        .await;
    let reveal = api.sends().last().unwrap().clone();
    assert_eq!(reveal["chat_id"], json!(group));
    assert_eq!(reveal["parse_mode"], json!("HTML"));
    let html = reveal["text"].as_str().unwrap();
    assert!(html.contains("&lt;b&gt;_*[x]"), "{html}");
    assert!(!html.contains("<b>_"), "{html}");
    let seen = visible_html(html);
    assert!(seen.contains("揭晓"), "{seen}");
    assert!(seen.contains(hostile), "{seen}");
    assert!(seen.contains("a`b&c"), "{seen}");
    assert_eq!(bot.result_of(hostile).unwrap().0, 100);
    stop_adapter(stop, running).await;
}

/// A group bot whose round today (by the real clock, which the adapter uses) asks the multiple-choice
/// question `alpha-choice`.
fn bot_with_a_quiz_round_today() -> TestBot {
    let bot = TestBot::with(|d| d.topics = vec!["alpha".into()]);
    bot.say("alice", "/help");
    let chat = bot.chat();
    let now = chrono::Utc::now();
    let today = drillbot::schedule::local_date(now, chat.settings.timezone);
    bot.engine
        .store()
        .create_round(
            chat.id,
            today,
            "alpha-choice",
            now,
            now + chrono::Duration::hours(2),
            |_| None,
        )
        .unwrap()
        .unwrap();
    bot
}

/// A group (admin: user 1) whose adapter runs and has posted today's multiple-choice question on alice's
/// `/today`.
async fn todays_choice_question_posted() -> (
    TestBot,
    i64,
    FakeBotApi,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let bot = bot_with_a_quiz_round_today();
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![]).await;
    api.admins.lock().unwrap().push(1);
    let (stop, running) = run_adapter(&bot, url).await;
    api.push(message(group, (2, "alice"), "/today", None), 1)
        .await;
    (bot, group, api, stop, running)
}

#[tokio::test]
async fn telegram_a_multiple_choice_pick_is_sealed_in_the_press_notice_and_graded() {
    let (bot, group, api, stop, running) = todays_choice_question_posted().await;
    let post = api.sends().last().unwrap().clone();
    assert!(post["text"].as_str().unwrap().contains("DNS"));
    let keyboard = post["reply_markup"]["inline_keyboard"].to_string();
    assert!(
        keyboard.contains("/answer B") && keyboard.contains("/reveal me"),
        "{keyboard}"
    );
    let post_id = api.message_id_of("DNS");

    // alice picks B (right), bob A (wrong): each sees the confirmation in the press's own notice, nobody else
    // sees anything, and no DM is needed.
    let messages_before = api.sends().len();
    api.push(button_press(group, post_id, (2, "alice"), "/answer B"), 0)
        .await;
    let notice = api.wait_for_callback_answer(1).await;
    assert!(
        notice["text"].as_str().unwrap().contains("已收到"),
        "{notice}"
    );
    assert_eq!(notice["show_alert"], json!(true));
    api.push(button_press(group, post_id, (3, "bob"), "/answer A"), 0)
        .await;
    api.wait_for_callback_answer(2).await;
    // A second pick is refused: the first one is final.
    api.push(button_press(group, post_id, (2, "alice"), "/answer A"), 0)
        .await;
    let refused = api.wait_for_callback_answer(3).await;
    assert!(refused["text"].as_str().unwrap().contains("B"), "{refused}");
    assert_eq!(api.sends().len(), messages_before, "picks stay private");
    assert!(api.calls_of("sendpoll").is_empty(), "no native poll");
    assert_eq!(bot.result_of("alice").unwrap().0, 100);

    api.push(message(group, (1, "admin"), "/reveal", None), 1)
        .await;
    let reveal = api.sends_to(group).last().unwrap().clone();
    assert!(reveal.contains("揭晓"), "{reveal}");
    assert_eq!(
        bot.result_of("alice").unwrap(),
        (100, 10, "choice_right".into())
    );
    assert_eq!(bot.result_of("bob").unwrap().0, 0);
    // carol presses after the reveal: told privately, nothing recorded.
    api.push(button_press(group, post_id, (4, "carol"), "/answer B"), 0)
        .await;
    api.wait_for_callback_answer(4).await;
    assert_eq!(bot.result_of("carol"), None);
    stop_adapter(stop, running).await;
}

#[tokio::test]
async fn telegram_unparsable_html_is_resent_as_plain_text() {
    let bot = TestBot::new();
    bot.say("alice", "/help");
    let chat = bot.chat();
    let outgoing = Outgoing {
        chat: bot.chat.clone(),
        reply: Reply::to_chat(ReplyKind::Reveal, "**要点** <x> & `a<b`".into()),
    };
    bot.engine
        .store()
        .enqueue(chat.id, "notice", &outgoing, bot.now)
        .unwrap();
    let (api, url) = FakeBotApi::start(vec![json!({
        "ok": false, "error_code": 400,
        "description": "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 3"
    })])
    .await;
    let mut w = telegram_worker(&bot, url);
    assert_eq!(w.pass().await.unwrap().sent, 1);
    let sends = api.sends();
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[0]["parse_mode"], json!("HTML"));
    assert_eq!(
        sends[0]["text"],
        json!("<b>要点</b> &lt;x&gt; &amp; <code>a&lt;b</code>")
    );
    assert_eq!(
        sends[1]["parse_mode"],
        Value::Null,
        "the fallback is plain text"
    );
    assert_eq!(sends[1]["text"], json!("要点 <x> & a<b"));
}

#[tokio::test]
async fn telegram_direct_replies_wait_out_a_429() {
    let bot = TestBot::new();
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![json!({
        "ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1}
    })])
    .await;
    let (stop, running) = run_adapter(&bot, url).await;
    let started = std::time::Instant::now();
    api.push(message(group, (2, "alice"), "/help", None), 2)
        .await;
    let sends = api.sends();
    assert_eq!(sends.len(), 2);
    assert_eq!(
        sends[0]["text"], sends[1]["text"],
        "the same reply, sent again"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retry_after was honoured"
    );
    stop_adapter(stop, running).await;
}

#[tokio::test]
async fn telegram_dm_targets_survive_a_restart_and_dm_stats_are_about_the_group() {
    let bot = TestBot::with(|d| d.topics = vec!["beta".into()]);
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![]).await;
    api.admins.lock().unwrap().push(1);
    let carol = (4, "carol");
    let (stop, running) = run_adapter(&bot, url.clone()).await;
    api.push(message(group, (1, "admin"), "/today", None), 1)
        .await;
    api.push(message(4, carol, "/start g-100123", None), 1)
        .await;
    stop_adapter(stop, running).await;

    // A new adapter (a restart) still knows which group carol's DM is for.
    let (stop, running) = run_adapter(&bot, url).await;
    let q = bot.open_question().unwrap();
    // /today in the DM shows the group's question, with the group's answer link; no private round starts.
    api.push(message(4, carol, "/today", None), 1).await;
    let shown_in_dm = api.sends().last().unwrap().clone();
    assert_eq!(shown_in_dm["chat_id"], json!(4));
    let first_line = q.question.lines().next().unwrap();
    assert!(
        shown_in_dm["text"].as_str().unwrap().contains(first_line),
        "{shown_in_dm}"
    );
    assert!(
        shown_in_dm["reply_markup"]
            .to_string()
            .contains("start=g-100123"),
        "{shown_in_dm}"
    );
    assert_eq!(bot.count("rounds"), 1, "no round for the DM");
    api.push(
        message(4, carol, crate::harness::good_answer(&q.id), None),
        1,
    )
    .await;
    assert!(api.sends_to(4).last().unwrap().contains("已收到"));
    assert_eq!(bot.result_of("carol").unwrap().0, 100);
    api.push(message(group, (1, "admin"), "/reveal", None), 1)
        .await;
    let group_sends = api.sends_to(group).len();
    api.push(message(4, carol, "/leaderboard", None), 1).await;
    let board = api.sends_to(4).last().unwrap().clone();
    assert!(
        board.contains("排行榜") && board.contains("carol"),
        "{board}"
    );
    api.push(message(4, carol, "/stats", None), 1).await;
    let stats = api.sends_to(4).last().unwrap().clone();
    assert!(stats.contains("已答：1 题"), "{stats}");
    api.push(message(4, carol, "/help", None), 1).await;
    assert!(api.sends_to(4).last().unwrap().contains("/answer"));
    assert_eq!(
        api.sends_to(group).len(),
        group_sends,
        "DM questions are answered in the DM"
    );
    stop_adapter(stop, running).await;
}

#[tokio::test]
async fn telegram_a_member_is_refused_settings_after_a_get_chat_member_check() {
    let bot = TestBot::new();
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![]).await;
    api.admins.lock().unwrap().push(1);
    let (stop, running) = run_adapter(&bot, url).await;
    api.push(message(group, (1, "admin"), "/settings on", None), 1)
        .await;
    assert!(bot.chat().settings.scheduled);
    // eve is a plain member: getChatMember says so, the refusal goes to her by DM, nothing changes.
    api.push(message(group, (8, "eve"), "/settings off", None), 1)
        .await;
    let asked = api.calls_of("getchatmember");
    assert!(
        asked.iter().any(|c| c["user_id"] == json!(8)),
        "the sender's rights were checked: {asked:?}"
    );
    assert!(api.sends_to(8).last().unwrap().contains("管理员"));
    assert!(
        api.sends_to(group)
            .iter()
            .all(|t| !t.contains("只有群管理员")),
        "the refusal is private"
    );
    assert!(bot.chat().settings.scheduled);
    stop_adapter(stop, running).await;
}

/// Posts JSON to a local address as Telegram would, and returns the HTTP status.
async fn post_update(
    addr: std::net::SocketAddr,
    path: &str,
    secret: Option<&str>,
    body: &Value,
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = body.to_string();
    let secret = secret
        .map(|s| format!("X-Telegram-Bot-Api-Secret-Token: {s}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{secret}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn telegram_webhook_mode_sets_the_webhook_and_answers_only_posts_with_the_secret() {
    use drillbot::adapters::telegram::TelegramAdapter;
    use drillbot::settings::TelegramWebhook;
    let bot = TestBot::new();
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![]).await;
    let adapter =
        TelegramAdapter::connect(bot.engine.clone(), TelegramTransport::new("1:t", Some(url)))
            .await
            .unwrap();
    let listen = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let hook = TelegramWebhook {
        url: "https://bot.example/tg-hook".parse().unwrap(),
        listen,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(adapter.run_with(Some(hook), async move {
        let _ = stopped.await;
    }));
    for _ in 0..250 {
        if !api.calls_of("setwebhook").is_empty() || running.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if running.is_finished() {
        panic!("the adapter stopped: {:?}", running.await);
    }
    let set = api.calls_of("setwebhook").remove(0);
    assert_eq!(set["url"], json!("https://bot.example/tg-hook"));
    let secret = set["secret_token"]
        .as_str()
        .expect("a secret token")
        .to_string();
    // Give the server a moment to accept connections.
    tokio::time::sleep(Duration::from_millis(100)).await;

    // A post without the secret is not Telegram's: refused, nothing answered.
    let forged = message(group, (2, "mallory"), "/help", None);
    let status = post_update(listen, "/tg-hook", None, &forged).await;
    assert!(status >= 400, "a post without the secret got {status}");
    let genuine = message(group, (2, "alice"), "/help", None);
    let status = post_update(listen, "/tg-hook", Some(&secret), &genuine).await;
    assert_eq!(status, 200);
    api.wait_until("the answer to /help", |a| !a.sends_to(group).is_empty())
        .await;
    assert_eq!(
        api.sends_to(group).len(),
        1,
        "only the genuine post was answered"
    );
    assert!(
        api.calls_of("getupdates").is_empty(),
        "no long polling in webhook mode"
    );
    let _ = stop.send(());
    let done = tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the webhook listener stops");
    done.unwrap().unwrap();
}

#[tokio::test]
async fn telegram_the_bot_introduces_itself_when_added_to_a_group() {
    let bot = TestBot::new();
    let group = -100777;
    let (api, url) = FakeBotApi::start(vec![]).await;
    let (stop, running) = run_adapter(&bot, url).await;
    let membership = |id: i64, old: &str, new: &str| {
        json!({"update_id": id, "my_chat_member": {
            "chat": {"id": group, "type": "supergroup", "title": "new group"},
            "from": {"id": 1, "is_bot": false, "first_name": "admin"}, "date": 1_795_000_000,
            "old_chat_member": {"user": bot_user(), "status": old},
            "new_chat_member": {"user": bot_user(), "status": new}
        }})
    };
    api.push(membership(90_001, "left", "member"), 1).await;
    let hello = api.sends_to(group).pop().unwrap();
    assert!(hello.contains("drillbot"), "{hello}");
    assert!(hello.contains("/settings on"), "{hello}");
    let chat = ChatRef {
        platform: Platform::Telegram,
        id: group.to_string(),
    };
    let row = bot
        .engine
        .chat_row(&chat)
        .unwrap()
        .expect("the group is registered");
    assert!(
        !row.settings.scheduled,
        "nothing is posted until an admin starts it"
    );
    // Being removed says nothing.
    api.updates
        .lock()
        .unwrap()
        .push_back(membership(90_002, "member", "left"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.sends_to(group).len(), 1);
    stop_adapter(stop, running).await;
}

/// The test chat's row under another Telegram id.
fn chat_under(bot: &TestBot, id: i64) -> Option<drillbot::store::ChatRow> {
    bot.engine
        .chat_row(&drillbot::message::ChatRef {
            platform: drillbot::message::Platform::Telegram,
            id: id.to_string(),
        })
        .unwrap()
}

#[tokio::test]
async fn telegram_a_post_to_a_group_that_became_a_supergroup_goes_to_the_new_id_with_the_chat() {
    let bot = telegram_bot_with_a_queued_post();
    let before = bot.chat();
    let (api, url) = FakeBotApi::start(vec![json!({
        "ok": false, "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": -100_777}
    })])
    .await;
    let transport = TelegramTransport::new("123:secret", Some(url)).with_engine(bot.engine.clone());
    let mut w = Delivery::new(
        bot.engine.clone(),
        transport,
        Pacing::telegram(),
        Clock::starting_at(bot.now),
    )
    .unwrap();
    assert_eq!(w.pass().await.unwrap().sent, 1);
    let sends = api.sends();
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[1]["chat_id"], json!(-100_777));
    assert!(sends[1]["text"].as_str().unwrap().contains("今日一题"));
    // The chat moved with its id, schedule and settings; the old id is gone.
    let moved = chat_under(&bot, -100_777).expect("the chat lives under the new id");
    assert_eq!(moved.id, before.id);
    assert!(moved.settings.scheduled);
    assert!(chat_under(&bot, -100_123).is_none());
}

#[tokio::test]
async fn telegram_the_upgrade_service_message_moves_the_chat_with_its_scores() {
    let mut bot = TestBot::new();
    bot.start_schedule();
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    bot.say(
        "alice",
        &format!("/answer {}", crate::harness::good_answer(&q.id)),
    );
    bot.admin("/reveal");
    bot.set_clock("2026-11-23T10:00");
    let (api, url) = FakeBotApi::start(vec![]).await;
    let (stop, running) = run_adapter(&bot, url).await;
    // Someone wrote in the new supergroup before the service message arrived: that empty row gives way.
    api.push(message(-100_777, (7, "carol"), "/help", None), 1)
        .await;
    api.push(
        json!({"update_id": UPDATE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed), "message": {
            "message_id": 5, "date": 1_795_000_000,
            "chat": {"id": -100_123, "type": "group", "title": "study group"},
            "from": {"id": 1, "is_bot": false, "first_name": "admin"},
            "migrate_to_chat_id": -100_777
        }}),
        0,
    )
    .await;
    api.wait_until("the chat moved", |_| chat_under(&bot, -100_123).is_none())
        .await;
    bot.chat = drillbot::message::ChatRef {
        platform: drillbot::message::Platform::Telegram,
        id: "-100777".into(),
    };
    let board = bot.say("alice", "/leaderboard all");
    assert!(board[0].text.contains("alice"), "{}", board[0].text);
    assert!(bot.chat().settings.scheduled, "the schedule came along");
    stop_adapter(stop, running).await;
}

#[tokio::test]
async fn telegram_run_stops_at_a_second_signal_when_the_clean_stop_hangs() {
    // A Bot API that answers getMe, then never answers getUpdates: the dispatcher's stop waits for it.
    let hung = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = Arc::clone(&hung);
    let app = axum::Router::new().fallback(axum::routing::any(move |uri: axum::http::Uri| {
        let seen = Arc::clone(&seen);
        async move {
            let method = uri.path().rsplit('/').next().unwrap_or("").to_lowercase();
            if method == "getupdates" {
                seen.store(true, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(300)).await;
            }
            let result = match method.as_str() {
                "getme" => json!({"id": BOT_ID, "is_bot": true, "first_name": "drillbot",
                        "username": "drillbot_bot", "can_join_groups": true,
                        "can_read_all_group_messages": false, "supports_inline_queries": false,
                        "has_main_web_app": false}),
                _ => json!(true),
            };
            Json(json!({"ok": true, "result": result}))
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let mut child = Logged::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_drillbot"))
            .args(["run", "--db"])
            .arg(dir.path().join("run.db"))
            .env("DRILLBOT__TELEGRAM__TOKEN", "4242:secret")
            .env(
                "DRILLBOT__TELEGRAM__API_URL",
                format!("http://127.0.0.1:{port}/"),
            )
            .env("RUST_LOG", "info"),
    );
    for _ in 0..500 {
        if hung.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    crate::harness::signal_term(child.id());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // The clean stop waits for the hung getUpdates call.
    assert!(!child.exited(), "stopped at the first signal: nothing hung");
    crate::harness::signal_term(child.id());
    let start = std::time::Instant::now();
    while !child.exited() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "still running after the second signal"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, log) = child.wait().await;
    assert!(log.contains("second shutdown signal"), "{log}");
}

#[tokio::test]
async fn telegram_today_again_points_at_the_post_and_skip_closes_an_earlier_versions_poll() {
    use drillbot::adapters::telegram::records::TelegramRecords;
    let (bot, group, api, stop, running) = todays_choice_question_posted().await;
    // A quiz poll an earlier version posted for this round: its votes still count, and it is closed with the
    // round.
    let round = bot
        .engine
        .store()
        .open_round(bot.chat().id)
        .unwrap()
        .unwrap();
    TelegramRecords::of(bot.engine.store())
        .record_poll("old-poll", round.id, 77, chrono::Utc::now())
        .unwrap();
    api.push(poll_answer("old-poll", (3, "bob"), &[1]), 1).await;
    assert!(api.sends_to(3).last().unwrap().contains("已收到"));
    assert_eq!(bot.result_of("bob").unwrap().0, 100);
    // /today again: no second post, a reply pointing at the first post.
    let first = api.message_id_of("DNS");
    api.push(message(group, (3, "bob"), "/today", None), 1)
        .await;
    let pointer = api.sends().last().unwrap().clone();
    assert_eq!(
        pointer["reply_parameters"]["message_id"],
        json!(first),
        "{pointer}"
    );
    assert!(
        !pointer["text"].as_str().unwrap().contains("DNS"),
        "{pointer}"
    );
    // A burst of /today is answered once: a third right after gets nothing.
    let sent = api.sends().len();
    api.push(message(group, (4, "carol"), "/today", None), 0)
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(api.sends().len(), sent, "{:?}", api.sends().last());
    api.push(message(group, (1, "admin"), "/skip", None), 1)
        .await;
    api.wait_until("the old poll closed", |a| {
        !a.calls_of("stoppoll").is_empty()
    })
    .await;
    let stopped = api.calls_of("stoppoll")[0].clone();
    assert_eq!(stopped["chat_id"], json!(group));
    assert_eq!(stopped["message_id"], json!(77));
    assert!(api.calls_of("sendpoll").is_empty(), "no native poll");
    stop_adapter(stop, running).await;
}

#[tokio::test]
async fn telegram_a_dm_no_group_opened_explains_how_to_answer_and_starts_no_round() {
    let bot = TestBot::new();
    let (api, url) = FakeBotApi::start(vec![]).await;
    let (stop, running) = run_adapter(&bot, url).await;
    for text in ["/today", "my answer", "/answer 三次握手"] {
        api.push(message(7, (7, "dave"), text, None), 1).await;
        let reply = api.sends_to(7).last().unwrap().clone();
        assert!(reply.contains("/settings on"), "{text}: {reply}");
    }
    assert_eq!(bot.count("rounds"), 0, "no private round");
    // /help still answers in the DM.
    api.push(message(7, (7, "dave"), "/help", None), 1).await;
    assert!(!api.sends_to(7).last().unwrap().contains("/settings on"));
    stop_adapter(stop, running).await;
}

#[tokio::test]
async fn telegram_settings_here_sends_the_daily_post_to_that_forum_topic() {
    let mut bot = TestBot::new();
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![]).await;
    let (transport, stop, running) =
        run_adapter_on(&bot, TelegramTransport::new("1:t", Some(url))).await;
    let in_topic = |user: (i64, &str), text: &str| {
        let mut m = message(group, user, text, None);
        m["message"]["is_topic_message"] = json!(true);
        m["message"]["message_thread_id"] = json!(42);
        m["message"]["chat"]["is_forum"] = json!(true);
        m
    };
    // An admin moves the posts from the topic itself; a member cannot move them back.
    api.admins.lock().unwrap().push(1);
    api.push(in_topic((1, "admin"), "/settings here"), 1).await;
    let reply = api.sends_to(group).last().unwrap().clone();
    assert!(reply.contains("#42"), "{reply}");
    api.push(in_topic((2, "alice"), "/settings here general"), 1)
        .await;
    assert_eq!(bot.chat().settings.channel.map(|c| c.0), Some(42));
    // The next scheduled post goes to that topic.
    bot.start_schedule();
    bot.set_clock("2026-11-23T09:00");
    assert_eq!(bot.engine.tick(bot.now).len(), 1);
    let mut worker = Delivery::new(
        bot.engine.clone(),
        transport,
        Pacing::telegram(),
        Clock::starting_at(bot.now),
    )
    .unwrap();
    assert_eq!(worker.pass().await.unwrap().sent, 1);
    let post = api.sends().last().unwrap().clone();
    assert!(
        post["text"].as_str().unwrap().contains("今日一题"),
        "{post}"
    );
    assert_eq!(post["message_thread_id"], json!(42), "{post}");
    // `general` moves them back, wherever it is sent from.
    api.push(in_topic((1, "admin"), "/settings here general"), 1)
        .await;
    assert_eq!(bot.chat().settings.channel, None);
    stop_adapter(stop, running).await;
}

#[tokio::test]
async fn telegram_a_command_in_a_forum_topic_is_answered_in_that_topic() {
    let bot = TestBot::new();
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![]).await;
    let (stop, running) = run_adapter(&bot, url).await;
    let mut in_topic = message(group, (2, "alice"), "/help", None);
    in_topic["message"]["is_topic_message"] = json!(true);
    in_topic["message"]["message_thread_id"] = json!(42);
    in_topic["message"]["chat"]["is_forum"] = json!(true);
    api.push(in_topic, 1).await;
    let reply = api.sends().last().unwrap().clone();
    assert_eq!(reply["chat_id"], json!(group));
    assert_eq!(reply["message_thread_id"], json!(42), "{reply}");
    // Outside a topic (General), no thread is named.
    api.push(message(group, (2, "alice"), "/help", None), 1)
        .await;
    let reply = api.sends().last().unwrap().clone();
    assert_eq!(reply["message_thread_id"], Value::Null, "{reply}");
    stop_adapter(stop, running).await;
}

#[tokio::test]
async fn telegram_direct_replies_and_queued_posts_share_a_group_window() {
    let bot = telegram_bot_with_a_queued_post();
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![]).await;
    // Telegram allows 20 a minute; the test uses 3 in two seconds.
    let pacing = Pacing {
        per_second: 30,
        per_chat: 3,
        chat_window: Duration::from_secs(2),
    };
    let transport = TelegramTransport::new("1:t", Some(url)).with_pacing(pacing.clone());
    let (transport, stop, running) = run_adapter_on(&bot, transport).await;
    let mut worker = Delivery::new(
        bot.engine.clone(),
        transport,
        pacing,
        Clock::starting_at(bot.now),
    )
    .unwrap();
    for i in 0..3 {
        api.updates
            .lock()
            .unwrap()
            .push_back(message(group, (10 + i, "m"), "/help", None));
    }
    api.wait_until("three replies", |a| a.sends_to(group).len() >= 3)
        .await;
    // The group's window is full of replies: the queued post waits instead of going over the limit.
    let report = worker.pass().await.unwrap();
    assert_eq!((report.sent, report.deferred), (0, 1), "{report:?}");
    assert_eq!(api.sends_to(group).len(), 3);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let report = worker.pass().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let post = api.sends_to(group).last().unwrap().clone();
    assert!(post.contains("今日一题"), "{post}");
    // And the other way: the post counts in the window a command's reply then waits for.
    let before = api.sends_to(group).len();
    for i in 0..3 {
        api.updates
            .lock()
            .unwrap()
            .push_back(message(group, (20 + i, "m"), "/help", None));
    }
    api.wait_until("two more replies", |a| {
        a.sends_to(group).len() >= before + 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.sends_to(group).len(), before + 2, "the third waits");
    api.wait_until("the third reply", |a| a.sends_to(group).len() >= before + 3)
        .await;
    stop_adapter(stop, running).await;
}

#[tokio::test]
async fn telegram_a_burst_of_commands_in_one_group_keeps_to_the_per_chat_window() {
    let bot = TestBot::new();
    let group = -100123;
    let (api, url) = FakeBotApi::start(vec![]).await;
    // Telegram's window is 20 a minute; the test uses 3 a second so it runs in seconds.
    let transport = TelegramTransport::new("1:t", Some(url)).with_pacing(Pacing {
        per_second: 30,
        per_chat: 3,
        chat_window: Duration::from_secs(1),
    });
    let (_, stop, running) = run_adapter_on(&bot, transport).await;
    let started = std::time::Instant::now();
    for i in 0..5 {
        api.updates
            .lock()
            .unwrap()
            .push_back(message(group, (10 + i, "m"), "/help", None));
    }
    api.wait_until("three replies", |a| a.sends_to(group).len() >= 3)
        .await;
    let first_three = started.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        api.sends_to(group).len(),
        3,
        "the fourth waits for the window"
    );
    api.wait_until("all five replies", |a| a.sends_to(group).len() >= 5)
        .await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(first_three < Duration::from_secs(1), "{first_three:?}");
    // A DM is not held by the group's window.
    api.push(message(7, (7, "dave"), "/help", None), 1).await;
    let _ = stop.send(());
    let _ = running.await;
}
