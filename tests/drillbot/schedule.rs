//! The schedule as time passes: posts and reveals, exactly once per local date, catch-up, no repeats.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use drillbot::Engine;
use drillbot::message::ReplyKind;
use drillbot::settings::{ChatDefaults, Limits};
use drillbot::store::Store;

use crate::harness::{TestBot, fixture_bank};

fn kinds(out: &[drillbot::message::Outgoing]) -> Vec<ReplyKind> {
    out.iter().map(|o| o.reply.kind).collect()
}

#[test]
fn schedule_posts_and_reveals_as_the_clock_moves() {
    let mut bot = TestBot::new();
    bot.start_schedule();
    assert!(bot.advance_to("2026-11-23T08:59").is_empty());
    let out = bot.advance_to("2026-11-23T09:00");
    assert_eq!(kinds(&out), vec![ReplyKind::QuestionPost]);
    assert_eq!(out[0].chat, bot.chat);
    assert!(bot.advance_to("2026-11-23T20:59").is_empty());
    let out = bot.advance_to("2026-11-23T21:00");
    assert_eq!(kinds(&out), vec![ReplyKind::Reveal]);
    let out = bot.advance_to("2026-11-24T21:30");
    assert_eq!(
        kinds(&out),
        vec![ReplyKind::QuestionPost, ReplyKind::Reveal]
    );
}

#[test]
fn schedule_waits_for_an_admin_to_start_it() {
    let mut bot = TestBot::new();
    bot.say("alice", "/help");
    assert!(
        bot.advance_to("2026-11-25T12:00").is_empty(),
        "nothing is posted before /settings on"
    );
    bot.start_schedule();
    assert!(
        bot.advance_to("2026-11-25T20:00").is_empty(),
        "turned on after 09:00: today's post is not made up"
    );
    assert_eq!(
        kinds(&bot.advance_to("2026-11-26T09:00")),
        vec![ReplyKind::QuestionPost]
    );
    bot.admin("/settings off");
    assert_eq!(
        kinds(&bot.advance_to("2026-11-27T10:00")),
        vec![ReplyKind::Reveal],
        "paused: the open round still reveals, no new post"
    );
}

#[test]
fn schedule_makes_no_second_round_on_a_local_date_even_after_a_restart() {
    let mut bot = TestBot::new();
    bot.start_schedule();
    bot.say("alice", "/today");
    assert!(
        bot.advance_to("2026-11-23T12:00").is_empty(),
        "/today already made today's round"
    );
    // A second engine on the same file (a restart) decides the same.
    let restarted = Engine::new(
        fixture_bank(),
        Store::open(&bot.db_path).unwrap(),
        ChatDefaults::default(),
        Limits::default(),
    );
    assert!(
        restarted
            .tick(bot.now)
            .iter()
            .all(|o| o.reply.kind != ReplyKind::QuestionPost)
    );
    assert_eq!(bot.count("rounds"), 1);
}

#[test]
fn schedule_two_ticks_racing_post_once() {
    let mut bot = TestBot::new();
    bot.start_schedule();
    bot.set_clock("2026-11-23T09:00");
    let now = bot.now;
    let engines: Vec<Arc<Engine>> = (0..4)
        .map(|_| {
            Arc::new(Engine::new(
                fixture_bank(),
                Store::open(&bot.db_path).unwrap(),
                ChatDefaults::default(),
                Limits::default(),
            ))
        })
        .collect();
    let barrier = Arc::new(Barrier::new(engines.len()));
    let handles: Vec<_> = engines
        .iter()
        .map(|e| {
            let (e, barrier) = (Arc::clone(e), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                e.tick(now)
            })
        })
        .collect();
    let posts: usize = handles
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap()
                .iter()
                .filter(|o| o.reply.kind == ReplyKind::QuestionPost)
                .count()
        })
        .sum();
    assert_eq!(posts, 1);
    assert_eq!(bot.count("rounds"), 1);
}

#[test]
fn schedule_picks_a_new_question_each_day_and_repeats_only_after_the_bank_is_exhausted() {
    let mut bot = TestBot::new();
    bot.start_schedule();
    let total = fixture_bank().questions().len();
    let mut seen = Vec::new();
    for day in 0..total + 2 {
        // The schedule starts at 08:00 on the 23rd, so that day has a round too.
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
            + chrono::Duration::days(day as i64);
        bot.advance_to(&format!("{date}T10:00"));
        seen.push(
            bot.question_on(&date.to_string())
                .expect("a round every day"),
        );
    }
    let first_cycle: HashSet<_> = seen[..total].iter().collect();
    assert_eq!(
        first_cycle.len(),
        total,
        "no repeat within the first {total} days: {seen:?}"
    );
    assert_ne!(
        seen[total],
        seen[total - 1],
        "the second cycle does not start with yesterday's question"
    );
}

