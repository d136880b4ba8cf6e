//! Operations (DESIGN §10): the event handler, metrics, the user's activity, and the
//! process-wide log hook.
//!
//! The core calls the event handler and the log hook on threads of its own; each call takes the
//! GIL there ([`Python::try_attach`]: nothing is called once the interpreter is shutting down).
//! The Python side (`kavach_passkeys._operations`) wraps the host's function so that it never
//! raises into Rust; an exception that still escapes is printed as unraisable and the next event
//! is delivered as usual.

use std::time::Duration;

use kavach_core::Event;
use pyo3::prelude::*;

use crate::convert::to_python;
use crate::error::{run, run_json};
use crate::instance::KavachNative;

/// Calls `callable(arg)` with the GIL taken on the calling (kavach) thread.
fn call_python(callable: &Py<PyAny>, arg: impl FnOnce(Python<'_>) -> PyResult<Bound<'_, PyAny>>) {
    let _ = Python::try_attach(|py| {
        if let Err(err) = arg(py).and_then(|arg| callable.bind(py).call1((arg,))) {
            err.write_unraisable(py, Some(callable.bind(py)));
        }
    });
}

fn timeout(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX)
}

/// A page size as the core takes it: one out of `u32`'s range becomes 0, which the core refuses
/// with `INVALID_REQUEST` like any other out-of-range limit.
pub(crate) fn page_limit(limit: i64) -> u32 {
    u32::try_from(limit).unwrap_or(0)
}

#[pymethods]
impl KavachNative {
    /// Hands every event (`{type, at, userId?, ...}` as a dict) to `handler`, on kavach's
    /// event thread after the change commits. One handler per instance: `INVALID_CONFIG` after.
    fn set_event_handler(&self, py: Python<'_>, handler: Py<PyAny>) -> PyResult<()> {
        let kavach = self.inner.clone();
        run(py, move || {
            kavach.set_event_handler(move |event: &Event| {
                call_python(&handler, |py| to_python(py, &event.to_json()));
            })
        })
    }

    /// Waits at most `timeout` seconds until the handler has received every event so far.
    fn flush_events(&self, py: Python<'_>, timeout_seconds: f64) -> bool {
        let kavach = self.inner.clone();
        py.detach(move || kavach.flush_events(timeout(timeout_seconds)))
    }

    /// Delivers pending events and log lines (at most 5 s), then stops the event thread.
    fn close(&self, py: Python<'_>) -> bool {
        let kavach = self.inner.clone();
        py.detach(move || kavach.close())
    }

    /// The Prometheus text exposition (format 0.0.4).
    fn metrics(&self, py: Python<'_>) -> String {
        let kavach = self.inner.clone();
        py.detach(move || kavach.metrics())
    }

    /// The session user's own activity: `{events, nextCursor}`.
    #[pyo3(signature = (session, before=None, limit=None))]
    fn activity<'py>(
        &self,
        py: Python<'py>,
        session: String,
        before: Option<String>,
        limit: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kavach = self.inner.clone();
        run_json(py, move || {
            kavach.activity_json(&session, before.as_deref(), limit.map(crate::operations::page_limit))
        })
    }
}

/// Sends every log line (JSON text) to `hook` instead of stderr, on kavach's log thread.
#[pyfunction]
pub(crate) fn set_log_hook(py: Python<'_>, hook: Py<PyAny>) -> PyResult<()> {
    py.detach(move || {
        kavach_core::set_log_hook(move |line: &str| {
            call_python(&hook, |py| Ok(pyo3::types::PyString::new(py, line).into_any()));
        })
    })
    .map_err(|err| pyo3::exceptions::PyOSError::new_err(err.to_string()))
}

/// Removes the log hook (lines go to stderr again), after delivering what it had pending.
#[pyfunction]
pub(crate) fn clear_log_hook(py: Python<'_>) {
    py.detach(kavach_core::clear_log_hook);
}

/// Waits at most `timeout` seconds until the log hook has received every line so far.
#[pyfunction]
pub(crate) fn flush_log(py: Python<'_>, timeout_seconds: f64) -> bool {
    py.detach(move || kavach_core::flush_log(timeout(timeout_seconds)))
}
