//! Operations (DESIGN §10) on the instance: the host's event handler, the audit log's writes and
//! the user's activity list, metrics, and an orderly close.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::{Authenticated, Kavach};
use crate::base64url;
use crate::error::{Error, ErrorCode, ErrorFamily, Result};
use crate::events::outbox::{Handler, Outbox};
use crate::events::{Event, EventType};
use crate::metrics::Gauges;
use crate::store::Audit;

/// Events the handler's queue holds before dropping.
const EVENT_QUEUE: usize = 4096;
/// Failed sign-ins are stored one row per user, code and hour.
const FAILURE_WINDOW_MS: i64 = 3_600_000;
/// `GET /passkey/activity`: default and largest page.
const DEFAULT_ACTIVITY_LIMIT: u32 = 50;
const MAX_ACTIVITY_LIMIT: u32 = 200;
/// The retention sweep runs with an audited write at most this often per instance.
const EVENT_SWEEP_INTERVAL_MS: i64 = 60_000;
/// How long `close` waits for the handler to take what is pending.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// The host's event handler behind its queue, with event counts for the metrics (the queue's
/// items are changes, each with its events).
pub(crate) struct EventQueue {
    outbox: Outbox<Vec<Event>>,
    published: AtomicU64,
    dropped: AtomicU64,
    delivered: Arc<AtomicU64>,
}

/// A page of a user's security activity, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityPage {
    /// Events, newest first, in their JSON form ([`Event::to_json`]).
    pub events: Vec<Value>,
    /// Pass as `before` for the next (older) page; `None` when this is the last.
    pub next_cursor: Option<String>,
}

impl Kavach {
    /// Hands every event to `handler` after its change commits, on a thread of kavach's own
    /// through a bounded queue (full: the event is dropped and counted in
    /// `kavach_events_dropped_total`), so a slow or failing handler never slows or breaks a
    /// ceremony. One handler per instance: a second call is `INVALID_CONFIG`.
    pub fn set_event_handler(&self, handler: impl Fn(&Event) + Send + Sync + 'static) -> Result<()> {
        let delivered = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&delivered);
        // One queue item per change (its events together): one wake-up of the thread per change.
        let deliver: Handler<Vec<Event>> = Box::new(move |batch: &Vec<Event>| {
            for event in batch {
                if catch_unwind(AssertUnwindSafe(|| handler(event))).is_err() {
                    crate::log::internal_error("an event handler panicked; the event was not delivered");
                }
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        let queue = EventQueue {
            outbox: Outbox::start("kavach-events", EVENT_QUEUE, deliver).map_err(Error::internal)?,
            published: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            delivered,
        };
        self.event_queue.set(queue).map_err(|_| Error::config("an event handler is set already"))
    }

    /// Waits (at most `timeout`) until the handler has received every event published so far.
    pub fn flush_events(&self, timeout: Duration) -> bool {
        let flushed_failures = self.failure_outbox.flush(timeout);
        flushed_failures && self.event_queue.get().is_none_or(|queue| queue.outbox.flush(timeout))
    }

    /// Delivers pending events to the handler and stores pending failed sign-ins (waiting at
    /// most 5 s), then stops their threads. Call it at shutdown; the instance still answers
    /// afterwards, but its events reach no handler.
    pub fn close(&self) -> bool {
        let failures = self.failure_outbox.close(CLOSE_WAIT);
        let events = self.event_queue.get().is_none_or(|queue| queue.outbox.close(CLOSE_WAIT));
        let log = crate::log::flush_log(CLOSE_WAIT);
        failures && events && log
    }

    /// The Prometheus text exposition (format 0.0.4) of this instance's counters and gauges:
    /// `kavach_events_total{type,code}`, `kavach_http_requests_total{route,method,status}`,
    /// `kavach_http_errors_total{route,code}`, `kavach_http_request_duration_seconds{route,method}`
    /// (a histogram), the PostgreSQL pool, the rate-limit table, the event queue. Serve it to
    /// your scraper only: it tells how your sign-in is used.
    pub fn metrics(&self) -> String {
        let event_queue = self.event_queue.get().map(|queue| {
            let (published, dropped) = (queue.published.load(Ordering::Relaxed), queue.dropped.load(Ordering::Relaxed));
            let delivered = queue.delivered.load(Ordering::Relaxed);
            (published.saturating_sub(delivered + dropped), delivered, dropped)
        });
        let gauges = Gauges {
            pool: self.store.pool_gauge(),
            rate_limit_buckets: self.rate_limiter.as_ref().and_then(|limiter| limiter.memory_buckets()),
            event_queue,
            log_lines_dropped: crate::log::dropped_lines(),
        };
        self.metrics.render(&gauges)
    }

    /// `GET /passkey/activity`: the signed-in user's security activity, newest first, `limit`
    /// (default 50, at most 200) events older than the `before` cursor.
    pub fn activity(&self, auth: &Authenticated, before: Option<&str>, limit: Option<u32>) -> Result<ActivityPage> {
        self.user_activity(&auth.user.id, before, limit)
    }

    /// A user's security activity by id, for admin tools: as [`Kavach::activity`].
    pub fn user_activity(&self, user_id: &str, before: Option<&str>, limit: Option<u32>) -> Result<ActivityPage> {
        let limit = match limit {
            None => DEFAULT_ACTIVITY_LIMIT,
            Some(n @ 1..=MAX_ACTIVITY_LIMIT) => n,
            Some(_) => return Err(Error::invalid_request("limit must be between 1 and 200")),
        };
        let before = before.map(decode_cursor).transpose()?;
        // One more than asked: whether there is a next page, without a second query.
        let mut rows = self.store.events_of_user(user_id, before, limit + 1)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match more {
            true => rows.last().map(|row| encode_cursor(row.id)),
            false => None,
        };
        Ok(ActivityPage { events: rows.iter().map(|row| row.event.to_json()).collect(), next_cursor })
    }

    /// What a change stores with itself: `events` unless the audit log is off, and (at most once
    /// a minute per instance, so that a sign-in does not pay for it) the retention sweep.
    pub(crate) fn audit<'a>(&self, events: &'a [Event]) -> Audit<'a> {
        if !self.settings.audit {
            return Audit::NONE;
        }
        let now = self.now();
        let last = self.last_event_sweep.load(Ordering::Relaxed);
        let sweep = now.saturating_sub(last) >= EVENT_SWEEP_INTERVAL_MS
            && self.last_event_sweep.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok();
        let expire_before = if sweep { now.saturating_sub(self.settings.audit_retention_ms) } else { i64::MIN };
        Audit { events, expire_before }
    }