#[test]
fn schedule_catches_up_a_missed_post_once_and_skips_a_missed_day() {
    let mut bot = TestBot::new();
    bot.start_schedule();
    // Down from before 09:00 until 15:00: the post is made up once, the reveal keeps its time.
    bot.set_clock("2026-11-24T15:00");
    let out = bot.engine.tick(bot.now);
    assert_eq!(kinds(&out), vec![ReplyKind::QuestionPost]);
    assert!(bot.engine.tick(bot.now).is_empty(), "made up once");
    // Down again until 22:00 two days later: the 25th is skipped, the 26th is posted and revealed at once,
    // and the 24th's overdue reveal happens too.
    bot.set_clock("2026-11-26T22:00");
    let out = bot.engine.tick(bot.now);
    assert_eq!(
        kinds(&out),
        vec![
            ReplyKind::QuestionPost,
            ReplyKind::Reveal,
            ReplyKind::Reveal
        ]
    );
    assert!(bot.question_on("2026-11-25").is_none());
    assert!(bot.question_on("2026-11-26").is_some());
}

#[test]
fn schedule_posts_once_on_dst_change_days() {
    let mut bot = TestBot::with(|d| {
        d.timezone = chrono_tz::America::New_York;
        d.post_time = chrono::NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        d.reveal_time = chrono::NaiveTime::from_hms_opt(1, 30, 0).unwrap();
    });
    bot.set_clock("2026-03-06T12:00");
    bot.start_schedule();
    // Spring forward on 2026-03-08 (02:30 does not exist) and fall back on 2026-11-01 (01:30 happens twice).
    let out = bot.advance_to("2026-03-10T12:00");
    let posts = out
        .iter()
        .filter(|o| o.reply.kind == ReplyKind::QuestionPost)
        .count();
    assert_eq!(posts, 4, "07, 08, 09, 10 March");
    assert!(bot.question_on("2026-03-08").is_some());
    bot.set_clock("2026-10-30T12:00");
    bot.engine.tick(bot.now);
    let out = bot.advance_to("2026-11-02T12:00");
    let posts = out
        .iter()
        .filter(|o| o.reply.kind == ReplyKind::QuestionPost)
        .count();
    let reveals = out
        .iter()
        .filter(|o| o.reply.kind == ReplyKind::Reveal)
        .count();
    assert_eq!(posts, 3, "31 Oct, 1 and 2 Nov");
    assert_eq!(
        reveals, 3,
        "the rounds of 30 Oct, 31 Oct and 1 Nov (2 Nov reveals on the 3rd)"
    );
}

#[test]
fn schedule_skips_days_off_and_a_weekend_does_not_break_a_streak() {
    let mut bot = TestBot::with(|d| d.topics = vec!["beta".into()]);
    bot.start_schedule();
    let r = bot.admin("/settings days mon-fri");
    assert!(r[0].text.contains("mon,tue,wed,thu,fri"), "{}", r[0].text);
    let r = bot.admin("/settings days someday");
    assert_eq!(r[0].kind, ReplyKind::Refusal);
    // Friday 27 November, then the weekend, then Monday 30 November.
    bot.advance_to("2026-11-27T10:00");
    let q = bot.open_question().unwrap();
    bot.say(
        "alice",
        &format!("/answer {}", crate::harness::good_answer(&q.id)),
    );
    let out = bot.advance_to("2026-11-29T23:00");
    assert!(
        out.iter().all(|o| o.reply.kind != ReplyKind::QuestionPost),
        "no posts on Saturday and Sunday"
    );
    assert!(bot.question_on("2026-11-28").is_none() && bot.question_on("2026-11-29").is_none());
    bot.advance_to("2026-11-30T10:00");
    let q = bot.open_question().unwrap();
    bot.say(
        "alice",
        &format!("/answer {}", crate::harness::partial_answer(&q.id)),
    );
    let stats = bot.say("alice", "/stats").remove(0).text;
    assert!(
        stats.contains("连续打卡：2 轮"),
        "Friday and Monday are consecutive rounds: {stats}"
    );
}
