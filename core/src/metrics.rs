//! Metrics (DESIGN §10), rendered in the Prometheus text exposition format by
//! [`crate::Kavach::metrics`]: counters of events (by type and code) and of answers (by route
//! template, method and status, and by error code), a latency histogram per route template, and
//! gauges for the database pool, the rate-limit table and the event queue.
//!
//! Route labels are templates (`/passkey/credentials/:id`), never a raw path, so a label's
//! values are a fixed, small set whatever clients send.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use parking_lot::Mutex;

use crate::events::{Event, EventType};

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// One route's latencies.
#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Per bucket (not cumulative); the last slot is `+Inf`.
    counts: [u64; BUCKETS.len() + 1],
    sum_seconds: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let slot = BUCKETS.iter().position(|&bound| seconds <= bound).unwrap_or(BUCKETS.len());
        self.counts[slot] += 1;
        self.sum_seconds += seconds;
    }
}

/// An answer's labels: route template, method, status.
type AnswerKey = (&'static str, &'static str, u16);

#[derive(Debug, Default, Clone)]
struct Counters {
    events: BTreeMap<(EventType, String), u64>,
    answers: BTreeMap<AnswerKey, u64>,
    errors: BTreeMap<(&'static str, &'static str), u64>,
    latency: BTreeMap<(&'static str, &'static str), Histogram>,
}

/// The instance's counters. Off (`metrics: {enabled: false}`), recording costs one branch.
#[derive(Debug)]
pub(crate) struct Metrics {
    enabled: bool,
    counters: Mutex<Counters>,
}

/// Point-in-time values the instance reads when rendering.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gauges {
    /// PostgreSQL pool: connections open, of them idle, and the maximum.
    pub(crate) pool: Option<PoolGauge>,
    /// Buckets in the in-memory rate-limit table (`None` without one).
    pub(crate) rate_limit_buckets: Option<usize>,
    /// The event handler's queue: waiting, delivered, dropped (`None` without a handler).
    pub(crate) event_queue: Option<(u64, u64, u64)>,
    /// Log lines the log hook's queue dropped.
    pub(crate) log_lines_dropped: u64,
}

/// A database pool's state, as a store reports it for metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolGauge {
    /// Connections open (idle, in use, or being opened).
    pub open: usize,
    /// Of them, idle.
    pub idle: usize,
    /// The most the pool opens.
    pub max: usize,
}

