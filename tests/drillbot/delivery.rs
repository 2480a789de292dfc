//! The outbox and its delivery worker, on tokio's paused clock: exactly-once posts, 429s, backoff, pacing,
//! permanent errors and restarts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use drillbot::delivery::{Clock, Delivery, Pacing, SendError, Transport};
use drillbot::message::{Outgoing, Platform, Reply, ReplyKind};

use crate::harness::TestBot;

/// A platform that records what it accepted and answers from a script (then `Ok`). A message's text is sent
/// in parts separated by ` | `, one call each.
#[derive(Clone, Default)]
struct FakePlatform {
    accepted: Arc<Mutex<Vec<Outgoing>>>,
    parts: Arc<Mutex<Vec<String>>>,
    attempts: Arc<Mutex<usize>>,
    script: Arc<Mutex<VecDeque<Result<(), SendError>>>>,
}

impl FakePlatform {
    fn answering(script: Vec<Result<(), SendError>>) -> FakePlatform {
        let f = FakePlatform::default();
        *f.script.lock().unwrap() = script.into();
        f
    }
    fn accepted(&self) -> usize {
        self.accepted.lock().unwrap().len()
    }
    fn attempts(&self) -> usize {
        *self.attempts.lock().unwrap()
    }
    fn parts(&self) -> Vec<String> {
        self.parts.lock().unwrap().clone()
    }
}

impl Transport for FakePlatform {
    type Call = (usize, String);
    fn platform(&self) -> Platform {
        Platform::Telegram
    }
    async fn calls(&self, outgoing: &Outgoing) -> Result<Vec<(usize, String)>, SendError> {
        Ok(outgoing
            .reply
            .text
            .split(" | ")
            .map(str::to_string)
            .enumerate()
            .collect())
    }
    async fn send_call(
        &self,
        outgoing: &Outgoing,
        call: &(usize, String),
    ) -> Result<(), SendError> {
        *self.attempts.lock().unwrap() += 1;
        let answer = self.script.lock().unwrap().pop_front().unwrap_or(Ok(()));
        if answer.is_ok() {
            self.parts.lock().unwrap().push(call.1.clone());
            if call.0 + 1 == outgoing.reply.text.split(" | ").count() {
                self.accepted.lock().unwrap().push(outgoing.clone());
            }
        }
        answer
    }
}

/// A bot whose schedule is on and whose 09:00 post is queued.
fn bot_with_a_queued_post() -> TestBot {
    let mut bot = TestBot::new();
    bot.start_schedule();
    bot.set_clock("2026-11-23T09:00");
    let queued = bot.engine.tick(bot.now);
    assert_eq!(queued.len(), 1);
    assert_eq!(bot.engine.store().outbox_counts().unwrap().pending, 1);
    bot
}

fn worker(bot: &TestBot, platform: &FakePlatform, pacing: Pacing) -> Delivery<FakePlatform> {
    Delivery::new(
        Arc::clone(&bot.engine),
        platform.clone(),
        pacing,
        Clock::starting_at(bot.now),
    )
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn outbox_delivers_a_scheduled_post_exactly_once() {
    let bot = bot_with_a_queued_post();
    // Ticking again, even from a restarted engine, queues nothing more.
    assert!(bot.engine.tick(bot.now).is_empty());
    let platform = FakePlatform::default();
    let mut w = worker(&bot, &platform, Pacing::telegram());
    assert_eq!(w.pass().await.unwrap().sent, 1);
    assert_eq!(w.pass().await.unwrap().sent, 0);
    assert_eq!(platform.accepted(), 1);
    assert_eq!(
        platform.accepted.lock().unwrap()[0].reply.kind,
        ReplyKind::QuestionPost
    );
    let counts = bot.engine.store().outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.sending, counts.sent), (0, 0, 1));
}

