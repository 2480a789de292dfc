//! Storage promises: migrations, refusing newer files, durable acknowledgements, backups.

use drillbot::store::{Store, StoreError, schema_version};
use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::harness::{TestBot, good_answer};

#[test]
fn an_older_database_is_upgraded_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        let v1 = Migrations::new(vec![M::up(include_str!("../../migrations/01-init/up.sql"))]);
        v1.to_latest(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO users (platform, external_id, display_name) VALUES ('telegram', '42', 'old-timer')",
            [],
        )
        .unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
    }
    let store = Store::open(&path).unwrap();
    let (version, name, ratings): (i64, String, i64) = store.with_connection(|c| {
        (
            c.pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap(),
            c.query_row(
                "SELECT display_name FROM users WHERE external_id = '42'",
                [],
                |r| r.get(0),
            )
            .unwrap(),
            c.query_row("SELECT COUNT(*) FROM ratings", [], |r| r.get(0))
                .unwrap(),
        )
    });
    assert_eq!(version as usize, schema_version());
    assert_eq!(name, "old-timer");
    assert_eq!(ratings, 0, "the new table exists");
}

#[test]
fn a_database_from_a_newer_drillbot_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("untouched"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!dir.path().join("new.db-wal").exists());
}

#[test]
fn an_acknowledged_answer_is_already_on_disk() {
    let bot = TestBot::with(|d| d.topics = vec!["beta".into()]);
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    let ack = bot.say("alice", &format!("/answer {}", good_answer(&q.id)));
    assert_eq!(ack[0].kind, drillbot::message::ReplyKind::Confirmation);
    // A second connection (another process after a crash) sees it.
    let other = Connection::open(&bot.db_path).unwrap();
    let body: String = other
        .query_row("SELECT body FROM answers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(body, good_answer(&q.id));
}

#[test]
fn the_schema_enforces_one_live_round_per_day_and_one_answer_per_member() {
    let bot = TestBot::new();
    bot.say("alice", "/today");
    bot.engine.store().with_connection(|c| {
        let dup = c.execute(
            "INSERT INTO rounds (chat_id, local_date, number, question_id, posted_at, reveal_at)
             SELECT chat_id, local_date, number + 1, question_id, posted_at, reveal_at FROM rounds",
            [],
        );
        assert!(dup.is_err(), "a second live round on the same date violates the schema");
        c.execute(
            "INSERT INTO answers (round_id, user_id, chat_id, local_date, body, score, verdict, submitted_at)
             SELECT r.id, u.id, r.chat_id, r.local_date, 'x', 0, 'graded', 0 FROM rounds r, users u",
            [],
        )
        .unwrap();
        let dup = c.execute(
            "INSERT INTO answers (round_id, user_id, chat_id, local_date, body, score, verdict, submitted_at)
             SELECT r.id, u.id, r.chat_id, r.local_date, 'y', 0, 'graded', 0 FROM rounds r, users u",
            [],
        );
        assert!(dup.is_err(), "a second answer by the same member violates the schema");
    });
}

#[test]
fn a_backup_opens_with_the_same_data() {
    let bot = TestBot::new();
    bot.say("alice", "/today");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    bot.engine.store().backup(&copy).unwrap();
    let restored = Store::open(&copy).unwrap();
    let rounds: i64 = restored.with_connection(|c| {
        c.query_row("SELECT COUNT(*) FROM rounds", [], |r| r.get(0))
            .unwrap()
    });
    assert_eq!(rounds, 1);
}

#[test]
fn a_backup_finishes_while_another_connection_keeps_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    let store = Store::open(&path).unwrap();
    store.with_connection(|c| {
        c.execute_batch(
            "CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
             INSERT INTO filler (body) SELECT printf('%0500d', i) FROM n;",
        )
        .unwrap()
    });
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (path, stop) = (path.clone(), stop.clone());
        std::thread::spawn(move || {
            let c = Connection::open(&path).unwrap();
            c.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
            let mut writes = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && writes < 200_000 {
                c.execute("INSERT INTO filler (body) VALUES ('x')", [])
                    .unwrap();
                writes += 1;
            }
            writes
        })
    };
    let copy = dir.path().join("copy.db");
    store.backup(&copy).unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(
        writer.join().unwrap() > 0,
        "the writer ran beside the backup"
    );
    let n: i64 = Connection::open(&copy)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM filler", [], |r| r.get(0))
        .unwrap();
    assert!(n >= 20_000, "{n} rows copied");
}

