//! Points, streaks and leaderboards.

use chrono::{Duration, NaiveDate, NaiveTime};

use crate::harness::{TestBot, good_answer, partial_answer};

/// Answers the open question as `user`, in words of their own (identical answers would count as copies).
fn answer_today(bot: &TestBot, user: &str, good: bool) {
    let q = bot.open_question().expect("an open round");
    let base = if good {
        good_answer(&q.id)
    } else {
        partial_answer(&q.id)
    };
    let text = if q.is_choice() {
        base.to_string()
    } else {
        format!("{base}（{}）", own_words(user))
    };
    let r = bot.say(user, &format!("/answer {text}"));
    assert_eq!(
        r[0].kind,
        drillbot::message::ReplyKind::Confirmation,
        "{}",
        r[0].text
    );
}

/// A sentence only this user writes: 160 characters drawn from a pool by a walk seeded with the name, long
/// enough that members sharing the fixture's answer are not copies of each other (the copy check looks both
/// ways: 60% of an earlier answer inside a later one is a copy).
fn own_words(user: &str) -> String {
    const POOL: &[char] = &[
        '春', '夏', '秋', '冬', '山', '水', '风', '云', '花', '月', '日', '星', '雨', '雪', '江',
        '河', '湖', '海', '松', '竹', '梅', '兰', '石', '林', '田', '野', '路', '桥', '城', '村',
        '门', '窗', '灯', '书', '笔', '纸',
    ];
    let mut x = user
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(131).wrapping_add(b as u64));
    (0..160)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            POOL[(x >> 33) as usize % POOL.len()]
        })
        .collect()
}

fn stats_line(bot: &TestBot, user: &str) -> String {
    bot.say(user, "/stats").remove(0).text
}

#[test]
fn streaks_count_local_days_in_a_non_utc_zone_across_a_dst_change() {
    // New York, post 00:30 and reveal 23:45 local: answers late in the local evening are already the next
    // day in UTC, and 1 November 2026 is the day clocks fall back.
    let mut bot = TestBot::with(|d| {
        d.timezone = chrono_tz::America::New_York;
        d.post_time = NaiveTime::from_hms_opt(0, 30, 0).unwrap();
        d.reveal_time = NaiveTime::from_hms_opt(23, 45, 0).unwrap();
    });
    bot.set_clock("2026-10-28T12:00");
    bot.start_schedule();
    let first = NaiveDate::from_ymd_opt(2026, 10, 29).unwrap();
    for i in 0..6 {
        let day = first + Duration::days(i);
        bot.advance_to(&format!("{day}T23:30"));
        answer_today(&bot, "alice", true);
    }
    let s = stats_line(&bot, "alice");
    assert!(s.contains("连续打卡：6 轮（最佳 6 轮）"), "{s}");
    // Miss 4 November: the streak is broken at the next reveal-free day, the best stays.
    bot.advance_to("2026-11-05T23:30");
    let s = stats_line(&bot, "alice");
    assert!(s.contains("连续打卡：0 轮（最佳 6 轮）"), "{s}");
    answer_today(&bot, "alice", true);
    let s = stats_line(&bot, "alice");
    assert!(s.contains("连续打卡：1 轮（最佳 6 轮）"), "{s}");
    for d in ["2026-10-31", "2026-11-01", "2026-11-02"] {
        assert!(bot.question_on(d).is_some(), "one round on {d}");
    }
    assert_eq!(bot.count("rounds"), 8, "29 Oct to 5 Nov");
}

#[test]
fn a_streak_survives_while_todays_round_is_still_open() {
    let mut bot = TestBot::new();
    bot.start_schedule();
    bot.advance_to("2026-11-24T10:00");
    answer_today(&bot, "alice", true);
    bot.advance_to("2026-11-25T10:00");
    answer_today(&bot, "alice", true);
    bot.advance_to("2026-11-26T10:00");
    let s = stats_line(&bot, "alice");
    assert!(
        s.contains("连续打卡：2 轮"),
        "not answered yet today, but still alive: {s}"
    );
}

#[test]
fn leaderboard_periods_and_the_callers_rank_outside_the_top_ten() {
    let mut bot = TestBot::new();
    bot.start_schedule();
    // Friday 27 November: "early" answers; Monday 30 November (new week): "monday" answers; Tuesday
    // 1 December (new month): eleven members answer well and zoe answers partly.
    bot.advance_to("2026-11-27T10:00");
    answer_today(&bot, "early", true);
    bot.advance_to("2026-11-30T10:00");
    answer_today(&bot, "monday", true);
    bot.advance_to("2026-12-01T10:00");
    for i in 1..=11 {
        answer_today(&bot, &format!("m{i:02}"), true);
    }
    answer_today(&bot, "zoe", false);
    bot.advance_to("2026-12-01T22:00");

    let board = |user: &str, period: &str| {
        bot.say(user, &format!("/leaderboard {period}"))
            .remove(0)
            .text
    };
    // Each member sees their own line when they have points in the period.
    assert!(
        !board("early", "week").contains("early"),
        "Friday is last week"
    );
    assert!(board("early", "all").contains("early"));
    assert!(
        board("monday", "week").contains("monday"),
        "Monday is this week"
    );
    assert!(
        !board("monday", "month").contains("monday"),
        "30 November is last month"
    );
    let month = board("zoe", "month");
    // Month: m01..m11 tie for first (rank 1), only ten shown, then zoe's own line with rank 12.
    let lines: Vec<&str> = month.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("1. m")).count(),
        10,
        "{month}"
    );
    assert!(lines.contains(&"…"), "{month}");
    assert!(
        month.lines().last().unwrap().starts_with("12. zoe"),
        "{month}"
    );
    assert!(month.lines().last().unwrap().contains("← 你"), "{month}");
    // Someone inside the top ten gets no extra line.
    let own = board("m01", "month");
    assert!(!own.contains('…'), "{own}");
}

#[test]
fn points_weight_the_score_by_difficulty() {
    let bot = TestBot::with(|d| d.topics = vec!["beta".into()]);
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    answer_today(&bot, "alice", true);
    bot.admin("/reveal");
    let (score, points, _) = bot.result_of("alice").unwrap();
    assert_eq!(score, 100);
    assert_eq!(points, 10 * q.difficulty as i64);
    let all = bot.say("alice", "/leaderboard all").remove(0).text;
    assert!(all.contains(&format!("alice —— {points} 积分")), "{all}");
}
