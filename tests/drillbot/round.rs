//! The daily round as members live it: answering, sealing, replacing, peeking, revealing.

use drillbot::grading::Verdict;
use drillbot::message::{Audience, ReplyKind};
use drillbot::store::{NewAnswer, RoundRecord, SaveOutcome, Settled, Settlement};

use crate::harness::{TestBot, all_private_to, good_answer, partial_answer, public, shown};

/// A bot whose rounds draw only free-text questions.
/// A bot whose open round asks `alpha-handshake` (skipped to, since the first pick is random).
fn handshake_round() -> TestBot {
    let bot = TestBot::with(|d| d.topics = vec!["alpha".into()]);
    bot.say("alice", "/today");
    while bot.open_question().unwrap().id != "alpha-handshake" {
        bot.admin("/skip");
    }
    bot
}

fn free_text_bot(show_answers: bool) -> TestBot {
    TestBot::with(|d| {
        d.topics = vec!["beta".into()];
        d.show_answers = show_answers;
    })
}

#[test]
fn a_full_round_with_two_members_and_an_admin_reveal() {
    let bot = free_text_bot(false);
    let post = bot.say("alice", "/today");
    assert_eq!(post.len(), 1);
    assert_eq!(post[0].kind, ReplyKind::QuestionPost);
    assert_eq!(post[0].audience, Audience::Chat);
    let q = bot.open_question().expect("today's round is open");
    assert!(post[0].text.contains(&q.question));

    let a = bot.say("alice", &format!("/answer {}", good_answer(&q.id)));
    assert_eq!(a[0].kind, ReplyKind::Confirmation);
    assert!(all_private_to(&a, "alice"));
    let b = bot.say("bob", &format!("/answer {}", partial_answer(&q.id)));
    assert!(all_private_to(&b, "bob"));

    let reveal = bot.admin("/reveal");
    assert_eq!(reveal.len(), 1);
    assert_eq!(reveal[0].kind, ReplyKind::Reveal);
    assert_eq!(reveal[0].audience, Audience::Chat);
    let text = &reveal[0].text;
    assert!(text.contains(q.answer.trim()), "the model answer is shown");
    for p in &q.points {
        assert!(text.contains(&p.text), "key point {} is listed", p.text);
    }
    assert!(text.contains("alice：100 分"), "{text}");
    assert!(text.contains("bob"), "{text}");
    assert!(
        text.find("alice").unwrap() < text.find("bob：").unwrap(),
        "best first: {text}"
    );
    assert_eq!(reveal[0].buttons.len(), 4, "self-rating buttons");

    let (alice_score, alice_points, _) = bot.result_of("alice").unwrap();
    let (bob_score, _, _) = bot.result_of("bob").unwrap();
    assert_eq!(alice_score, 100);
    assert_eq!(alice_points, 10 * q.difficulty as i64);
    assert!(
        bob_score > 0 && bob_score < 100,
        "partial credit, got {bob_score}"
    );

    let rated = bot.say("bob", "/rate hard");
    assert_eq!(rated[0].kind, ReplyKind::Confirmation);
    assert_eq!(bot.count("ratings"), 1);
    let again = bot.say("bob", "/answer 太晚了，已经揭晓了还想再答一次");
    assert_eq!(
        again[0].kind,
        ReplyKind::Refusal,
        "no answers after the reveal"
    );
}

#[test]
fn answers_stay_sealed_until_the_reveal() {
    let bot = free_text_bot(true);
    bot.say("alice", "/today");
    let secret = "我的独特答案：三次握手 ZEBRA-42 同步序列号";
    bot.say("alice", &format!("/answer {secret}"));
    let mut seen = Vec::new();
    for text in [
        "/today",
        "/stats alice",
        "/leaderboard",
        "/reveal",
        "/answer 另一个答案，足够长的一句话",
        "/help",
    ] {
        seen.extend(bot.say("bob", text));
    }
    seen.extend(bot.admin("/settings"));
    for r in &seen {
        assert!(
            !shown(r).contains("ZEBRA-42"),
            "a reply leaked the sealed answer: {}",
            r.text
        );
    }
    let reveal = bot.admin("/reveal");
    assert!(
        shown(&reveal[0]).contains("ZEBRA-42"),
        "answers are shown at the reveal when enabled"
    );
}