#[test]
fn backing_up_a_missing_database_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .args(["db", "backup"])
        .arg(dir.path().join("copy.db"))
        .arg("--db")
        .arg(&missing)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no database at"), "{stderr}");
    assert!(!missing.exists(), "no empty database was created");
    assert!(!dir.path().join("copy.db").exists());
}

#[test]
fn a_read_only_database_is_refused_at_start_up() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.db");
    drop(Store::open(&path).unwrap());
    // A connection that can only read (what SQLite falls back to for a file it may not write).
    let conn =
        Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let err = Store::from_connection(conn, "ro.db")
        .err()
        .expect("refused");
    assert!(matches!(err, StoreError::ReadOnly(_)), "{err}");
    assert!(err.to_string().contains("cannot be written"), "{err}");
    // The same through file permissions, where they bind (root writes read-only files anyway).
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    if std::fs::OpenOptions::new().write(true).open(&path).is_err() {
        let err = Store::open(&path).err().expect("refused");
        assert!(matches!(err, StoreError::ReadOnly(_)), "{err}");
    }
}

#[test]
fn a_full_disk_is_reported_as_such_and_no_member_is_half_created() {
    let bot = TestBot::new();
    bot.say("alice", "/help");
    let store = bot.engine.store();
    // SQLite answers "full" once the file reaches max_page_count: a stand-in for a full disk.
    store.with_connection(|c| {
        let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        c.execute_batch(&format!("PRAGMA max_page_count = {pages}"))
            .unwrap();
    });
    let mut failed = None;
    for i in 0..2000 {
        let name = format!("member {i} {}", "x".repeat(500));
        match store.ensure_user(
            drillbot::message::Platform::Telegram,
            &format!("u{i}"),
            &name,
        ) {
            Ok(_) => continue,
            Err(e) => {
                failed = Some((i, e));
                break;
            }
        }
    }
    let (i, err) = failed.expect("the database filled up");
    assert!(matches!(err, StoreError::DiskFull), "{err}");
    assert!(err.to_string().contains("full"), "{err}");
    // The member whose creation failed does not exist.
    let found: i64 = store.with_connection(|c| {
        c.query_row(
            "SELECT COUNT(*) FROM users WHERE external_id = ?1",
            [format!("u{i}")],
            |r| r.get(0),
        )
        .unwrap()
    });
    assert_eq!(found, 0);
}

