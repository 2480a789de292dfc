//! Leaderboard latency at scale: `cargo bench --bench leaderboard`.
//!
//! Seeds one chat with `BENCH_ANSWERS` revealed answers (default 1,000,000: 1,000 members over 1,000 days up to
//! Sunday 2026-05-31, so the week has its full 7 days and the month its full 31, the largest periods). The
//! answers and the all-time `totals` are written on a database at schema version 9, before the week and month
//! totals existed, and `Store::open` then migrates it: the migration's back-fill builds `period_totals`, as on
//! an upgraded installation (its time is printed). Then `BENCH_QUERIES` (default 1,000) boards of each period,
//! interleaved, are timed one by one as `/leaderboard` runs them, and compared with the naive query: summing
//! the period's answers in a full scan of `answers` (`NOT INDEXED`, no totals), median of `BENCH_SCANS` runs
//! (default 5). Each board is checked to equal the scan's result. Prints, per period, p50, p99, the scan's
//! time and the scan's time over p99; asserts nothing about speed.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use drillbot::store::{BoardRow, Store, migrations};
use drillbot::vocab::Period;
use rusqlite::{Connection, params};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The board as the naive query computes it: every answer of the chat read, the period's summed per member.
fn scan(conn: &Connection, chat_id: i64, since: &str) -> Vec<BoardRow> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT b.user_id, u.display_name, b.points, b.answers FROM (
                 SELECT user_id, SUM(points) AS points, COUNT(*) AS answers FROM answers NOT INDEXED
                 WHERE chat_id = ?1 AND counted = 1 AND local_date >= ?2 GROUP BY user_id
             ) b JOIN users u ON u.id = b.user_id
             ORDER BY b.points DESC, b.answers DESC, u.display_name",
        )
        .unwrap();
    stmt.query_map(params![chat_id, since], |r| {
        Ok(BoardRow {
            user_id: r.get(0)?,
            name: r.get(1)?,
            points: r.get(2)?,
            answers: r.get(3)?,
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// The week and month boards as they were before `period_totals`: the period's answers summed through the
/// covering index `answers_board`.
fn indexed_sum(conn: &Connection, chat_id: i64, since: &str) -> usize {
    let mut stmt = conn
        .prepare_cached(
            "SELECT b.user_id, u.display_name, b.points, b.answers FROM (
                 SELECT user_id, SUM(points) AS points, COUNT(*) AS answers FROM answers
                 WHERE chat_id = ?1 AND counted = 1 AND local_date >= ?2 GROUP BY user_id
             ) b JOIN users u ON u.id = b.user_id
             ORDER BY b.points DESC, b.answers DESC, u.display_name",
        )
        .unwrap();
    stmt.query_map(params![chat_id, since], |r| r.get::<_, i64>(0))
        .unwrap()
        .count()
}

fn main() {
    let total = env("BENCH_ANSWERS", 1_000_000).max(1);
    let queries = env("BENCH_QUERIES", 1000).max(1);
    let scans = env("BENCH_SCANS", 5).max(1);
    let members = 1000.min(total);
    let days = total.div_ceil(members);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let today = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
    let first = today - chrono::Duration::days(days as i64 - 1);

    let seeding = Instant::now();
    let chat_id: i64 = {
        let mut c = Connection::open(&path).unwrap();
        c.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .unwrap();
        c.pragma_update(None, "synchronous", "NORMAL").unwrap();
        migrations().to_version(&mut c, 9).unwrap();
        let tx = c.transaction().unwrap();
        let chat_id: i64 = tx
            .query_row(
                "INSERT INTO chats (platform, external_id, language, timezone, post_time, reveal_time, seed, created_at)
                 VALUES ('telegram', '-1', 'zh', 'Asia/Shanghai', '09:00', '21:00', 1, 0) RETURNING id",
                [],
                |r| r.get(0),
            )
            .unwrap();
        {
            let mut user = tx.prepare("INSERT INTO users (platform, external_id, display_name) VALUES ('telegram', ?1, ?2)").unwrap();
            for m in 0..members {
                user.execute(params![format!("u{m}"), format!("member {m}")])
                    .unwrap();
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
                round.execute(params![chat_id, date, d as i64 + 1]).unwrap();
                let round_id = tx.last_insert_rowid();
                for m in 0..members {
                    if n == total {
                        break;
                    }
                    let score = ((m * 7 + d * 13) % 101) as i64;
                    answer
                        .execute(params![
                            round_id,
                            m as i64 + 1,
                            chat_id,
                            date,
                            score,
                            score * 2 / 10
                        ])
                        .unwrap();
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
        chat_id
    };
    let seeded = seeding.elapsed();
    let migrating = Instant::now();
    let store = Store::open(&path).unwrap();
    let migrated = migrating.elapsed();
    store.with_connection(|c| c.execute_batch("ANALYZE").unwrap());
    println!(
        "seeded {total} answers ({members} members x {days} days) in {:.1} s; migration to the latest schema \
         (back-filling week and month totals) {:.2} s",
        seeded.as_secs_f64(),
        migrated.as_secs_f64()
    );

    let periods = [
        (
            Period::Week,
            "week",
            drillbot::schedule::week_start(today).to_string(),
        ),
        (
            Period::Month,
            "month",
            drillbot::schedule::month_start(today).to_string(),
        ),
        (Period::All, "all", "0000-01-01".to_string()),
    ];
    // Same rows as the naive sum over the answers, in the same order.
    let conn = Connection::open(&path).unwrap();
    for (period, name, since) in &periods {
        let board = store.leaderboard(chat_id, *period, today).unwrap();
        assert_eq!(board, scan(&conn, chat_id, since), "{name} board");
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(queries); periods.len()];
    for _ in 0..queries {
        for (i, (period, _, _)) in periods.iter().enumerate() {
            let started = Instant::now();
            std::hint::black_box(store.leaderboard(chat_id, *period, today).unwrap());
            times[i].push(started.elapsed());
        }
    }
    for (i, (period, name, since)) in periods.iter().enumerate() {
        let t = &mut times[i];
        t.sort();
        let p50 = t[t.len() / 2];
        let p99 = t[(t.len() * 99).div_ceil(100) - 1];
        let mut scan_times: Vec<Duration> = (0..scans)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(scan(&conn, chat_id, since));
                started.elapsed()
            })
            .collect();
        scan_times.sort();
        let scan_time = scan_times[scan_times.len() / 2];
        let rows = store.leaderboard(chat_id, *period, today).unwrap().len();
        let before = if *period == Period::All {
            "the same before period_totals".to_string()
        } else {
            let mut t: Vec<Duration> = (0..queries.div_ceil(5))
                .map(|_| {
                    let started = Instant::now();
                    std::hint::black_box(indexed_sum(&conn, chat_id, since));
                    started.elapsed()
                })
                .collect();
            t.sort();
            format!(
                "before period_totals (sum through answers_board) p50 {:.3} ms, p99 {:.3} ms",
                ms(t[t.len() / 2]),
                ms(t[(t.len() * 99).div_ceil(100) - 1])
            )
        };
        println!(
            "leaderboard {name:<5}: p50 {:>6.3} ms, p99 {:>6.3} ms, scan {:>7.1} ms, scan/p99 {:>5.0}x  ({rows} rows; \
             {before})",
            ms(p50),
            ms(p99),
            ms(scan_time),
            scan_time.as_secs_f64() / p99.as_secs_f64()
        );
    }
}