    /// After the change committed: counted, and queued for the handler.
    pub(crate) fn publish(&self, events: Vec<Event>) {
        self.metrics.record_events(&events);
        if let Some(queue) = self.event_queue.get()
            && !events.is_empty()
        {
            let n = events.len() as u64;
            queue.published.fetch_add(n, Ordering::Relaxed);
            if !queue.outbox.push(events) {
                queue.dropped.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// A refused sign-in: published, and stored (aggregated, off the request path, so that
    /// neither its cost nor its timing tells a real credential from an unknown one) when it
    /// names someone's passkey. Internal failures are not the client's attempt: published only.
    pub(crate) fn sign_in_failed(&self, concerned: Option<(String, Vec<u8>)>, err: &Error) {
        let mut event = Event::new(EventType::SigninFailed, self.now()).code(err.code().as_str());
        if let Some((user_id, credential_id)) = concerned {
            event = event.user(&user_id).credential(&credential_id);
            if self.settings.audit && err.family() != ErrorFamily::Internal {
                self.failure_outbox.push(event.clone());
            }
        }
        let mut events = vec![event];
        if err.code() == ErrorCode::CounterRegression {
            let mut regression = events[0].clone();
            regression.kind = EventType::CounterRegression;
            regression.code = None;
            events.push(regression);
        }
        self.publish(events);
    }

    /// The failure queue's worker: one aggregated upsert per failed sign-in.
    pub(crate) fn failure_writer(store: std::sync::Arc<dyn crate::store::Store>) -> Handler<Event> {
        Box::new(move |event: &Event| {
            let window_start = event.at - event.at.rem_euclid(FAILURE_WINDOW_MS);
            if let Err(err) = store.record_failure(event, window_start) {
                crate::log::internal_error(&format!("storing a failed sign-in: {}", err.message()));
            }
        })
    }
}

fn encode_cursor(id: i64) -> String {
    base64url::encode(id.to_string().as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<i64> {
    let bad = || Error::invalid_request("before is not a cursor this list gave");
    let bytes = base64url::decode(cursor, "before").map_err(|_| bad())?;
    std::str::from_utf8(&bytes).ok().and_then(|text| text.parse::<i64>().ok()).filter(|id| *id > 0).ok_or_else(bad)
}