#[tokio::test(start_paused = true)]
async fn outbox_honours_retry_after_from_a_429() {
    let bot = bot_with_a_queued_post();
    let platform = FakePlatform::answering(vec![Err(SendError::RateLimited {
        retry_after: Duration::from_secs(3),
        global: false,
    })]);
    let mut w = worker(&bot, &platform, Pacing::telegram());
    assert_eq!(w.pass().await.unwrap().rate_limited, 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(w.pass().await.unwrap().sent, 0, "not before retry_after");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(w.pass().await.unwrap().sent, 1);
    assert_eq!((platform.attempts(), platform.accepted()), (2, 1));
}

#[tokio::test(start_paused = true)]
async fn outbox_retries_transient_errors_with_backoff() {
    let bot = bot_with_a_queued_post();
    let platform = FakePlatform::answering(vec![
        Err(SendError::Transient("502 Bad Gateway".into())),
        Err(SendError::Transient("connection reset".into())),
    ]);
    let mut w = worker(&bot, &platform, Pacing::telegram());
    assert_eq!(w.pass().await.unwrap().retried, 1);
    assert_eq!(w.pass().await.unwrap().sent, 0, "backing off");
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(
        w.pass().await.unwrap().retried,
        1,
        "second attempt fails too"
    );
    tokio::time::advance(Duration::from_secs(4)).await;
    assert_eq!(w.pass().await.unwrap().sent, 1);
    assert_eq!((platform.attempts(), platform.accepted()), (3, 1));
}

#[tokio::test(start_paused = true)]
async fn outbox_permanent_errors_pause_the_chat_and_its_schedule() {
    let mut bot = bot_with_a_queued_post();
    let platform = FakePlatform::answering(vec![Err(SendError::Permanent(
        "Forbidden: bot was kicked".into(),
    ))]);
    let mut w = worker(&bot, &platform, Pacing::telegram());
    assert_eq!(w.pass().await.unwrap().failed, 1);
    let chat = bot.chat();
    assert!(!chat.settings.scheduled);
    assert_eq!(
        bot.engine
            .store()
            .paused_reason(chat.id)
            .unwrap()
            .as_deref(),
        Some("Forbidden: bot was kicked")
    );
    // The round's reveal is queued at 21:00 but not delivered to a paused chat, and no new day is posted.
    bot.advance_to("2026-11-25T12:00");
    tokio::time::advance(Duration::from_secs(3 * 86_400)).await;
    assert_eq!(w.pass().await.unwrap().sent, 0);
    assert_eq!(platform.attempts(), 1, "no retries after a permanent error");
    assert_eq!(bot.count("rounds"), 1);
    // An admin turning the schedule on again resumes delivery.
    bot.start_schedule();
    assert_eq!(
        w.pass().await.unwrap().sent,
        1,
        "the queued reveal goes out"
    );
}

#[tokio::test(start_paused = true)]
async fn outbox_a_send_cut_off_by_a_crash_is_sent_again_and_a_confirmed_one_never() {
    let bot = bot_with_a_queued_post();
    // A worker claims the post and dies before the platform confirms it.
    let claimed = bot
        .engine
        .store()
        .claim_due(Platform::Telegram, bot.now, 10)
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let platform = FakePlatform::default();
    let mut restarted = worker(&bot, &platform, Pacing::telegram());
    assert_eq!(restarted.pass().await.unwrap().sent, 1);
    // Another restart: the confirmed post is not sent again.
    let mut again = worker(&bot, &platform, Pacing::telegram());
    assert_eq!(again.pass().await.unwrap().sent, 0);
    assert_eq!(platform.accepted(), 1);
}

fn notice(bot: &TestBot, chat: &str, i: usize) -> Outgoing {
    let _ = bot;
    Outgoing {
        chat: drillbot::message::ChatRef {
            platform: Platform::Telegram,
            id: chat.into(),
        },
        reply: Reply::to_chat(ReplyKind::Info, format!("notice {i}")),
    }
}

#[tokio::test(start_paused = true)]
async fn outbox_paces_each_chat_and_the_whole_platform() {
    let bot = TestBot::new();
    let store = bot.engine.store();
    // One chat gets 25 messages (Telegram allows 20 a minute in a group).
    bot.say("alice", "/help");
    let chat = bot.chat();
    for i in 0..25 {
        store
            .enqueue(chat.id, "notice", &notice(&bot, &bot.chat.id, i), bot.now)
            .unwrap();
    }
    let platform = FakePlatform::default();
    let mut w = worker(&bot, &platform, Pacing::telegram());
    let first = w.pass().await.unwrap();
    assert_eq!((first.sent, first.deferred), (20, 5));
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(
        w.pass().await.unwrap().sent,
        0,
        "no more than 20 in any minute"
    );
    tokio::time::advance(Duration::from_secs(31)).await;
    assert_eq!(w.pass().await.unwrap().sent, 5);
    assert_eq!(platform.accepted(), 25);
    let texts: Vec<String> = platform
        .accepted
        .lock()
        .unwrap()
        .iter()
        .map(|o| o.reply.text.clone())
        .collect();
    assert_eq!(texts[0], "notice 0", "oldest first");
}

#[tokio::test(start_paused = true)]
async fn a_429_on_the_second_part_sends_only_the_parts_not_yet_accepted() {
    let bot = TestBot::new();
    bot.say("alice", "/help");
    let chat = bot.chat();
    let mut message = notice(&bot, &bot.chat.id, 0);
    message.reply.text = "part 1 | part 2 | part 3".into();
    bot.engine
        .store()
        .enqueue(chat.id, "notice", &message, bot.now)
        .unwrap();
    let platform = FakePlatform::answering(vec![
        Ok(()),
        Err(SendError::RateLimited {
            retry_after: Duration::from_secs(3),
            global: false,
        }),
    ]);
    let mut w = worker(&bot, &platform, Pacing::telegram());
    assert_eq!(w.pass().await.unwrap().rate_limited, 1);
    assert_eq!(platform.parts(), ["part 1"]);
    tokio::time::advance(Duration::from_secs(4)).await;
    assert_eq!(w.pass().await.unwrap().sent, 1);
    assert_eq!(platform.parts(), ["part 1", "part 2", "part 3"]);
    // A restarted worker has nothing left to send either.
    let mut again = worker(&bot, &platform, Pacing::telegram());
    assert_eq!(again.pass().await.unwrap().sent, 0);
    assert_eq!(platform.parts().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn pacing_counts_api_calls_not_messages() {
    let bot = TestBot::new();
    bot.say("alice", "/help");
    let chat = bot.chat();
    // Seven messages of three calls each: 21 calls, one more than Telegram allows in a group per minute.
    for i in 0..7 {
        let mut message = notice(&bot, &bot.chat.id, i);
        message.reply.text = format!("{i}a | {i}b | {i}c");
        bot.engine
            .store()
            .enqueue(chat.id, "notice", &message, bot.now)
            .unwrap();
    }
    let platform = FakePlatform::default();
    let mut w = worker(&bot, &platform, Pacing::telegram());
    let first = w.pass().await.unwrap();
    assert_eq!((first.sent, first.deferred), (6, 1));
    assert_eq!(platform.parts().len(), 20);
    tokio::time::advance(Duration::from_secs(61)).await;
    assert_eq!(w.pass().await.unwrap().sent, 1);
    let parts = platform.parts();
    assert_eq!(parts.len(), 21, "{parts:?}");
    assert_eq!(&parts[18..], ["6a", "6b", "6c"]);
}

#[tokio::test(start_paused = true)]
async fn outbox_global_pacing_spreads_a_burst_over_time() {
    let bot = TestBot::new();
    let store = bot.engine.store();
    let pacing = Pacing {
        per_second: 10,
        per_chat: 20,
        chat_window: Duration::from_secs(60),
    };
    // 40 chats, one message each: 10 go at once, the rest at 10 a second.
    for c in 0..40 {
        let chat_ref = drillbot::message::ChatRef {
            platform: Platform::Telegram,
            id: format!("-{c}"),
        };
        let settings = drillbot::store::ChatSettings::from_defaults(&Default::default(), false);
        let (row, _) = store
            .ensure_chat(
                Platform::Telegram,
                &chat_ref.id,
                false,
                &settings,
                1,
                bot.now,
            )
            .unwrap();
        store
            .enqueue(
                row.id,
                "notice",
                &Outgoing {
                    chat: chat_ref,
                    reply: Reply::to_chat(ReplyKind::Info, "x".into()),
                },
                bot.now,
            )
            .unwrap();
    }
    let platform = FakePlatform::default();
    let mut w = worker(&bot, &platform, pacing);
    let start = tokio::time::Instant::now();
    assert_eq!(w.pass().await.unwrap().sent, 40);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(4),
        "took {took:?}"
    );
}

/// A platform whose sends take a while, to stop the worker in the middle of one.
#[derive(Clone, Default)]
struct SlowPlatform {
    started: Arc<tokio::sync::Notify>,
    accepted: Arc<Mutex<usize>>,
}

impl Transport for SlowPlatform {
    type Call = ();
    fn platform(&self) -> Platform {
        Platform::Telegram
    }
    async fn calls(&self, _outgoing: &Outgoing) -> Result<Vec<()>, SendError> {
        Ok(vec![()])
    }
    async fn send_call(&self, _outgoing: &Outgoing, _call: &()) -> Result<(), SendError> {
        self.started.notify_one();
        tokio::time::sleep(Duration::from_secs(2)).await;
        *self.accepted.lock().unwrap() += 1;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_a_send_finishes_it_and_it_is_not_sent_again() {
    let bot = bot_with_a_queued_post();
    let platform = SlowPlatform::default();
    let w = Delivery::new(
        Arc::clone(&bot.engine),
        platform.clone(),
        Pacing::telegram(),
        Clock::starting_at(bot.now),
    )
    .unwrap();
    let started = Arc::clone(&platform.started);
    w.run(async move { started.notified().await })
        .await
        .unwrap();
    assert_eq!(
        *platform.accepted.lock().unwrap(),
        1,
        "the send was finished"
    );
    let counts = bot.engine.store().outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.sending, counts.sent), (0, 0, 1));
    // A restarted worker finds nothing to send again.
    let again = FakePlatform::default();
    let mut w = worker(&bot, &again, Pacing::telegram());
    assert_eq!(w.pass().await.unwrap().sent, 0);
    assert_eq!(again.attempts(), 0);
}

#[tokio::test(start_paused = true)]
async fn sent_messages_are_pruned_after_the_retention_period() {
    let bot = bot_with_a_queued_post();
    let platform = FakePlatform::default();
    let mut w = worker(&bot, &platform, Pacing::telegram());
    assert_eq!(w.pass().await.unwrap().sent, 1);
    let sent = || bot.engine.store().outbox_counts().unwrap().sent;
    bot.engine.tick(bot.now + chrono::Duration::days(29));
    assert_eq!(sent(), 1, "kept within the 30 days");
    bot.engine.tick(bot.now + chrono::Duration::days(31));
    assert_eq!(sent(), 0, "deleted after them");
}

#[tokio::test(start_paused = true)]
async fn a_second_process_leaves_the_first_ones_claims_alone_until_their_lease_is_over() {
    let bot = bot_with_a_queued_post();
    // Another process (its own store on the same file) claims the post and is still sending it.
    let other = drillbot::store::Store::open(&bot.db_path).unwrap();
    assert_eq!(
        other
            .claim_due(Platform::Telegram, bot.now, 10)
            .unwrap()
            .len(),
        1
    );
    // This process starts its worker, stops it and starts it again: nothing of the other's is re-queued.
    let platform = FakePlatform::default();
    let mut w = worker(&bot, &platform, Pacing::telegram());
    assert_eq!(w.pass().await.unwrap().sent, 0);
    drop(w);
    let w = worker(&bot, &platform, Pacing::telegram());
    w.run(std::future::ready(())).await.unwrap();
    let counts = bot.engine.store().outbox_counts().unwrap();
    assert_eq!(
        (counts.pending, counts.sending),
        (0, 1),
        "still the other's"
    );
    // The other process died: once the claim is older than the lease, this worker sends it.
    let later = bot.now
        + chrono::Duration::from_std(drillbot::delivery::CLAIM_LEASE).unwrap()
        + chrono::Duration::seconds(1);
    let mut w = Delivery::new(
        Arc::clone(&bot.engine),
        platform.clone(),
        Pacing::telegram(),
        Clock::starting_at(later),
    )
    .unwrap();
    assert_eq!(w.pass().await.unwrap().sent, 1);
    assert_eq!(platform.accepted(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_production_clock_is_the_system_clock_and_the_driven_one_follows_tokio() {
    let start = chrono::Utc::now();
    let system = Clock::system();
    let driven = Clock::starting_at(start);
    // An hour of tokio (monotonic) time passes while the wall clock barely moves: only the driven clock
    // follows it. The system clock reads the wall, so it also follows a suspend or a clock step.
    tokio::time::advance(Duration::from_secs(3600)).await;
    let wall = chrono::Utc::now();
    assert!((system.now() - wall).num_seconds().abs() <= 1);
    assert_eq!((driven.now() - start).num_seconds(), 3600);
}

#[tokio::test]
async fn a_task_that_panics_on_the_blocking_side_gives_nothing_and_the_caller_goes_on() {
    let bot = TestBot::new();
    let got = bot
        .engine
        .blocking("a test", |_| -> u8 { panic!("boom") })
        .await;
    assert_eq!(got, None);
    // The engine is still usable afterwards (the store's lock is not poisoned for good).
    let replies = bot
        .engine
        .handle_blocking(bot.incoming("alice", "/help", false), bot.now)
        .await;
    assert_eq!(replies[0].kind, ReplyKind::Info);
}
