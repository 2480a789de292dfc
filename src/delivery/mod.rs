//! Delivery: a worker that takes due messages from the outbox and sends them through a platform
//! [`Transport`], one API call at a time: every call is paced by sliding windows (one for the platform, one per
//! chat) and recorded once the platform accepts it, so a retry starts at the call that failed. It honours
//! `retry_after`, retries transient errors with exponential backoff and jitter, and pauses chats on permanent
//! errors. Its database work runs on blocking threads ([`crate::Engine::blocking`]).
//!
//! The worker confirms a message only after the platform accepted it; a message claimed but not confirmed
//! when the process died is sent again once its claim is older than [`CLAIM_LEASE`]
//! ([`Store::requeue_abandoned`]), a confirmed one never is. A worker gives back only its own platform's and
//! its own store's claims ([`Store::requeue_unconfirmed`]), so a second process never re-sends what the first
//! is sending.

mod bucket;

pub use bucket::Window;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::time::Instant;

use crate::Engine;
use crate::message::{Outgoing, Platform};
use crate::store::{OutboxItem, Store, StoreError};

/// Why a send failed, as the platform said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// 429: wait `retry_after`; `global` when the limit is the bot's, not the chat's.
    RateLimited {
        /// How long the platform asked us to wait.
        retry_after: Duration,
        /// Whether the whole platform is limited rather than one chat.
        global: bool,
    },
    /// Worth retrying later (5xx, network).
    Transient(String),
    /// Never worth retrying (bot removed, chat not found, no access): the chat is paused.
    Permanent(String),
    /// The platform refused this one message (malformed, too long): it is dropped, the chat is not paused.
    Rejected(String),
    /// The chat has a new id (a Telegram group became a supergroup). The transport moves the chat and sends
    /// there itself; a worker that still sees this queues the message again at once.
    ChatMoved {
        /// The new id.
        to: String,
    },
}

/// Attempts after which a message failing with transient errors is given up (with 2^n s backoff capped at
/// ten minutes, about a day and a half of trying).
pub const MAX_ATTEMPTS: i64 = 200;

/// Sends messages to a platform, one API call at a time: the worker paces every call, and records after each
/// one how many the platform accepted, so a retry never repeats an accepted part.
pub trait Transport: Send + Sync {
    /// One API call (a part of a long text, a poll, closing a poll...).
    type Call: Send + Sync;
    /// The platform this transport serves.
    fn platform(&self) -> Platform;
    /// The calls that deliver a message, in order. The same message must give the same calls every time (a
    /// retry skips the ones already accepted). An error means the message cannot be sent at all.
    fn calls(
        &self,
        outgoing: &Outgoing,
    ) -> impl Future<Output = Result<Vec<Self::Call>, SendError>> + Send;
    /// Makes one call; `Ok` only when the platform accepted it.
    fn send_call(
        &self,
        outgoing: &Outgoing,
        call: &Self::Call,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// The per-chat windows this transport's direct replies count in, if it paces them: the outbox worker
    /// then counts in the same ones, so a chat's direct replies and queued messages together keep to the
    /// platform's per-chat limit.
    fn chat_windows(&self) -> Option<ChatWindows> {
        None
    }

    /// Makes every call of a message in a row, unpaced and unrecorded (a direct reply).
    fn send(&self, outgoing: &Outgoing) -> impl Future<Output = Result<(), SendError>> + Send {
        async move {
            for call in self.calls(outgoing).await? {
                self.send_call(outgoing, &call).await?;
            }
            Ok(())
        }
    }
}

/// Rate limits for one platform.
#[derive(Debug, Clone)]
pub struct Pacing {
    /// Messages per second for the whole bot (also the burst size).
    pub per_second: u32,
    /// Messages per chat per `chat_window`.
    pub per_chat: u32,
    /// The per-chat window.
    pub chat_window: Duration,
}

impl Pacing {
    /// Telegram's documented limits: about 30 messages/s overall and 20 per minute in a group.
    pub fn telegram() -> Pacing {
        Pacing {
            per_second: 30,
            per_chat: 20,
            chat_window: Duration::from_secs(60),
        }
    }