#[test]
fn a_second_answer_before_the_reveal_replaces_the_first() {
    let bot = free_text_bot(false);
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    bot.say("alice", &format!("/answer {}", partial_answer(&q.id)));
    let second = bot.say("alice", &format!("/answer {}", good_answer(&q.id)));
    assert!(second[0].text.contains("覆盖"), "{}", second[0].text);
    assert_eq!(bot.count("answers"), 1);
    bot.admin("/reveal");
    assert_eq!(bot.result_of("alice").unwrap().0, 100);
}

#[test]
fn an_early_personal_reveal_makes_later_answers_score_nothing() {
    let bot = free_text_bot(false);
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    let peek = bot.say("alice", "/reveal");
    assert_eq!(peek[0].kind, ReplyKind::PersonalReveal);
    assert!(all_private_to(&peek, "alice"));
    assert!(peek[0].text.contains(q.answer.trim()));
    assert_eq!(
        bot.open_question().map(|q| q.id),
        Some(q.id.clone()),
        "the round stays open for others"
    );

    bot.say("alice", &format!("/answer {}", good_answer(&q.id)));
    bot.say("bob", &format!("/answer {}", partial_answer(&q.id)));
    bot.admin("/reveal");
    let (score, points, verdict) = bot.result_of("alice").unwrap();
    assert_eq!((score, points, verdict.as_str()), (0, 0, "after_peek"));
    assert!(
        bot.result_of("bob").unwrap().0 > 0,
        "bob did not look and scores"
    );
}

#[test]
fn copy_paste_answers_get_no_credit() {
    let bot = free_text_bot(false);
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    bot.say("alice", &format!("/answer {}", good_answer(&q.id)));
    // bob pastes alice's answer with different punctuation and width; carol pastes the model answer.
    let pasted = good_answer(&q.id).replace('，', ", ").replace('。', ".");
    bot.say("bob", &format!("/answer {pasted}"));
    bot.say(
        "carol",
        &format!("/answer {}", q.answer.trim().replace('\n', " ")),
    );
    bot.admin("/reveal");
    assert_eq!(
        bot.result_of("alice").unwrap().0,
        100,
        "the first author keeps the credit"
    );
    assert_eq!(
        bot.result_of("bob").unwrap(),
        (0, 0, "copied_member".into())
    );
    assert_eq!(
        bot.result_of("carol").unwrap(),
        (0, 0, "copied_model".into())
    );
}

#[test]
fn oversized_and_empty_answers_are_refused_and_nothing_is_stored() {
    let bot = TestBot::new();
    bot.say("alice", "/today");
    let huge = "很长".repeat(2001);
    let r = bot.say("alice", &format!("/answer {huge}"));
    assert_eq!(r[0].kind, ReplyKind::Refusal);
    assert!(r[0].text.contains("4000"), "{}", r[0].text);
    let r = bot.say("alice", "/answer   ");
    assert_eq!(r[0].kind, ReplyKind::Refusal);
    assert!(
        r[0].text.contains("/answer"),
        "shows the right form: {}",
        r[0].text
    );
    assert_eq!(bot.count("answers"), 0);
    assert_eq!(bot.count("streaks"), 0);
}

#[test]
fn members_cannot_reveal_for_the_chat_skip_or_change_settings() {
    let bot = TestBot::new();
    bot.say("alice", "/today");
    for cmd in ["/settings tz Europe/Berlin", "/skip"] {
        let r = bot.say("alice", cmd);
        assert_eq!(r[0].kind, ReplyKind::Refusal, "{cmd}");
        assert!(all_private_to(&r, "alice"));
    }
    let r = bot.say("alice", "/reveal");
    assert_eq!(
        r[0].kind,
        ReplyKind::PersonalReveal,
        "a member's /reveal is personal"
    );
    assert!(bot.open_question().is_some(), "the round is still open");
    assert!(public(&bot.admin("/settings tz Europe/Berlin")).len() == 1);
}

#[test]
fn malformed_and_unknown_commands_get_a_helpful_reply() {
    let bot = TestBot::new();
    let r = bot.admin("/settings tz Mars/Base");
    assert!(
        shown(&r[0]).contains("Mars/Base") && r[0].text.contains("Asia/Shanghai"),
        "{}",
        r[0].text
    );
    let r = bot.admin("/settings post 25:00");
    assert!(r[0].text.contains("HH:MM"), "{}", r[0].text);
    let r = bot.say("alice", "/rate maybe");
    assert!(r[0].text.contains("again"), "{}", r[0].text);
    let r = bot.say("alice", "/frobnicate");
    assert!(r[0].text.contains("/help"), "{}", r[0].text);
    let r = bot.admin("/settings topics gamma");
    assert!(
        r[0].text.contains("alpha") && r[0].text.contains("gamma"),
        "{}",
        r[0].text
    );
    assert!(
        bot.say("alice", "just chatting").is_empty(),
        "plain chat is ignored"
    );
}

