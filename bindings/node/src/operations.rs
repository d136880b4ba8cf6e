//! Operations (DESIGN §10): the event handler, `close`, metrics, the user's activity and the
//! process-wide log hook.
//!
//! Events and log lines reach JavaScript through a napi threadsafe function: the core calls its
//! handler on a thread of its own (after commit, through a bounded queue that counts drops), the
//! handler queues the JSON text for the main thread without waiting (`NonBlocking`) and returns.
//! The threadsafe function's own queue is unbounded: every event comes from a request (or a host
//! call) that the main thread started, so it cannot outgrow what the main thread produces. It is
//! weak (unref'd): pending events never keep the process alive. The JS layer wraps the host's
//! function so that it never throws back into napi.

use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kavach_core::Kavach;
use napi::bindgen_prelude::{AsyncTask, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status, Task};
use napi_derive::napi;

use crate::error::{guarded, to_json, to_napi};
use crate::instance::KavachNative;
use crate::task::json_task;

/// What crosses to the main thread: an event's (or log line's) JSON, or a marker that every
/// earlier delivery has run (its sender is answered when the main thread reaches it).
pub(crate) enum Delivery {
    Json(String),
    Drained(SyncSender<()>),
}

/// The JS function receives the JSON text, or `null` for a marker.
pub(crate) type Deliver = ThreadsafeFunction<Delivery, (), Option<String>, Status, false, true>;

/// A weak threadsafe function over `callback`.
fn deliver(callback: &Function<Option<String>, ()>) -> napi::Result<Deliver> {
    callback.build_threadsafe_function::<Delivery>().callee_handled::<false>().weak::<true>().build_callback(|ctx| {
        Ok(match ctx.value {
            Delivery::Json(json) => Some(json),
            Delivery::Drained(done) => {
                // The receiver may have given up waiting: nothing to tell then.
                let _ = done.send(());
                None
            }
        })
    })
}

/// How long `close` waits for the main thread to run the delivered events' handlers.
const DRAIN_WAIT: Duration = Duration::from_secs(5);

/// Task behind `close`.
pub struct Close {
    kavach: Arc<Kavach>,
    events: Option<Arc<Deliver>>,
}

impl Task for Close {
    type Output = bool;
    type JsValue = bool;

    fn compute(&mut self) -> napi::Result<bool> {
        let closed = guarded(|| Ok(self.kavach.close()))?;
        // The core handed every pending event to the threadsafe function; a marker behind them
        // tells when the main thread has run their handlers (this task keeps the loop alive
        // until then, which the weak function alone would not).
        let drained = match &self.events {
            None => true,
            Some(events) => {
                let (done, wait) = sync_channel(1);
                events.call(Delivery::Drained(done), ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok
                    && wait.recv_timeout(DRAIN_WAIT).is_ok()
            }
        };
        Ok(closed && drained)
    }

    fn resolve(&mut self, _env: Env, closed: bool) -> napi::Result<bool> {
        Ok(closed)
    }
}

json_task! {
    /// `activity(session, {before?, limit?})`: `{events, nextCursor}`.
    Activity { kavach: Arc<Kavach>, session: String, before: Option<String>, limit: Option<u32> } => |this| {
        to_json(&this.kavach.activity_json(&this.session, this.before.as_deref(), this.limit)?)
    }
}

#[napi]
impl KavachNative {
    /// Hands every event (its JSON) to `callback` on the main thread, after its change commits.
    /// One handler per instance (`INVALID_CONFIG` otherwise).
    #[napi(ts_args_type = "callback: (json: string | null) => void")]
    pub fn set_event_handler(&self, callback: Function<Option<String>, ()>) -> napi::Result<()> {
        let events = Arc::new(deliver(&callback)?);
        let sender = Arc::clone(&events);
        self.inner
            .set_event_handler(move |event| {
                // `Closing` once Node tears the environment down: nobody left to tell.
                let _ =
                    sender.call(Delivery::Json(event.to_json().to_string()), ThreadsafeFunctionCallMode::NonBlocking);
            })
            .map_err(|err| to_napi(&err))?;
        *self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(events);
        Ok(())
    }

    /// Delivers pending events (and runs their handlers), stores pending failed sign-ins and
    /// flushes the log hook; `false` when that took longer than 5 s.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn close(&self) -> AsyncTask<Close> {
        let events = self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        AsyncTask::new(Close { kavach: Arc::clone(&self.inner), events })
    }

    /// The Prometheus text exposition (format 0.0.4). Rendering reads counters only (no I/O),
    /// so it runs on the calling thread.
    #[napi]
    pub fn metrics(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.metrics()))
    }

    /// The session user's own security activity, newest first, as JSON `{events, nextCursor}`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn activity(&self, session: String, before: Option<String>, limit: Option<u32>) -> AsyncTask<Activity> {
        AsyncTask::new(Activity { kavach: Arc::clone(&self.inner), session, before, limit })
    }
}

/// The process-wide log hook's function, kept so a later call can replace it.
static LOG_HOOK: Mutex<Option<Arc<Deliver>>> = Mutex::new(None);

/// Sends every log line (JSON text) to `callback` on the main thread instead of stderr.
/// Process-wide; replaces an earlier hook.
#[napi(ts_args_type = "callback: (json: string | null) => void")]
pub fn set_log_hook(callback: Function<Option<String>, ()>) -> napi::Result<()> {
    let hook = Arc::new(deliver(&callback)?);
    let sender = Arc::clone(&hook);
    kavach_core::set_log_hook(move |line| {
        let _ = sender.call(Delivery::Json(line.to_owned()), ThreadsafeFunctionCallMode::NonBlocking);
    })
    .map_err(|err| napi::Error::from_reason(format!("starting the log hook's thread: {err}")))?;
    *LOG_HOOK.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(hook);
    Ok(())
}

/// Removes the log hook: lines go to stderr again.
#[napi]
pub fn clear_log_hook() {
    kavach_core::clear_log_hook();
    LOG_HOOK.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
}