#[test]
fn reads_by_known_members_are_answered_while_another_process_holds_the_write_lock() {
    let bot = TestBot::new();
    bot.say("alice", "/today");
    let other = Connection::open(&bot.db_path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    for command in ["/leaderboard", "/stats", "/topics", "/help", "/settings"] {
        let reply = bot.say("alice", command);
        assert_eq!(
            reply[0].kind,
            drillbot::message::ReplyKind::Info,
            "{command}: {}",
            reply[0].text
        );
    }
    other.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_command_stuck_waiting_for_the_write_lock_holds_up_no_other_chat() {
    let bot = TestBot::new();
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    let elsewhere = |user: &str, text: &str| {
        let mut msg = bot.incoming(user, text, false);
        msg.chat.id = "-100456".into();
        msg
    };
    bot.engine.handle(&elsewhere("bob", "/help"), bot.now);
    // Another process holds the write lock (a long transaction, a backup, a slow disk).
    let other = Connection::open(&bot.db_path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let waits_before = drillbot::metrics::metrics().busy_waits();
    let engine = bot.engine.clone();
    let answer = bot.incoming("alice", &format!("/answer {}", good_answer(&q.id)), false);
    let now = bot.now;
    let stuck = std::thread::spawn(move || engine.handle(&answer, now));
    std::thread::sleep(std::time::Duration::from_millis(300));
    // alice's answer waits for the lock; bob's board in another chat does not wait for her.
    let board = bot
        .engine
        .handle(&elsewhere("bob", "/leaderboard"), bot.now);
    assert_eq!(
        board[0].kind,
        drillbot::message::ReplyKind::Info,
        "{}",
        board[0].text
    );
    assert!(
        !stuck.is_finished(),
        "the answer was still waiting for the write lock"
    );
    other.execute_batch("ROLLBACK").unwrap();
    let ack = stuck.join().unwrap();
    // The operator sees the wait on /metrics.
    assert!(drillbot::metrics::metrics().busy_waits() > waits_before);
    assert!(
        drillbot::metrics::metrics()
            .render()
            .contains("drillbot_db_busy_waits_total ")
    );
    assert_eq!(
        ack[0].kind,
        drillbot::message::ReplyKind::Confirmation,
        "{}",
        ack[0].text
    );
}

#[test]
fn a_channel_stored_as_a_mention_by_an_older_drillbot_still_reads_as_its_id() {
    let bot = TestBot::new();
    bot.say("alice", "/help");
    bot.engine
        .store()
        .with_connection(|c| c.execute("UPDATE chats SET channel = '<#77>'", []).unwrap());
    assert_eq!(
        bot.chat().settings.channel,
        Some(drillbot::vocab::ChannelId(77))
    );
    // Written back as the bare id.
    bot.engine
        .store()
        .change_settings::<StoreError>(bot.chat().id, bot.now, |s| {
            s.threads = true;
            Ok(())
        })
        .unwrap();
    let stored: String = bot
        .engine
        .store()
        .with_connection(|c| c.query_row("SELECT channel FROM chats", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(stored, "77");
}

fn drillbot_db(args: &[&str], db: &std::path::Path) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drillbot"))
        .arg("db")
        .args(args)
        .arg("--db")
        .arg(db)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn db_check_passes_a_sound_database_and_counts_its_rows() {
    let bot = TestBot::new();
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    bot.say("alice", &format!("/answer {}", good_answer(&q.id)));
    let (ok, out, err) = drillbot_db(&["check"], &bot.db_path);
    assert!(ok, "{out}{err}");
    for line in [
        "integrity: ok",
        "foreign keys: ok",
        &format!("schema: version {0} (this drillbot: {0})", schema_version()),
        "answers 1",
        "rounds 1",
        "no problems found",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    let (ok, json, _) = drillbot_db(&["check", "--json"], &bot.db_path);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["rows"]["answers"], 1);
    assert_eq!(v["problems"], serde_json::json!([]));
}

#[test]
fn db_check_fails_on_rows_that_point_at_nothing_and_names_them() {
    let bot = TestBot::new();
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    bot.say("alice", &format!("/answer {}", good_answer(&q.id)));
    {
        // What a hand edit or an old bug leaves behind: the round's row is gone, its answer is not.
        let conn = Connection::open(&bot.db_path).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM rounds;")
            .unwrap();
    }
    let (ok, out, _) = drillbot_db(&["check"], &bot.db_path);
    assert!(!ok, "{out}");
    assert!(out.contains("PROBLEM"), "{out}");
    assert!(out.contains("answers row"), "{out}");
    assert!(out.contains("-> rounds"), "{out}");
}

#[test]
fn db_check_fails_on_a_damaged_file_and_on_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.db");
    drop(Store::open(&path).unwrap());
    {
        // Overwrite everything after the header page with noise.
        use std::io::{Seek, SeekFrom, Write};
        let len = std::fs::metadata(&path).unwrap().len();
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(4096)).unwrap();
        f.write_all(&vec![0xA5; (len - 4096) as usize]).unwrap();
    }
    let (ok, out, err) = drillbot_db(&["check"], &dir.path().join("damaged.db"));
    assert!(!ok, "{out}{err}");
    assert!(format!("{out}{err}").contains("PROBLEM"), "{out}{err}");

    let newer = dir.path().join("newer.db");
    drop(Store::open(&newer).unwrap());
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", schema_version() as i64 + 1)
        .unwrap();
    let (ok, out, _) = drillbot_db(&["check"], &newer);
    assert!(!ok, "{out}");
    assert!(out.contains("is newer than this drillbot"), "{out}");
}

#[test]
fn db_migrate_dry_run_lists_pending_migrations_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        drillbot::store::migrations()
            .to_version(&mut conn, 3)
            .unwrap();
    }
    let version = || -> i64 {
        Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    };
    let (ok, out, err) = drillbot_db(&["migrate", "--dry-run"], &path);
    assert!(ok, "{err}");
    let pending = schema_version() - 3;
    assert!(
        out.contains(&format!("{pending} migration(s) would be applied")),
        "{out}"
    );
    assert!(out.contains("04-post-days"), "{out}");
    assert!(!out.contains("03-outbox"), "{out}");
    assert_eq!(version(), 3, "a dry run writes nothing");
    // An older schema is not a problem for check: start-up migrates it.
    let (ok, out, _) = drillbot_db(&["check"], &path);
    assert!(ok, "{out}");
    assert!(out.contains("to apply at start-up"), "{out}");
    let (ok, out, err) = drillbot_db(&["migrate"], &path);
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("applied {pending} migration(s)")),
        "{out}"
    );
    assert_eq!(version() as usize, schema_version());
    let (ok, out, _) = drillbot_db(&["migrate", "--dry-run"], &path);
    assert!(ok && out.contains("up to date"), "{out}");
}