    /// Discord: 50 requests/s overall and about 5 per 5 s per channel.
    pub fn discord() -> Pacing {
        Pacing {
            per_second: 50,
            per_chat: 5,
            chat_window: Duration::from_secs(5),
        }
    }
}

/// Wall-clock UTC for the database: the system clock in production (it follows a suspend or a clock step),
/// or a clock driven by tokio's time in tests (pausable, advanced by the test).
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The system's wall clock.
    System,
    /// `base_utc` at tokio instant `base`, advancing with tokio's time.
    Driven {
        /// The time it read at `base`.
        base_utc: DateTime<Utc>,
        /// When it read it.
        base: Instant,
    },
}

impl Clock {
    /// A clock that reads `at` now and advances with tokio's time (tests and benchmarks).
    pub fn starting_at(at: DateTime<Utc>) -> Clock {
        Clock::Driven {
            base_utc: at,
            base: Instant::now(),
        }
    }

    /// The real clock.
    pub fn system() -> Clock {
        Clock::System
    }

    /// Now, in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Driven { base_utc, base } => {
                let elapsed = Instant::now().saturating_duration_since(*base);
                *base_utc + chrono::Duration::from_std(elapsed).unwrap_or_default()
            }
        }
    }
}

/// Each chat's sliding window (keyed by the platform's chat id), shared by the clones of a transport and its
/// outbox worker.
#[derive(Debug, Clone, Default)]
pub struct ChatWindows(Arc<std::sync::Mutex<HashMap<String, Window>>>);

impl ChatWindows {
    fn with<V>(
        &self,
        chat: &str,
        (max, window): (u32, Duration),
        f: impl FnOnce(&mut Window) -> V,
    ) -> V {
        let mut windows = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let w = match windows.get_mut(chat) {
            Some(w) => w,
            None => windows
                .entry(chat.to_string())
                .or_insert_with(|| Window::new(max, window)),
        };
        f(w)
    }

    /// How long until `chat` may have one more message in its window of `max` per `window`; when that is
    /// now, the message is counted.
    pub fn take_slot(&self, chat: &str, limit: (u32, Duration)) -> Duration {
        let now = Instant::now();
        self.with(chat, limit, |w| {
            let wait = w.wait(now);
            if wait.is_zero() {
                w.take(now);
            }
            wait
        })
    }

    /// Blocks `chat` for `d` (a platform's `retry_after` for that chat).
    pub fn block_for(&self, chat: &str, limit: (u32, Duration), d: Duration) {
        self.with(chat, limit, |w| w.block_for(Instant::now(), d));
    }

    /// Forgets chats with nothing recent, so thousands of quiet chats cost no memory.
    pub fn forget_idle(&self) {
        let now = Instant::now();
        let mut windows = self.0.lock().unwrap_or_else(|e| e.into_inner());
        windows.retain(|_, w| !w.is_idle(now));
    }
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Confirmed sent.
    pub sent: usize,
    /// Answered 429.
    pub rate_limited: usize,
    /// Failed for now, to be retried.
    pub retried: usize,
    /// Failed for good; their chats are paused.
    pub failed: usize,
    /// Put back because their chat's bucket was empty.
    pub deferred: usize,
}

/// The delivery worker for one platform.
pub struct Delivery<T: Transport> {
    engine: Arc<Engine>,
    transport: T,
    pacing: Pacing,
    clock: Clock,
    global: Window,
    /// Each chat's window, shared with the transport's direct replies when it paces them.
    chats: ChatWindows,
    batch: usize,
}

/// How long a claim is another worker's to finish: after it, an unconfirmed claim counts as abandoned (its
/// process died) and is queued again. No send takes this long.
pub const CLAIM_LEASE: Duration = Duration::from_secs(120);

/// Exponential backoff with full jitter: up to 2^attempts seconds, capped at 10 minutes.
pub fn backoff(attempts: i64) -> Duration {
    let cap = 2f64.powi(attempts.clamp(1, 10) as i32).min(600.0);
    Duration::from_secs_f64(rand::rng().random_range(cap / 2.0..=cap))
}

fn seconds_after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    // The outbox stores whole seconds: round up so a retry never comes early.
    now + chrono::Duration::seconds(d.as_secs_f64().ceil() as i64)
}

