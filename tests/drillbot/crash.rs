//! Reliability: an acknowledged answer survives the process being killed at any moment, and a full disk
//! refuses an answer plainly without losing any acknowledged one.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Timelike;
use drillbot::i18n::{Lang, Msg};
use drillbot::message::ReplyKind;
use drillbot::store::check::open_read_only;
use rand::Rng;

use crate::harness::{TestBot, all_private_to, fixture_bank_dir, good_answer, shown};
use crate::telegram::{FakeBotApi, message};

/// The study groups answering at once.
const GROUPS: [i64; 3] = [-100_201, -100_202, -100_203];

/// The Telegram confirmation of a recorded (new) answer.
const RECORDED: &str = "已收到你的答案";

/// A zone whose local time is now between 12:00 and 12:59, so today's round (reveal 21:00) stays open for
/// the whole test whatever time of day it runs.
fn midday_zone() -> String {
    let offset = 12 - chrono::Utc::now().hour() as i32;
    match offset {
        0 => "Etc/UTC".to_string(),
        // The Etc zones' signs are inverted: Etc/GMT-8 is UTC+8.
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    }
}

/// `drillbot run` on `db` against the fake Bot API at `url`, logging to `log`.
fn start_run(db: &Path, url: &url::Url, zone: &str, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .args(["run", "--db"])
        .arg(db)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DRILLBOT__TELEGRAM__TOKEN", "4242:CRASH-TEST")
        .env("DRILLBOT__TELEGRAM__API_URL", url.as_str())
        // Fast confirmations, so many commits race with the kill.
        .env("DRILLBOT__TELEGRAM__PER_SECOND", "300")
        .env("DRILLBOT__BANK__BUNDLED", "false")
        .env("DRILLBOT__BANK__DIRS", fixture_bank_dir())
        .env("DRILLBOT__CHAT__TOPICS", "beta")
        .env("DRILLBOT__CHAT__TIMEZONE", zone)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Waits until `done` holds, up to `secs` seconds (generous: the machine may be busy with other builds).
async fn wait_for(what: &str, secs: u64, log: &Path, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("{what} did not happen within {secs} s; the bot's log:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Users (DM chat ids) whose answer the bot confirmed, and any other DM text sent to an answering member.
fn confirmations(api: &FakeBotApi) -> (Vec<i64>, Vec<String>) {
    let mut confirmed = Vec::new();
    let mut other = Vec::new();
    for body in api.sends() {
        let chat = body["chat_id"].as_i64().unwrap_or_default();
        if chat <= 0 {
            continue;
        }
        let text = body["text"].as_str().unwrap_or_default();
        if text.contains(RECORDED) {
            confirmed.push(chat);
        } else {
            other.push(format!("to {chat}: {text}"));
        }
    }
    (confirmed, other)
}

/// The answer a member sends: a real answer with the member's own mark, so the stored body can be checked.
fn answer_of(user: i64) -> String {
    format!("{} (member {user})", good_answer("beta-gil"))
}

/// Every stored answer, by member (Telegram user id), read without writing to the file.
fn stored_answers(db: &Path) -> BTreeMap<i64, String> {
    let conn = open_read_only(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT u.external_id, a.body FROM answers a JOIN users u ON u.id = a.user_id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|r| {
            let (user, body) = r.unwrap();
            (user.parse().expect("a Telegram user id"), body)
        })
        .collect()
}

/// `drillbot db check --json` on `db`: it must exit 0 with no problems.
fn db_check_passes(db: &Path, when: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .args(["db", "check", "--json", "--db"])
        .arg(db)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{when}: db check failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["problems"],
        serde_json::json!([]),
        "{when}: {report}"
    );
    assert_eq!(
        report["integrity"],
        serde_json::json!([]),
        "{when}: {report}"
    );
    report
}

/// Every acknowledged answer is stored, exactly as sent.
fn acknowledged_are_stored(db: &Path, acked: &[i64], when: &str) -> BTreeMap<i64, String> {
    let stored = stored_answers(db);
    for user in acked {
        assert_eq!(
            stored.get(user).map(String::as_str),
            Some(answer_of(*user).as_str()),
            "{when}: the acknowledged answer of member {user} is not stored as sent \
             ({} acknowledged, {} stored)",
            acked.len(),
            stored.len()
        );
    }
    stored
}

/// A rendered message as a reader sees it.
fn shown_text(rendered: &str) -> String {
    drillbot::markup::unescape(rendered)
}

/// `drillbot run` against the fake Bot API, SIGKILLed five times at varied moments while members of three
/// groups stream answers in; after every kill `db check` passes and every answer whose confirmation the
/// member received is stored, and every restart on the same file takes answers again (the rounds survived).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_bot_while_answers_stream_in_loses_no_acknowledged_answer() {
    let started = Instant::now();
    let (api, url) = FakeBotApi::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let log = dir.path().join("run.log");
    let zone = midday_zone();
    let mut rng = rand::rng();
    let mut report = Vec::new();

    for round in 0..5i64 {
        let calls_before = api.calls.lock().unwrap().len();
        let mut child = start_run(&db, &url, &zone, &log);
        // Polling: the process started (again) on the file and reached the Bot API.
        wait_for("the bot polling", 20, &log, || {
            api.calls.lock().unwrap()[calls_before..]
                .iter()
                .any(|(m, _)| m == "getupdates")
        })
        .await;
        if round == 0 {
            for (i, group) in GROUPS.iter().enumerate() {
                api.updates.lock().unwrap().push_back(message(
                    *group,
                    (10 + i as i64, "opener"),
                    "/today",
                    None,
                ));
            }
            wait_for("today's question in every group", 20, &log, || {
                GROUPS.iter().all(|g| {
                    api.sends().iter().any(|b| {
                        b["chat_id"].as_i64() == Some(*g)
                            && b["text"].as_str().unwrap_or_default().contains("今日一题")
                    })
                })
            })
            .await;
        }

        // Members of the three groups answer, a few every 2-8 ms (faster than the bot confirms, so it is always
        // busy), until the bot is killed.
        let first_user = 1_000_000 * (round + 1);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let feeder = {
            let api = api.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut user = first_user;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let burst = rand::rng().random_range(2..=6);
                    for _ in 0..burst {
                        let group = GROUPS[(user % 3) as usize];
                        let text = format!("/answer {}", answer_of(user));
                        api.updates.lock().unwrap().push_back(message(
                            group,
                            (user, &format!("m{user}")),
                            &text,
                            None,
                        ));
                        user += 1;
                    }
                    let pause = rand::rng().random_range(2..=8);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                user - first_user
            })
        };
        // A varied moment: after 1 to 40 confirmations of this run, plus up to 40 ms.
        let target = rng.random_range(1..=40);
        let mine = |api: &FakeBotApi| {
            confirmations(api)
                .0
                .into_iter()
                .filter(|u| *u >= first_user)
                .count()
        };
        wait_for("answers being confirmed", 20, &log, || mine(&api) >= target).await;
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..=40))).await;
        // SIGKILL (what `kill -KILL` sends): no clean stop, no chance to flush anything.
        child.kill().unwrap();
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let pushed = feeder.await.unwrap();
        assert!(
            !status.success(),
            "round {round}: the bot was killed, not stopped"
        );
        // Updates the dead process never took are dropped, as if their senders gave up.
        let unread = api.updates.lock().unwrap().drain(..).count();

        // Every confirmation recorded so far was sent after its commit, by a process now dead.
        let (confirmed, other) = confirmations(&api);
        assert!(
            other.is_empty(),
            "round {round}: members got something else than a confirmation: {other:?}"
        );
        let new = confirmed.iter().filter(|u| **u >= first_user).count();
        let when = format!("after kill {}", round + 1);
        db_check_passes(&db, &when);
        let stored = acknowledged_are_stored(&db, &confirmed, &when);
        // Nothing is stored that nobody sent.
        for (user, body) in &stored {
            assert_eq!(body, &answer_of(*user), "{when}: member {user}'s answer");
        }
        let stored_now = stored.keys().filter(|u| **u >= first_user).count();
        report.push(format!(
            "run {}: {pushed} sent, {new} confirmed, {stored_now} stored, {unread} never read",
            round + 1
        ));
    }

    // A last restart: the bot takes answers in every group's open round, and stops cleanly.
    let calls_before = api.calls.lock().unwrap().len();
    let child = start_run(&db, &url, &zone, &log);
    wait_for("the bot polling after the last kill", 20, &log, || {
        api.calls.lock().unwrap()[calls_before..]
            .iter()
            .any(|(m, _)| m == "getupdates")
    })
    .await;
    let last: Vec<i64> = (0..3).map(|i| 9_000_000 + i).collect();
    for user in &last {
        let text = format!("/answer {}", answer_of(*user));
        api.updates.lock().unwrap().push_back(message(
            GROUPS[(*user % 3) as usize],
            (*user, "last"),
            &text,
            None,
        ));
    }
    wait_for("the answers after the restart confirmed", 20, &log, || {
        let confirmed = confirmations(&api).0;
        last.iter().all(|u| confirmed.contains(u))
    })
    .await;
    crate::harness::signal_term(child.id());
    let clean = tokio::task::spawn_blocking(move || {
        let mut child = child;
        child.wait().unwrap().success()
    })
    .await
    .unwrap();
    assert!(
        clean,
        "the restarted bot did not stop cleanly; its log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let (confirmed, other) = confirmations(&api);
    assert!(other.is_empty(), "{other:?}");
    let check = db_check_passes(&db, "after the last restart");
    let stored = acknowledged_are_stored(&db, &confirmed, "after the last restart");
    assert!(
        check["rows"]["answers"].as_u64() == Some(stored.len() as u64),
        "{check}"
    );
    let rounds = open_read_only(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM rounds", [], |r| r.get::<_, i64>(0))
        .unwrap();
    assert_eq!(rounds, 3, "one round per group, kept across restarts");
    eprintln!(
        "{}; {} acknowledged answers in all, {} stored, {:.1} s",
        report.join("; "),
        confirmed.len(),
        stored.len(),
        started.elapsed().as_secs_f64()
    );
}

/// The disk fills up while members answer (SQLite's `max_page_count` on the bot's own writing connection
/// stands in for it): the member whose answer does not fit is told it was not saved because the storage is
/// full, every answer confirmed before is still there (also one whose member then tried to replace it), and
/// once there is room again the same answer is saved.
#[test]
fn a_full_disk_tells_the_member_the_answer_was_not_saved_and_loses_nothing_acknowledged() {
    let bot = TestBot::with(|d| d.topics = vec!["beta".into()]);
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    let store = bot.engine.store();
    let mut acked: BTreeMap<String, String> = BTreeMap::new();
    let members: Vec<String> = (0..40).map(|i| format!("m{i}")).collect();
    // Everyone has spoken once, so the members exist before the disk fills up.
    for m in &members {
        bot.say(m, "/today");
    }
    for m in ["alice", "bob"] {
        let body = format!("{} ({m})", good_answer(&q.id));
        let r = bot.say(m, &format!("/answer {body}"));
        assert_eq!(r[0].kind, ReplyKind::Confirmation, "{}", r[0].text);
        acked.insert(m.to_string(), body);
    }

    // The file may grow by ten pages, no more. The limit holds for this connection only (the bot's one
    // writer) and counts the database as the WAL shows it: pages written since the last checkpoint count too,
    // and free pages inside the file are used before it would grow.
    let (journal, limit) = store.with_connection(|c| {
        let journal: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        let limit: i64 = c
            .query_row(
                &format!("PRAGMA max_page_count = {}", pages + 10),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(limit, pages + 10);
        (journal, limit)
    });
    assert_eq!(journal, "wal");

    // Members answer (long answers: each needs pages of its own) until one does not fit: the first few do.
    let long = |m: &str| format!("{} {} ({m})", good_answer(&q.id), "详细说明。".repeat(600));
    let storage_full = Lang::Zh.render(&Msg::StorageFull { answer: true });
    let mut refused = None;
    for m in &members {
        let body = long(m);
        let r = bot.say(m, &format!("/answer {body}"));
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(all_private_to(&r, m), "{r:?}");
        match r[0].kind {
            ReplyKind::Confirmation => {
                acked.insert(m.clone(), body);
            }
            _ => {
                refused = Some((m.clone(), body, shown(&r[0])));
                break;
            }
        }
    }
    let (member, body, reply) = refused.expect("the database filled up");
    assert!(
        acked.len() > 2,
        "answers fitted in the room left: {acked:?}"
    );
    // The refusal is the full-storage one (SQLITE_FULL reached the member), not the generic apology.
    assert_eq!(reply, shown_text(&storage_full));
    assert!(
        reply.contains("没有保存") && reply.contains("存储空间已满"),
        "{reply}"
    );
    assert_ne!(reply, shown_text(&Lang::Zh.render(&Msg::Internal)));
    let pages_now: i64 =
        store.with_connection(|c| c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap());
    assert!(
        pages_now <= limit,
        "the file grew past the limit: {pages_now} pages"
    );

    // alice tries to replace her confirmed answer with a long one: refused, and her answer stays.
    let r = bot.say("alice", &format!("/answer {}", long("alice")));
    assert_eq!(r[0].kind, ReplyKind::Refusal);
    assert_eq!(r[0].text, storage_full);
    // A newcomer whose very first message does not fit (a name too long for the room left) hears the same.
    let newcomer = format!("newcomer{}", "名".repeat(3000));
    let r = bot.say(&newcomer, &format!("/answer {}", good_answer(&q.id)));
    assert_eq!(r[0].kind, ReplyKind::Refusal);
    assert_eq!(r[0].text, storage_full);

    // Nothing acknowledged is lost, nothing refused was stored (read by another connection, as after a restart).
    let stored_now = || -> BTreeMap<String, String> {
        let conn = open_read_only(&bot.db_path).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT u.display_name, a.body FROM answers a JOIN users u ON u.id = a.user_id",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(stored_now(), acked);
    let out = Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .args(["db", "check", "--db"])
        .arg(&bot.db_path)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Room again: the refused answer goes in, alice's replacement too, and everything before is still there.
    store.with_connection(|c| {
        c.query_row("PRAGMA max_page_count = 1073741823", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
    });
    let r = bot.say(&member, &format!("/answer {body}"));
    assert_eq!(r[0].kind, ReplyKind::Confirmation, "{}", r[0].text);
    assert!(shown(&r[0]).contains(RECORDED), "{}", shown(&r[0]));
    acked.insert(member.clone(), body);
    let r = bot.say("alice", &format!("/answer {}", long("alice")));
    assert_eq!(r[0].kind, ReplyKind::Confirmation, "{}", r[0].text);
    acked.insert("alice".into(), long("alice"));
    assert_eq!(stored_now(), acked);
}