#[test]
fn a_multiple_choice_question_is_graded_from_the_letters() {
    let bot = TestBot::with(|d| d.topics = vec!["alpha".into()]);
    bot.admin("/settings difficulty 1");
    // Skip until the choice question comes up (the filter leaves two questions).
    bot.say("alice", "/today");
    if !bot.open_question().unwrap().is_choice() {
        bot.admin("/skip");
    }
    let q = bot.open_question().unwrap();
    assert!(q.is_choice());
    let bad = bot.say("alice", "/answer 我觉得是应用层");
    assert_eq!(bad[0].kind, ReplyKind::Refusal);
    bot.say("alice", "/answer b");
    bot.say("bob", "/answer A");
    // A choice is final: a second pick is refused and the first one stands.
    let again = bot.say("alice", "/answer A");
    assert_eq!(again[0].kind, ReplyKind::Refusal);
    assert!(again[0].text.contains('b'), "{}", again[0].text);
    let reveal = bot.admin("/reveal");
    assert!(reveal[0].text.contains('B'));
    assert_eq!(
        bot.result_of("alice").unwrap(),
        (100, 10, "choice_right".into())
    );
    assert_eq!(bot.result_of("bob").unwrap(), (0, 0, "choice_wrong".into()));
}

#[test]
fn skip_replaces_todays_question_and_keeps_one_live_round() {
    let bot = TestBot::new();
    bot.say("alice", "/today");
    let first = bot.open_question().unwrap().id;
    let r = bot.admin("/skip");
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].kind, ReplyKind::QuestionPost);
    let second = bot.open_question().unwrap().id;
    assert_ne!(first, second);
    assert_eq!(bot.question_on("2026-11-23"), Some(second));
}

#[test]
fn the_interface_speaks_english_when_the_chat_chooses_it() {
    let bot = free_text_bot(false);
    let r = bot.admin("/settings lang en");
    assert!(r[0].text.starts_with("Settings updated"), "{}", r[0].text);
    let r = bot.say("alice", "/today");
    assert!(r[0].text.contains("Question of the day"), "{}", r[0].text);
    let r = bot.say(
        "alice",
        "/answer a long enough answer about yield and iterators",
    );
    assert!(r[0].text.contains("recorded"), "{}", r[0].text);
}

#[test]
fn channel_settings_are_refused_where_a_chat_has_no_channels() {
    let bot = TestBot::new();
    for text in ["/settings channel 123", "/settings threads on"] {
        let replies = bot.admin(text);
        assert_eq!(replies[0].kind, ReplyKind::Refusal, "{text}");
        assert!(replies[0].text.contains("Discord"), "{}", replies[0].text);
    }
    let row = bot.chat();
    assert_eq!(row.settings.channel, None);
    assert!(!row.settings.threads);
}

#[test]
fn simultaneous_picks_of_a_multiple_choice_question_count_once() {
    let bot = TestBot::with(|d| d.topics = vec!["alpha".into()]);
    bot.admin("/settings difficulty 1");
    bot.say("alice", "/today");
    if !bot.open_question().unwrap().is_choice() {
        bot.admin("/skip");
    }
    assert!(bot.open_question().unwrap().is_choice());
    // Eight clicks at once (A, B, C, D twice): exactly one is recorded, the others are refused.
    let handles: Vec<_> = "ABCDABCD"
        .chars()
        .map(|c| {
            let engine = bot.engine.clone();
            let msg = bot.incoming("alice", &format!("/answer {c}"), false);
            let now = bot.now;
            std::thread::spawn(move || engine.handle(&msg, now))
        })
        .collect();
    let kinds: Vec<ReplyKind> = handles
        .into_iter()
        .map(|h| h.join().unwrap()[0].kind)
        .collect();
    let recorded = kinds
        .iter()
        .filter(|k| **k == ReplyKind::Confirmation)
        .count();
    assert_eq!(recorded, 1, "{kinds:?}");
    assert_eq!(bot.count("answers"), 1);
}