impl<T: Transport> Delivery<T> {
    /// A worker over the engine's outbox. Messages a previous run claimed but never confirmed are queued
    /// again.
    pub fn new(
        engine: Arc<Engine>,
        transport: T,
        pacing: Pacing,
        clock: Clock,
    ) -> Result<Delivery<T>, StoreError> {
        let platform = transport.platform();
        engine.store().requeue_unconfirmed(platform)?;
        engine.store().requeue_abandoned(
            platform,
            clock.now() - chrono::Duration::from_std(CLAIM_LEASE).expect("a short lease"),
        )?;
        Ok(Delivery {
            global: Window::new(pacing.per_second, Duration::from_secs(1)),
            chats: transport.chat_windows().unwrap_or_default(),
            engine,
            transport,
            pacing,
            clock,
            batch: 256,
        })
    }

    /// Runs a store call on a blocking thread, so a wait for the write lock never stalls the runtime.
    async fn db<V: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<V, StoreError> + Send + 'static,
    ) -> Result<V, StoreError> {
        self.engine
            .blocking("an outbox update", move |e| f(e.store()))
            .await
            .unwrap_or_else(|| Err(StoreError::Corrupt("an outbox update panicked".into())))
    }

    /// Delivers every message due now (one claim of up to a batch), pacing as it goes.
    pub async fn pass(&mut self) -> Result<PassReport, StoreError> {
        self.pass_until(&std::sync::atomic::AtomicBool::new(false))
            .await
    }

    /// A pass that stops taking new messages once `stopping` is set (the rest stay claimed until
    /// [`Store::requeue_unconfirmed`]).
    async fn pass_until(
        &mut self,
        stopping: &std::sync::atomic::AtomicBool,
    ) -> Result<PassReport, StoreError> {
        let now = self.clock.now();
        // Claims of a worker that died (here or in another process) come back once their lease is over.
        let lease = chrono::Duration::from_std(CLAIM_LEASE).expect("a short lease");
        let platform = self.transport.platform();
        let returned = self
            .db(move |s| s.requeue_abandoned(platform, now - lease))
            .await?;
        if returned > 0 {
            tracing::warn!(
                returned,
                "re-queued messages whose worker stopped before confirming them"
            );
        }
        let batch = self.batch;
        let items = self.db(move |s| s.claim_due(platform, now, batch)).await?;
        let mut report = PassReport::default();
        for item in items {
            if stopping.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            self.deliver(item, stopping, &mut report).await?;
        }
        self.chats.forget_idle();
        Ok(report)
    }

    async fn deliver(
        &mut self,
        item: OutboxItem,
        stopping: &std::sync::atomic::AtomicBool,
        report: &mut PassReport,
    ) -> Result<(), StoreError> {
        let key = item.outgoing.chat.id.clone();
        let calls = match self.transport.calls(&item.outgoing).await {
            Ok(calls) => calls,
            Err(e) => return self.failed(&item, e, report).await,
        };
        let limit = (self.pacing.per_chat, self.pacing.chat_window);
        for (i, call) in calls.iter().enumerate().skip(item.parts_done) {
            // The chat's slot is taken before the wait for the platform-wide one: a slot taken a moment
            // early never lets the chat go over its limit.
            let chat_wait = self.chats.take_slot(&key, limit);
            if !chat_wait.is_zero() {
                // Do not hold up other chats: the rest goes back to the queue until this chat's window allows.
                let when = seconds_after(self.clock.now(), chat_wait);
                self.db(move |s| s.retry_at(item.id, when, None)).await?;
                report.deferred += 1;
                return Ok(());
            }
            loop {
                let wait = self.global.wait(Instant::now());
                if wait.is_zero() {
                    break;
                }
                if stopping.load(std::sync::atomic::Ordering::SeqCst) {
                    // The rest stays claimed and is queued again when the worker stops.
                    return Ok(());
                }
                tokio::time::sleep(wait.min(Duration::from_millis(100))).await;
            }
            self.global.take(Instant::now());
            if let Err(e) = self.transport.send_call(&item.outgoing, call).await {
                return self.failed(&item, e, report).await;
            }
            if i + 1 < calls.len() {
                self.db(move |s| s.record_progress(item.id, i + 1)).await?;
                if stopping.load(std::sync::atomic::Ordering::SeqCst) {
                    return Ok(());
                }
            }
        }
        let now = self.clock.now();
        self.db(move |s| s.mark_sent(item.id, now)).await?;
        report.sent += 1;
        Ok(())
    }

    /// What a failed call means for its message: wait and retry, give up on it, or pause its chat.
    async fn failed(
        &mut self,
        item: &OutboxItem,
        error: SendError,
        report: &mut PassReport,
    ) -> Result<(), StoreError> {
        let key = &item.outgoing.chat.id;
        let id = item.id;
        let kind = match &error {
            SendError::RateLimited { .. } => "rate_limited",
            SendError::ChatMoved { .. } => "moved",
            SendError::Transient(_) => "transient",
            SendError::Rejected(_) => "rejected",
            SendError::Permanent(_) => "permanent",
        };
        crate::metrics::metrics().send_error(item.outgoing.chat.platform.key(), kind);
        match error {
            SendError::RateLimited {
                retry_after,
                global,
            } => {
                let now = Instant::now();
                if global {
                    self.global.block_for(now, retry_after);
                } else {
                    let limit = (self.pacing.per_chat, self.pacing.chat_window);
                    self.chats.block_for(key, limit, retry_after);
                }
                tracing::warn!(chat = %key, ?retry_after, global, "rate limited by the platform");
                let when = seconds_after(self.clock.now(), retry_after);
                self.db(move |s| s.retry_at(id, when, Some("429"))).await?;
                report.rate_limited += 1;
            }
            SendError::ChatMoved { to } => {
                tracing::info!(chat = %key, %to, "the chat moved; sending there");
                let when = self.clock.now();
                self.db(move |s| s.retry_at(id, when, None)).await?;
                report.retried += 1;
            }
            SendError::Transient(e) if item.attempts >= MAX_ATTEMPTS => {
                tracing::error!(chat = %key, error = %e, attempts = item.attempts, "giving up on a message");
                self.db(move |s| s.mark_failed(id, &e)).await?;
                report.failed += 1;
            }
            SendError::Rejected(e) => {
                tracing::error!(chat = %key, error = %e, "the platform rejected a message; dropping it");
                self.db(move |s| s.mark_failed(id, &e)).await?;
                report.failed += 1;
            }
            SendError::Transient(e) => {
                let wait = backoff(item.attempts);
                tracing::warn!(chat = %key, error = %e, ?wait, "send failed, will retry");
                let when = seconds_after(self.clock.now(), wait);
                self.db(move |s| s.retry_at(id, when, Some(&e))).await?;
                report.retried += 1;
            }
            SendError::Permanent(e) => {
                tracing::warn!(chat = %key, error = %e, "cannot deliver to this chat any more; pausing it");
                let chat = item.chat_id;
                self.db(move |s| s.fail_and_pause(id, chat, &e)).await?;
                report.failed += 1;
            }
        }
        Ok(())
    }

    /// Runs until `shutdown` resolves: a pass, then a short sleep when idle. Shutdown is honoured between
    /// messages, never during a send: a message on its way is finished and confirmed, so it is not sent again
    /// after the restart. Messages claimed but not yet started go back to the queue.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), StoreError> {
        let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
        tokio::pin!(shutdown);
        {
            let flag = Arc::clone(&stopping);
            let this = &mut self;
            let work = async move {
                while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                    let report = this.pass_until(&flag).await?;
                    if report.sent == 0 && report.rate_limited == 0 {
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                }
                Ok::<(), StoreError>(())
            };
            tokio::pin!(work);
            tokio::select! {
                r = &mut work => r?,
                _ = &mut shutdown => {
                    stopping.store(true, std::sync::atomic::Ordering::SeqCst);
                    work.await?;
                }
            }
        }
        // Whatever was claimed and not started goes back to the queue now.
        let platform = self.transport.platform();
        let returned = self.db(move |s| s.requeue_unconfirmed(platform)).await?;
        tracing::info!(returned, "delivery stopped");
        Ok(())
    }
}

/// Runs the schedule until `shutdown`: ticks at each event (post or reveal) and at least every 30 seconds, so
/// catch-up and clock changes are noticed. The decisions are the engine's; this loop only feeds it the clock.
pub async fn run_scheduler(engine: Arc<Engine>, clock: Clock, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let now = clock.now();
        let e = Arc::clone(&engine);
        let next = tokio::task::spawn_blocking(move || {
            e.tick(now);
            e.next_event_after(now)
        })
        .await
        .unwrap_or(None);
        let wait = next
            .and_then(|t| (t - clock.now()).to_std().ok())
            .unwrap_or(Duration::from_secs(30))
            .min(Duration::from_secs(30));
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
