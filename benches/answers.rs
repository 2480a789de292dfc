//! Recording an answer through the engine against a raw insert: `cargo bench --bench answers`.
//!
//! One Telegram group with `BENCH_MEMBERS` members (default 1,000) already known to the bot, as an adapter's
//! steady state, plays `BENCH_ROUNDS` rounds (default 4) of a free-text question of the bundled bank. Every
//! member answers each round with `/answer <text>` through `Engine::handle`, as an adapter submits it (parse,
//! look up chat, member and round, grade against the bundled bank, save in one transaction, render the
//! confirmation); the texts are the evaluation set's answers to that question (strong, partial, weak,
//! off-topic, English...). Interleaved with each of them, a raw single-row `INSERT` of the same text into
//! `answers` (autocommit: one transaction) on the store's own connection to the same file: WAL,
//! `synchronous=NORMAL`, the same indexes. Prints
//! `answers: engine X/s, raw Y/s, ratio R` and where an engine answer's time goes (grading, the save
//! transaction, the rest). Prints figures; asserts nothing about speed.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use drillbot::Engine;
use drillbot::bank::Bank;
use drillbot::grading::Grader;
use drillbot::grading::eval::EvalSet;
use drillbot::message::{ChatRef, Incoming, Platform, ReplyKind, UserRef};
use drillbot::settings::{ChatDefaults, Limits};
use drillbot::store::{ChatSettings, NewAnswer, SaveOutcome, Store};
use rusqlite::params;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn incoming(chat: &ChatRef, user: &str, text: &str, admin: bool) -> Incoming {
    Incoming {
        chat: chat.clone(),
        user: UserRef {
            platform: Platform::Telegram,
            id: format!("id-{user}"),
        },
        display_name: user.to_string(),
        text: text.to_string(),
        is_admin: admin,
        is_private: false,
    }
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let members = env("BENCH_MEMBERS", 1000).max(1);
    let rounds = env("BENCH_ROUNDS", 4).max(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = EvalSet::load_dir(&root.join("content/eval")).expect("the evaluation set loads");
    let dir = tempfile::tempdir().unwrap();
    let defaults = ChatDefaults::default();
    let tz = defaults.timezone;
    let limits = Limits::default();
    let engine = Engine::new(
        Bank::bundled().expect("the bundled bank loads"),
        Store::open(&dir.path().join("bench.db")).unwrap(),
        defaults.clone(),
        limits.clone(),
    );
    let store = engine.store();
    let chat = ChatRef {
        platform: Platform::Telegram,
        id: "-100200".into(),
    };
    let admin = "admin";
    let names: Vec<String> = (0..members).map(|m| format!("member{m}")).collect();
    let mut now = tz
        .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    // The members are known to the bot already (any earlier command registers them).
    for name in &names {
        engine.handle(&incoming(&chat, name, "/help", false), now);
    }
    let user_ids: Vec<i64> = names
        .iter()
        .map(|n| {
            store
                .ensure_user(Platform::Telegram, &format!("id-{n}"), n)
                .unwrap()
                .id
        })
        .collect();
    // The raw inserts go to rounds of a second chat, so they never meet the engine's unique (round, member).
    let (raw_chat, _) = store
        .ensure_chat(
            Platform::Telegram,
            "-100300",
            false,
            &ChatSettings::from_defaults(&defaults, false),
            1,
            now,
        )
        .unwrap();

    let mut engine_times = Vec::with_capacity(members * rounds);
    let mut raw_times = Vec::with_capacity(members * rounds);
    let mut graded = Vec::new();
    let mut date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    for round_no in 0..rounds {
        // Today's question, skipped until it is a free-text one with evaluation answers.
        engine.handle(&incoming(&chat, admin, "/today", true), now);
        let chat_id = engine.chat_row(&chat).unwrap().unwrap().id;
        let (round, question, texts) = (0..100)
            .find_map(|_| {
                let round = store.open_round(chat_id).unwrap().unwrap();
                let q = engine.bank().get(&round.question_id).unwrap().clone();
                let entry = set.entries.iter().find(|e| e.id == q.id);
                match entry {
                    Some(e) if !q.is_choice() => {
                        let texts: Vec<String> = e.answers.values().cloned().collect();
                        Some((round, q, texts))
                    }
                    _ => {
                        engine.handle(&incoming(&chat, admin, "/skip", true), now);
                        None
                    }
                }
            })
            .expect("a free-text question with evaluation answers within 100 skips");
        let raw_round: i64 = store.with_connection(|c| {
            c.query_row(
                "INSERT INTO rounds (chat_id, local_date, number, question_id, posted_at, reveal_at)
                 VALUES (?1, ?2, ?3, ?4, 0, 0) RETURNING id",
                params![raw_chat.id, date.to_string(), round_no as i64 + 1, question.id],
                |r| r.get(0),
            )
            .unwrap()
        });
        for (m, name) in names.iter().enumerate() {
            let text = &texts[m % texts.len()];
            let msg = incoming(&chat, name, &format!("/answer {text}"), false);
            let started = Instant::now();
            let replies = engine.handle(&msg, now);
            engine_times.push(started.elapsed());
            assert_eq!(
                replies.first().map(|r| &r.kind),
                Some(&ReplyKind::Confirmation),
                "{replies:?}"
            );

            let started = Instant::now();
            store.with_connection(|c| {
                c.prepare_cached(
                    "INSERT INTO answers (round_id, user_id, chat_id, local_date, body, score, covered, verdict, submitted_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 50, '[0,1]', 'graded', ?6)",
                )
                .unwrap()
                .execute(params![raw_round, user_ids[m], raw_chat.id, date.to_string(), text, now.timestamp()])
                .unwrap()
            });
            raw_times.push(started.elapsed());
        }
        graded.push((round, question, texts));
        // The reveal settles the round (untimed); the next round is the next day.
        engine.handle(&incoming(&chat, admin, "/reveal", true), now);
        now += chrono::Duration::days(1);
        date = date.succ_opt().unwrap();
    }

    let total = |t: &[Duration]| t.iter().sum::<Duration>();
    let engine_rate = engine_times.len() as f64 / total(&engine_times).as_secs_f64();
    let raw_rate = raw_times.len() as f64 / total(&raw_times).as_secs_f64();
    engine_times.sort();
    raw_times.sort();
    println!(
        "{} answers ({members} members x {rounds} rounds) through Engine::handle, each followed by a raw insert",
        engine_times.len()
    );
    println!(
        "engine: mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs; raw: mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs",
        1e6 / engine_rate,
        micros(quantile(&engine_times, 0.5)),
        micros(quantile(&engine_times, 0.99)),
        1e6 / raw_rate,
        micros(quantile(&raw_times, 0.5)),
        micros(quantile(&raw_times, 0.99)),
    );
    println!(
        "answers: engine {engine_rate:.0}/s, raw {raw_rate:.0}/s, ratio {:.2}",
        engine_rate / raw_rate
    );

    // Where the engine's time goes: the same answers graded alone (a grader of its own, prepared first), and
    // saved alone through `Store::save_answer` on a round of their own; the rest is lookups and the reply.
    let grader = Grader::new(engine.bank());
    for (_, q, texts) in &graded {
        for t in texts {
            grader.grade(q, t, limits.min_answer_chars);
        }
    }
    let mut grade_total = Duration::ZERO;
    for (_, q, texts) in &graded {
        for m in 0..members {
            let text = &texts[m % texts.len()];
            let started = Instant::now();
            std::hint::black_box(grader.grade(q, text, limits.min_answer_chars));
            grade_total += started.elapsed();
        }
    }
    // The reads an answer makes before its transaction, as the engine makes them.
    let chat_id = engine.chat_row(&chat).unwrap().unwrap().id;
    let mut lookup_total = Duration::ZERO;
    for _ in 0..rounds {
        for name in &names {
            let started = Instant::now();
            std::hint::black_box(engine.chat_row(&chat).unwrap());
            std::hint::black_box(
                store
                    .ensure_user(Platform::Telegram, &format!("id-{name}"), name)
                    .unwrap(),
            );
            let round = store.open_round(chat_id).unwrap();
            if let Some(round) = round {
                std::hint::black_box(
                    store
                        .previous_round_date(chat_id, round.local_date)
                        .unwrap(),
                );
            }
            lookup_total += started.elapsed();
        }
    }
    let mut save_total = Duration::ZERO;
    let mut saves = 0;
    for _ in 0..rounds {
        engine.handle(&incoming(&chat, admin, "/today", true), now);
        let chat_id = engine.chat_row(&chat).unwrap().unwrap().id;
        let round = store.open_round(chat_id).unwrap().unwrap();
        let previous = store
            .previous_round_date(chat_id, round.local_date)
            .unwrap();
        for (m, &user_id) in user_ids.iter().enumerate() {
            let texts = &graded[0].2;
            let started = Instant::now();
            let outcome = store
                .save_answer(&NewAnswer {
                    round_id: round.id,
                    chat_id,
                    local_date: round.local_date,
                    user_id,
                    body: &texts[m % texts.len()],
                    score: 50,
                    covered: &[0, 1],
                    verdict: drillbot::grading::Verdict::Graded,
                    at: now,
                    previous_round_date: previous,
                    final_pick: false,
                })
                .unwrap();
            save_total += started.elapsed();
            saves += 1;
            assert_eq!(
                outcome,
                SaveOutcome::Saved {
                    replaced: false,
                    after_peek: false
                }
            );
        }
        engine.handle(&incoming(&chat, admin, "/reveal", true), now);
        now += chrono::Duration::days(1);
    }
    let n = engine_times.len() as f64;
    let grade_us = micros(grade_total) / n;
    let save_us = micros(save_total) / saves as f64;
    let lookup_us = micros(lookup_total) / n;
    let engine_us = 1e6 / engine_rate;
    let rest_us = engine_us - grade_us - save_us - lookup_us;
    let share = |us: f64| us * 100.0 / engine_us;
    println!(
        "engine answer {engine_us:.1} µs, its parts timed alone: grading {grade_us:.1} µs ({:.0}%), save_answer \
         transaction {save_us:.1} µs ({:.0}%), chat/member/round lookups {lookup_us:.1} µs ({:.0}%), the rest \
         (parse, reply, the parts' cache misses when run together) {rest_us:.1} µs ({:.0}%)",
        share(grade_us),
        share(save_us),
        share(lookup_us),
        share(rest_us),
    );
}