#[test]
fn db_check_of_a_missing_file_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    for args in [&["check"][..], &["migrate", "--dry-run"][..]] {
        let (ok, _, err) = drillbot_db(args, &missing);
        assert!(!ok);
        assert!(err.contains("no database at"), "{err}");
        assert!(!missing.exists(), "no empty database was created");
    }
}

#[test]
fn week_and_month_totals_are_back_filled_from_answers_revealed_before_the_upgrade() {
    use chrono::NaiveDate;
    use drillbot::vocab::Period;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v9.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        drillbot::store::migrations()
            .to_version(&mut conn, 9)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO chats (id, platform, external_id, language, timezone, post_time, reveal_time, seed, created_at)
                 VALUES (1, 'telegram', '-1', 'zh', 'Asia/Shanghai', '09:00', '21:00', 1, 0);
             INSERT INTO users (id, platform, external_id, display_name) VALUES (1, 'telegram', '1', 'ann'),
                 (2, 'telegram', '2', 'bob');",
        )
        .unwrap();
        // Sunday 29 November (last week, last month), Monday 30 November (this week, last month), Tuesday
        // 1 December (this week, this month); one answer not revealed yet.
        for (n, date, revealed) in [
            (1, "2026-11-29", true),
            (2, "2026-11-30", true),
            (3, "2026-12-01", true),
            (4, "2026-12-02", false),
        ] {
            conn.execute(
                "INSERT INTO rounds (id, chat_id, local_date, number, question_id, posted_at, reveal_at)
                 VALUES (?1, 1, ?2, ?1, 'q', 0, 0)",
                rusqlite::params![n, date],
            )
            .unwrap();
            for (user, points) in [(1, 10 * n), (2, 3 * n)] {
                conn.execute(
                    "INSERT INTO answers (round_id, user_id, chat_id, local_date, body, score, verdict, points, counted,
                                          submitted_at)
                     VALUES (?1, ?2, 1, ?3, 'x', 50, 'graded', ?4, ?5, 0)",
                    rusqlite::params![n, user, date, points, revealed],
                )
                .unwrap();
            }
        }
    }
    let store = Store::open(&path).unwrap();
    let board = |period, today: &str| -> Vec<(String, i64, i64)> {
        store
            .leaderboard(
                1,
                period,
                NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap(),
            )
            .unwrap()
            .into_iter()
            .map(|r| (r.name, r.points, r.answers))
            .collect()
    };
    let row = |name: &str, points, answers| (name.to_string(), points, answers);
    assert_eq!(
        board(Period::Week, "2026-12-02"),
        vec![row("ann", 50, 2), row("bob", 15, 2)]
    );
    assert_eq!(
        board(Period::Month, "2026-12-02"),
        vec![row("ann", 30, 1), row("bob", 9, 1)]
    );
    assert_eq!(
        board(Period::Week, "2026-11-29"),
        vec![row("ann", 10, 1), row("bob", 3, 1)]
    );
    assert_eq!(
        board(Period::Month, "2026-11-30"),
        vec![row("ann", 30, 2), row("bob", 9, 2)]
    );
    // The all-time board reads `totals`, which this database never filled.
    assert!(board(Period::All, "2026-12-02").is_empty());
}
