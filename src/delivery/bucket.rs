//! A sliding-window rate limit on tokio's clock (so tests can pause and advance time), with a "blocked
//! until" for `retry_after` answers.
//!
//! A sliding window rather than a token bucket: platforms state limits as "N per window" (Telegram: 20 a
//! minute in a group), and a bucket refilling at N/window would allow up to 2N within one window after a
//! burst. Hand-written rather than `governor`, which keeps its own clock (tokio's paused test clock cannot
//! move it) and has no notion of a server-imposed block.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// At most `max` events in any `window`.
#[derive(Debug, Clone)]
pub struct Window {
    max: usize,
    window: Duration,
    recent: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

impl Window {
    /// A limit of `max` events per `window`.
    pub fn new(max: u32, window: Duration) -> Window {
        Window {
            max: max.max(1) as usize,
            window,
            recent: VecDeque::new(),
            blocked_until: None,
        }
    }

    fn prune(&mut self, now: Instant) {
        while self
            .recent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            self.recent.pop_front();
        }
    }

    /// How long until one more event is allowed (zero when it is allowed now).
    pub fn wait(&mut self, now: Instant) -> Duration {
        self.prune(now);
        let blocked = self
            .blocked_until
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or_default();
        let full = if self.recent.len() < self.max {
            Duration::ZERO
        } else {
            let oldest = *self.recent.front().expect("a full window has entries");
            (oldest + self.window).saturating_duration_since(now)
        };
        blocked.max(full)
    }

    /// Records an event (call after [`Window::wait`] returned zero).
    pub fn take(&mut self, now: Instant) {
        self.recent.push_back(now);
    }

    /// Blocks for `d` (a platform's `retry_after`).
    pub fn block_for(&mut self, now: Instant, d: Duration) {
        let until = now + d;
        self.blocked_until = Some(self.blocked_until.map_or(until, |t| t.max(until)));
    }

    /// Whether the window holds nothing worth keeping (no recent events, no block).
    pub fn is_idle(&mut self, now: Instant) -> bool {
        self.prune(now);
        self.recent.is_empty() && self.blocked_until.is_none_or(|t| t <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_window_allows_max_events_in_any_window() {
        let start = Instant::now();
        let mut w = Window::new(3, Duration::from_secs(10));
        for i in 0..3 {
            let t = start + Duration::from_secs(i);
            assert_eq!(w.wait(t), Duration::ZERO);
            w.take(t);
        }
        let t = start + Duration::from_secs(5);
        assert_eq!(
            w.wait(t),
            Duration::from_secs(5),
            "the first event leaves the window at 10 s"
        );
        let t = start + Duration::from_secs(10);
        assert_eq!(w.wait(t), Duration::ZERO);
        w.block_for(t, Duration::from_secs(7));
        assert_eq!(w.wait(t), Duration::from_secs(7));
        assert!(!w.is_idle(t));
    }
}