#[test]
fn the_reveal_says_which_myth_an_answer_stated_and_a_negated_answer_scores_nothing() {
    let bot = handshake_round();
    bot.say(
        "alice",
        "/answer 客户端发 SYN，服务端回 SYN+ACK，客户端再回 ACK；双方的序列号都是从 0 开始的，\
         这样最简单，也能让网络里滞留的历史连接请求不会被误当成新连接建立起来。",
    );
    bot.say(
        "bob",
        "/answer 其实根本不需要 SYN，也没有什么序列号要同步，更不用担心历史连接，\
         客户端直接把数据发过去，服务端收到就算连接建立了，所以握手只是一种说法而已。",
    );
    let reveal = bot.admin("/reveal");
    let text = &reveal[0].text;
    assert!(
        text.contains("⚠ 提到了「序列号 …… 从 0 开始」，但同步初始序列号"),
        "{text}"
    );
    // Points 1 and 3 earn 3 of 4; the myth takes twice its point's weight (1) off.
    let (alice, _, verdict) = bot.result_of("alice").unwrap();
    assert_eq!((alice, verdict.as_str()), (25, "graded"), "{text}");
    assert_eq!(bot.result_of("bob").unwrap().0, 0, "{text}");
    // Bob denied the sequence numbers outright: the reveal says so too.
    assert!(
        text.contains("⚠ 否认了「序列号」，但同步初始序列号"),
        "{text}"
    );
}

#[test]
fn the_reveal_says_when_too_little_explanation_held_a_score_down() {
    let bot = handshake_round();
    bot.say(
        "carol",
        "/answer 第三次握手后连接建立，要同步双方的序列号，也要防止历史连接。",
    );
    bot.say(
        "dave",
        "/answer 客户端先发 SYN，服务端回 SYN+ACK，客户端再回 ACK，第三次握手之后连接才算建立。\
         这样双方都确认了对方的初始序列号，后面每个字节都按它编号确认；\
         而且网络里滞留的历史连接请求到了，客户端会发现序列号不对并拒绝，不会误建连接。",
    );
    let reveal = bot.admin("/reveal");
    let text = &reveal[0].text;
    let (carol, _, verdict) = bot.result_of("carol").unwrap();
    assert_eq!(verdict, "graded", "{text}");
    assert!((1..100).contains(&carol), "{text}");
    assert!(
        text.contains(&format!("carol：{carol} 分"))
            && text.contains(&format!("（解释偏少，要点说全了也最多 {carol} 分）")),
        "{text}"
    );
    assert_eq!(bot.result_of("dave").unwrap().0, 100, "{text}");
    assert_eq!(text.matches("解释偏少").count(), 1, "{text}");
}

#[test]
fn an_answer_to_another_question_earns_nothing_and_the_reveal_says_why() {
    let bot = handshake_round();
    // A sound TIME_WAIT answer that happens to name the handshake question's "旧连接".
    bot.say(
        "alice",
        "/answer 主动关闭的一方发出最后一个 ACK 后进入 TIME_WAIT，要等 2MSL 才关闭：最后的 ACK 丢了，\
         对方会重发 FIN，自己还能再回 ACK；等待也让旧连接迟到的报文在网络里过期，不会混进同一个端口上的新连接。",
    );
    bot.say(
        "bob",
        &format!("/answer {}", good_answer("alpha-handshake")),
    );
    let reveal = bot.admin("/reveal");
    let text = &reveal[0].text;
    assert_eq!(
        bot.result_of("alice").unwrap(),
        (0, 0, "off_topic".into()),
        "{text}"
    );
    assert!(text.contains("更像是在回答另一道题，不计分"), "{text}");
    assert_eq!(bot.result_of("bob").unwrap().2, "graded", "{text}");
    assert!(bot.result_of("bob").unwrap().0 > 0, "{text}");
}

#[test]
fn copy_detection_follows_the_first_submission_not_the_last_edit() {
    let mut bot = free_text_bot(false);
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    bot.say("alice", &format!("/answer {}", good_answer(&q.id)));
    bot.set_clock("2026-11-23T08:10");
    bot.say("bob", &format!("/answer {}", good_answer(&q.id)));
    bot.set_clock("2026-11-23T08:20");
    // alice fixes a typo after bob copied her: she is still the first author.
    bot.say("alice", &format!("/answer {}。", good_answer(&q.id)));
    bot.admin("/reveal");
    assert_eq!(bot.result_of("alice").unwrap().0, 100);
    assert_eq!(
        bot.result_of("bob").unwrap(),
        (0, 0, "copied_member".into())
    );
}

