//! What the running bot counts, exported as Prometheus text at `/metrics` (when `http.listen` is set). One
//! process-wide set of metrics, recorded where each event happens; reading it never blocks a writer.
//!
//! - `drillbot_updates_total{platform}`: incoming commands (typed, or sent by a button) handled;
//! - `drillbot_answers_recorded_total`: answers acknowledged to a member;
//! - `drillbot_rounds_posted_total`, `drillbot_rounds_revealed_total`;
//! - `drillbot_send_errors_total{platform, kind}` (`rate_limited`, `transient`, `rejected`, `permanent`,
//!   `moved`) and `drillbot_rate_limited_total{platform}` (the platform's 429s);
//! - `drillbot_grading_seconds`: time to grade one free-text answer;
//! - `drillbot_platform_connected{platform}`: 1 while a platform's connection is up;
//! - `drillbot_outbox_pending`, `drillbot_outbox_oldest_unsent_seconds`: read from the database at each scrape.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A platform label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PlatformLabel {
    /// `telegram`, `discord` or `console`.
    pub platform: String,
}

/// A send error's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SendErrorLabels {
    /// The platform.
    pub platform: String,
    /// What went wrong.
    pub kind: String,
}

/// The bot's metrics.
pub struct Metrics {
    updates: Family<PlatformLabel, Counter>,
    answers: Counter,
    rounds_posted: Counter,
    rounds_revealed: Counter,
    send_errors: Family<SendErrorLabels, Counter>,
    rate_limited: Family<PlatformLabel, Counter>,
    grading: Histogram,
    connected: Family<PlatformLabel, Gauge>,
    outbox_pending: Gauge,
    outbox_oldest: Gauge,
    busy_waits: Counter,
    registry: Registry,
}

fn platform(p: &str) -> PlatformLabel {
    PlatformLabel {
        platform: p.to_string(),
    }
}

impl Metrics {
    fn new() -> Metrics {
        let mut m = Metrics {
            updates: Family::default(),
            answers: Counter::default(),
            rounds_posted: Counter::default(),
            rounds_revealed: Counter::default(),
            send_errors: Family::default(),
            rate_limited: Family::default(),
            // 10 µs to about 0.16 s.
            grading: Histogram::new(exponential_buckets(1e-5, 2.0, 15)),
            connected: Family::default(),
            outbox_pending: Gauge::default(),
            outbox_oldest: Gauge::default(),
            busy_waits: Counter::default(),
            registry: Registry::with_prefix("drillbot"),
        };
        let r = &mut m.registry;
        r.register(
            "updates",
            "Incoming commands (typed, or sent by a button) handled",
            m.updates.clone(),
        );
        r.register(
            "answers_recorded",
            "Answers acknowledged to a member",
            m.answers.clone(),
        );
        r.register(
            "rounds_posted",
            "Daily questions posted",
            m.rounds_posted.clone(),
        );
        r.register(
            "rounds_revealed",
            "Rounds revealed",
            m.rounds_revealed.clone(),
        );
        r.register(
            "send_errors",
            "Failed platform calls by kind",
            m.send_errors.clone(),
        );
        r.register(
            "rate_limited",
            "Platform answers 429 (too many requests)",
            m.rate_limited.clone(),
        );
        r.register(
            "grading_seconds",
            "Time to grade one free-text answer",
            m.grading.clone(),
        );
        r.register(
            "platform_connected",
            "1 while the platform connection is up",
            m.connected.clone(),
        );
        r.register(
            "outbox_pending",
            "Outbox messages not yet sent",
            m.outbox_pending.clone(),
        );
        r.register(
            "db_busy_waits",
            "Database calls that had to wait for another connection's lock",
            m.busy_waits.clone(),
        );
        r.register(
            "outbox_oldest_unsent_seconds",
            "Age of the oldest outbox message not yet sent",
            m.outbox_oldest.clone(),
        );
        m
    }

    /// One incoming update handled on `platform`.
    pub fn update(&self, platform_name: &str) {
        self.updates.get_or_create(&platform(platform_name)).inc();
    }

    /// One answer acknowledged.
    pub fn answer_recorded(&self) {
        self.answers.inc();
    }

    /// One daily question posted.
    pub fn round_posted(&self) {
        self.rounds_posted.inc();
    }

    /// One round revealed.
    pub fn round_revealed(&self) {
        self.rounds_revealed.inc();
    }

    /// A failed platform call; `kind` is `rate_limited` for a 429, which also counts there.
    pub fn send_error(&self, platform_name: &str, kind: &str) {
        self.send_errors
            .get_or_create(&SendErrorLabels {
                platform: platform_name.to_string(),
                kind: kind.to_string(),
            })
            .inc();
        if kind == "rate_limited" {
            self.rate_limited
                .get_or_create(&platform(platform_name))
                .inc();
        }
    }

    /// The time one answer took to grade.
    pub fn graded(&self, took: Duration) {
        self.grading.observe(took.as_secs_f64());
    }

    /// A platform's connection came up or went down.
    pub fn set_connected(&self, platform_name: &str, up: bool) {
        self.connected
            .get_or_create(&platform(platform_name))
            .set(i64::from(up));
    }

    /// Whether a platform's connection is up (never reported: down).
    pub fn is_connected(&self, platform_name: &str) -> bool {
        self.connected.get_or_create(&platform(platform_name)).get() == 1
    }

    /// A database call found the file locked by another connection and waits.
    pub fn busy_wait(&self) {
        self.busy_waits.inc();
    }

    /// Database calls that waited for a lock so far.
    pub fn busy_waits(&self) -> u64 {
        self.busy_waits.get()
    }

    /// The outbox as the database has it now.
    pub fn set_outbox(&self, pending: i64, oldest_unsent: Option<i64>) {
        self.outbox_pending.set(pending);
        self.outbox_oldest.set(oldest_unsent.unwrap_or(0));
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_in_the_text_exposition() {
        let m = Metrics::new();
        m.update("telegram");
        m.update("telegram");
        m.send_error("discord", "rate_limited");
        m.set_connected("discord", true);
        m.set_outbox(3, Some(42));
        m.graded(Duration::from_micros(50));
        let text = m.render();
        assert!(
            text.contains("drillbot_updates_total{platform=\"telegram\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "drillbot_send_errors_total{platform=\"discord\",kind=\"rate_limited\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("drillbot_rate_limited_total{platform=\"discord\"} 1"),
            "{text}"
        );
        assert!(text.contains("drillbot_outbox_pending 3"), "{text}");
        assert!(
            text.contains("drillbot_outbox_oldest_unsent_seconds 42"),
            "{text}"
        );
        assert!(text.contains("drillbot_grading_seconds_count 1"), "{text}");
        assert!(m.is_connected("discord") && !m.is_connected("telegram"));
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