impl Metrics {
    pub(crate) fn new(enabled: bool) -> Self {
        Self { enabled, counters: Mutex::new(Counters::default()) }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    pub(crate) fn record_events(&self, events: &[Event]) {
        if !self.enabled || events.is_empty() {
            return;
        }
        let mut counters = self.counters.lock();
        for event in events {
            let key = (event.kind, event.code.clone().unwrap_or_default());
            *counters.events.entry(key).or_default() += 1;
        }
    }

    /// One answer of the router: its route template, method, status, error code (if any) and
    /// how long it took.
    pub(crate) fn record_answer(
        &self,
        route: &'static str,
        method: &'static str,
        status: u16,
        code: Option<&'static str>,
        took: Duration,
    ) {
        if !self.enabled {
            return;
        }
        let mut counters = self.counters.lock();
        *counters.answers.entry((route, method, status)).or_default() += 1;
        if let Some(code) = code {
            *counters.errors.entry((route, code)).or_default() += 1;
        }
        counters.latency.entry((route, method)).or_default().observe(took.as_secs_f64());
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub(crate) fn render(&self, gauges: &Gauges) -> String {
        let counters = self.counters.lock().clone();
        let mut out = String::with_capacity(4096);
        family(&mut out, "kavach_events_total", "counter", "Security events, by type and error code.");
        for ((kind, code), n) in &counters.events {
            let _ = writeln!(out, "kavach_events_total{{type=\"{}\",code=\"{}\"}} {n}", kind.as_str(), escape(code));
        }
        family(
            &mut out,
            "kavach_http_requests_total",
            "counter",
            "Requests the router answered, by route template, method and status.",
        );
        for ((route, method, status), n) in &counters.answers {
            let _ = writeln!(
                out,
                "kavach_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        family(&mut out, "kavach_http_errors_total", "counter", "Error answers, by route template and error code.");
        for ((route, code), n) in &counters.errors {
            let _ = writeln!(out, "kavach_http_errors_total{{route=\"{route}\",code=\"{code}\"}} {n}");
        }
        family(
            &mut out,
            "kavach_http_request_duration_seconds",
            "histogram",
            "Time the router took to answer, by route template and method.",
        );
        for ((route, method), histogram) in &counters.latency {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(&histogram.counts) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "kavach_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            cumulative += histogram.counts[BUCKETS.len()];
            let _ = writeln!(out, "kavach_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
            let _ = writeln!(out, "kavach_http_request_duration_seconds_sum{{{labels}}} {}", histogram.sum_seconds);
            let _ = writeln!(out, "kavach_http_request_duration_seconds_count{{{labels}}} {cumulative}");
        }
        if let Some(pool) = gauges.pool {
            family(&mut out, "kavach_db_pool_connections", "gauge", "PostgreSQL pool connections, by state.");
            let _ = writeln!(out, "kavach_db_pool_connections{{state=\"open\"}} {}", pool.open);
            let _ = writeln!(out, "kavach_db_pool_connections{{state=\"idle\"}} {}", pool.idle);
            let _ =
                writeln!(out, "kavach_db_pool_connections{{state=\"in_use\"}} {}", pool.open.saturating_sub(pool.idle));
            family(&mut out, "kavach_db_pool_max_connections", "gauge", "The pool's maximum size.");
            let _ = writeln!(out, "kavach_db_pool_max_connections {}", pool.max);
        }
        if let Some(buckets) = gauges.rate_limit_buckets {
            family(
                &mut out,
                "kavach_rate_limit_buckets",
                "gauge",
                "Clients and sessions the in-memory rate limiter tracks.",
            );
            let _ = writeln!(out, "kavach_rate_limit_buckets {buckets}");
        }
        if let Some((queued, delivered, dropped)) = gauges.event_queue {
            family(&mut out, "kavach_event_queue_length", "gauge", "Events waiting for the host's handler.");
            let _ = writeln!(out, "kavach_event_queue_length {queued}");
            family(&mut out, "kavach_events_delivered_total", "counter", "Events handed to the host's handler.");
            let _ = writeln!(out, "kavach_events_delivered_total {delivered}");
            family(
                &mut out,
                "kavach_events_dropped_total",
                "counter",
                "Events dropped because the handler's queue was full.",
            );
            let _ = writeln!(out, "kavach_events_dropped_total {dropped}");
        }
        family(
            &mut out,
            "kavach_log_lines_dropped_total",
            "counter",
            "Log lines dropped because the log hook's queue was full.",
        );
        let _ = writeln!(out, "kavach_log_lines_dropped_total {}", gauges.log_lines_dropped);
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the exposition format needs it (codes are `A_Z` already; defence in depth).
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A method as a label: the methods the router knows, anything else `other`.
pub(crate) fn method_label(method: &str) -> &'static str {
    ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS", "PUT"]
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(method))
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let metrics = Metrics::new(true);
        metrics.record_answer("/passkey/credentials/:id", "DELETE", 200, None, Duration::from_micros(500));
        metrics.record_answer(
            "/passkey/credentials/:id",
            "DELETE",
            404,
            Some("CREDENTIAL_NOT_FOUND"),
            Duration::from_millis(3),
        );
        metrics.record_events(&[Event::new(EventType::PasskeyDeleted, 0).user("u")]);
        let text = metrics.render(&Gauges::default());
        assert!(text.contains("kavach_events_total{type=\"passkey.deleted\",code=\"\"} 1\n"), "{text}");
        assert!(text.contains(
            "kavach_http_requests_total{route=\"/passkey/credentials/:id\",method=\"DELETE\",status=\"404\"} 1\n"
        ));
        assert!(text.contains(
            "kavach_http_errors_total{route=\"/passkey/credentials/:id\",code=\"CREDENTIAL_NOT_FOUND\"} 1\n"
        ));
        let bucket = |le: &str| format!("route=\"/passkey/credentials/:id\",method=\"DELETE\",le=\"{le}\"}}");
        assert!(text.contains(&format!("{} 1\n", bucket("0.001"))));
        assert!(text.contains(&format!("{} 2\n", bucket("0.005"))));
        assert!(text.contains(&format!("{} 2\n", bucket("+Inf"))));
    }

    #[test]
    fn off_records_nothing() {
        let metrics = Metrics::new(false);
        metrics.record_answer("/session", "GET", 200, None, Duration::ZERO);
        assert!(!metrics.render(&Gauges::default()).contains("kavach_http_requests_total{"));
        assert_eq!(method_label("get"), "GET");
        assert_eq!(method_label("BREW"), "other");
    }
}