/// What the reveal settles for each answer when a test drives `settle_round` itself: the stored score.
fn settle_as_stored(record: &RoundRecord) -> Settlement {
    Settlement {
        results: record
            .answers
            .iter()
            .map(|a| Settled {
                answer_id: a.id,
                user_id: a.user_id,
                verdict: a.verdict,
                score: a.score,
                points: a.score as i64,
            })
            .collect(),
        announce: None,
    }
}

#[test]
fn an_answer_sent_while_the_reveal_settles_is_refused_never_acknowledged_and_lost() {
    let bot = free_text_bot(false);
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    bot.say("alice", &format!("/answer {}", good_answer(&q.id)));
    let round = bot
        .engine
        .store()
        .open_round(bot.chat().id)
        .unwrap()
        .unwrap();
    // Another process takes bob's answer and alice's replacement while this one reads and grades the round.
    let other = bot.second_engine();
    let late = [
        bot.incoming("bob", &format!("/answer {}", partial_answer(&q.id)), false),
        bot.incoming(
            "alice",
            "/answer 我改主意了，这是一个新的答案，内容和原来的完全不一样。",
            false,
        ),
    ];
    let now = bot.now;
    let (read, late_replies) = bot
        .engine
        .store()
        .settle_round(round.id, now, |record| {
            let handle = std::thread::spawn(move || {
                late.iter()
                    .map(|m| other.handle(m, now))
                    .collect::<Vec<_>>()
            });
            std::thread::sleep(std::time::Duration::from_millis(300));
            let read: Vec<String> = record.answers.iter().map(|a| a.body.clone()).collect();
            (settle_as_stored(record), (read, handle))
        })
        .unwrap()
        .expect("the round was open");
    assert_eq!(read, vec![good_answer(&q.id).to_string()]);
    for reply in late_replies.join().unwrap() {
        assert_eq!(reply[0].kind, ReplyKind::Refusal, "{}", reply[0].text);
    }
    // What was settled is what is stored: alice's first answer, credited; nothing unsettled.
    let stored: Vec<(String, i64)> = bot.engine.store().with_connection(|c| {
        let mut stmt = c.prepare("SELECT body, counted FROM answers").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    });
    assert_eq!(stored, vec![(good_answer(&q.id).to_string(), 1)]);
}

#[test]
fn an_answer_saved_after_a_look_at_the_model_answer_scores_nothing_whatever_the_caller_graded() {
    let bot = free_text_bot(false);
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    let store = bot.engine.store();
    let chat = bot.chat();
    let round = store.open_round(chat.id).unwrap().unwrap();
    let alice = store
        .ensure_user(drillbot::message::Platform::Telegram, "id-alice", "alice")
        .unwrap();
    // The look lands between the engine's grading and its save (another process, or a button pressed twice).
    store.record_peek(round.id, alice.id, bot.now).unwrap();
    let body = good_answer(&q.id);
    let outcome = store
        .save_answer(&NewAnswer {
            round_id: round.id,
            chat_id: chat.id,
            local_date: round.local_date,
            user_id: alice.id,
            body,
            score: 100,
            covered: &[0, 1],
            verdict: Verdict::Graded,
            at: bot.now,
            previous_round_date: None,
            final_pick: false,
        })
        .unwrap();
    assert_eq!(
        outcome,
        SaveOutcome::Saved {
            replaced: false,
            after_peek: true
        }
    );
    let stored = store.answer_of(round.id, alice.id).unwrap().unwrap();
    assert_eq!((stored.score, stored.verdict), (0, Verdict::AfterPeek));
}

#[test]
fn two_admins_changing_different_settings_at_once_both_keep_their_change() {
    let bot = free_text_bot(false);
    bot.say("alice", "/today");
    let chat = bot.chat();
    let other = bot.second_engine();
    let english = bot.incoming("admin", "/settings language en", true);
    let now = bot.now;
    let mut handle = None;
    let written = bot
        .engine
        .store()
        .change_settings::<drillbot::store::StoreError>(chat.id, now, |s| {
            // The other admin's command arrives while this change is being made.
            handle = Some(std::thread::spawn(move || other.handle(&english, now)));
            std::thread::sleep(std::time::Duration::from_millis(300));
            s.post_time = chrono::NaiveTime::from_hms_opt(7, 30, 0).unwrap();
            Ok(())
        })
        .unwrap();
    assert_eq!(written.post_time.format("%H:%M").to_string(), "07:30");
    let reply = handle.unwrap().join().unwrap();
    assert_eq!(reply[0].kind, ReplyKind::Confirmation, "{}", reply[0].text);
    // The other change waited for this one and was applied on top of it.
    let s = bot.chat().settings;
    assert_eq!(s.language, drillbot::i18n::Lang::En);
    assert_eq!(s.post_time.format("%H:%M").to_string(), "07:30");
}

