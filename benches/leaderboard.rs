//! Leaderboard and answer-commit figures at scale: `cargo bench --bench leaderboard`.
//!
//! Seeds one chat with `BENCH_ANSWERS` revealed answers (default 1,000,000: 1,000 members over 1,000 days),
//! then times the week, month and all-time boards as `/leaderboard` runs them, and single answer commits.
//! Prints figures; asserts nothing about speed.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use drillbot::grading::Verdict;
use drillbot::message::Platform;
use drillbot::settings::ChatDefaults;
use drillbot::store::{ChatSettings, NewAnswer, Store};

fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(f());
    }
    start.elapsed() / runs
}

fn main() {
    let total: usize = std::env::var("BENCH_ANSWERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let members = 1000.min(total.max(1));
    let days = total.div_ceil(members);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.db")).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
    let settings = ChatSettings::from_defaults(&ChatDefaults::default(), true);
    let (chat, _) = store
        .ensure_chat(Platform::Telegram, "-1", false, &settings, 1, now)
        .unwrap();
    let first =
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap() - chrono::Duration::days(days as i64 - 1);

    let seeding = Instant::now();
    store.with_connection(|c| {
        let tx = c.transaction().unwrap();
        {
            let mut user = tx.prepare("INSERT INTO users (platform, external_id, display_name) VALUES ('telegram', ?1, ?2)").unwrap();
            for m in 0..members {
                user.execute(rusqlite::params![format!("u{m}"), format!("member {m}")]).unwrap();
            }
            let mut round = tx
                .prepare("INSERT INTO rounds (chat_id, local_date, number, question_id, posted_at, reveal_at, revealed_at) VALUES (?1, ?2, ?3, 'q', 0, 0, 0)")
                .unwrap();
            let mut answer = tx
                .prepare("INSERT INTO answers (round_id, user_id, chat_id, local_date, body, score, verdict, points, counted, submitted_at) VALUES (?1, ?2, ?3, ?4, 'x', ?5, 'graded', ?6, 1, 0)")
                .unwrap();
            let mut n = 0;
            for d in 0..days {
                let date = (first + chrono::Duration::days(d as i64)).to_string();
                round.execute(rusqlite::params![chat.id, date, d as i64 + 1]).unwrap();
                let round_id = tx.last_insert_rowid();
                for m in 0..members {
                    if n == total {
                        break;
                    }
                    let score = ((m * 7 + d * 13) % 101) as i64;
                    answer.execute(rusqlite::params![round_id, m as i64 + 1, chat.id, date, score, score * 2 / 10]).unwrap();
                    n += 1;
                }
            }
        }
        tx.execute(
            "INSERT INTO totals (chat_id, user_id, points, answered, score_sum)
             SELECT chat_id, user_id, SUM(points), COUNT(*), SUM(score) FROM answers GROUP BY chat_id, user_id",
            [],
        )
        .unwrap();
        tx.commit().unwrap();
        c.execute_batch("ANALYZE").unwrap();
    });
    println!(
        "seeded {total} answers ({members} members x {days} days) in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let week = drillbot::schedule::week_start(today);
    let month = drillbot::schedule::month_start(today);
    let w = time(200, || store.leaderboard(chat.id, Some(week)).unwrap());
    let m = time(100, || store.leaderboard(chat.id, Some(month)).unwrap());
    let a = time(200, || store.leaderboard(chat.id, None).unwrap());
    println!(
        "leaderboard week:  {:>8.3} ms  ({} rows)",
        w.as_secs_f64() * 1e3,
        store.leaderboard(chat.id, Some(week)).unwrap().len()
    );
    println!(
        "leaderboard month: {:>8.3} ms  ({} rows)",
        m.as_secs_f64() * 1e3,
        store.leaderboard(chat.id, Some(month)).unwrap().len()
    );
    println!(
        "leaderboard all:   {:>8.3} ms  ({} rows, totals table)",
        a.as_secs_f64() * 1e3,
        store.leaderboard(chat.id, None).unwrap().len()
    );
    let plan: Vec<String> = store.with_connection(|c| {
        let mut s = c
            .prepare("EXPLAIN QUERY PLAN SELECT user_id, SUM(points), COUNT(*) FROM answers WHERE chat_id = 1 AND counted = 1 AND local_date >= '2026-11-23' GROUP BY user_id")
            .unwrap();
        s.query_map([], |r| r.get::<_, String>(3)).unwrap().map(Result::unwrap).collect()
    });
    println!("week plan: {}", plan.join(" | "));

    // Answer commits: one transaction each (WAL, synchronous=NORMAL), as `/answer` does.
    let (round, _) = (
        store
            .create_round(
                chat.id,
                today + chrono::Duration::days(1),
                "q2",
                now,
                now + chrono::Duration::hours(9),
                |_| None,
            )
            .unwrap()
            .unwrap(),
        (),
    );
    let commits = 2000;
    let start = Instant::now();
    for u in 0..commits {
        store
            .save_answer(&NewAnswer {
                round_id: round.id,
                chat_id: chat.id,
                local_date: round.local_date,
                user_id: (u % members) as i64 + 1,
                body: "一个足够长的答案，包含三次握手和序列号",
                score: 50,
                covered: &[0, 1],
                verdict: Verdict::Graded,
                at: now,
                previous_round_date: Some(today),
                final_pick: false,
            })
            .unwrap();
    }
    let per = start.elapsed() / commits as u32;
    println!(
        "answer commit:     {:>8.3} ms  ({:.0} commits/s)",
        per.as_secs_f64() * 1e3,
        1.0 / per.as_secs_f64()
    );
}