#[test]
fn admin_rights_change_only_what_the_engine_says_they_change() {
    // Telegram asks the platform who is an admin only when `admin_matters` holds: every other command must
    // answer an admin and a member alike, or an admin command would go unchecked there.
    let bot = free_text_bot(false);
    bot.say("alice", "/today");
    let q = bot.open_question().unwrap();
    bot.say("bob", &format!("/answer {}", good_answer(&q.id)));
    let commands = [
        "/today",
        "/answer 一个足够长的答案，讲清楚了原理。",
        "/leaderboard",
        "/leaderboard month",
        "/stats",
        "/stats bob",
        "/topics",
        "/rate good",
        "/settings",
        "/reveal me",
        "/help",
        "/start",
        "/frobnicate",
        "/settings post 25:00",
        "/skip",
        "/reveal",
        "/settings lang en",
    ];
    let dir = tempfile::tempdir().unwrap();
    // Each command runs twice from the same state: on two copies of the database.
    let copy = |name: &str| {
        let path = dir.path().join(name);
        let _ = std::fs::remove_file(&path);
        bot.engine.store().backup(&path).unwrap();
        drillbot::Engine::new(
            crate::harness::fixture_bank(),
            drillbot::store::Store::open(&path).unwrap(),
            drillbot::settings::ChatDefaults::default(),
            drillbot::settings::Limits::default(),
        )
    };
    for text in commands {
        let as_member = copy("member.db").handle(&bot.incoming("carol", text, false), bot.now);
        let as_admin = copy("admin.db").handle(&bot.incoming("carol", text, true), bot.now);
        let same = as_member.len() == as_admin.len()
            && as_member
                .iter()
                .zip(&as_admin)
                .all(|(m, a)| m.kind == a.kind && m.text == a.text);
        assert!(
            same || drillbot::engine::admin_matters(text),
            "{text}: rights changed the answer, but admin_matters says they do not"
        );
        if !same {
            continue;
        }
        // Where they matter, they really do (the rule is not wider than needed), except /help's list and
        // a malformed setting, which answer both alike.
        if drillbot::engine::admin_matters(text)
            && !["/help", "/settings post 25:00"].contains(&text)
        {
            panic!("{text}: admin_matters holds, but an admin and a member got the same answer");
        }
    }
}

#[test]
fn a_question_with_several_right_choices_is_answered_in_letters_not_single_pick_buttons() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gamma.toml"),
        "topic = \"gamma\"\nname = \"类型\"\nname_en = \"Types\"\n\n[[questions]]\nid = \"gamma-immutable\"\n\
         difficulty = 1\ntags = [\"types\"]\nquestion = \"下面哪些是 Python 的不可变类型？\"\n\
         choices = [\"tuple\", \"list\", \"str\", \"dict\"]\ncorrect = [\"A\", \"C\"]\n\
         answer = \"tuple 和 str 不可变，list 和 dict 可变。\"\n",
    )
    .unwrap();
    let bank = drillbot::bank::Bank::load_dir(dir.path()).unwrap();
    let bot = TestBot::with_bank(bank, |_| {});
    let post = bot.say("alice", "/today");
    let post = post
        .iter()
        .find(|r| r.kind == ReplyKind::QuestionPost)
        .expect("the question is posted");
    assert!(post.text.contains("/answer AC"), "{}", post.text);
    let commands: Vec<&str> = post.buttons.iter().map(|b| b.command.as_str()).collect();
    assert_eq!(commands, vec!["/answer", "/reveal me"]);
    bot.say("alice", "/answer A C");
    bot.say("bob", "/answer A");
    bot.admin("/reveal");
    assert_eq!(bot.result_of("alice").unwrap().0, 100);
    assert_eq!(bot.result_of("bob").unwrap().0, 0);
}
