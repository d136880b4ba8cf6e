//! Where internal errors go. The engine has no logging framework of its own: by default internal
//! details are written to stderr, and a host (or a binding) can install its own sink once.

use std::sync::OnceLock;

type Sink = Box<dyn Fn(&str) + Send + Sync>;

static SINK: OnceLock<Sink> = OnceLock::new();

/// Installs the function that receives internal error details. Only the first call has an effect;
/// returns whether this call installed the sink.
pub fn set_internal_error_sink(sink: impl Fn(&str) + Send + Sync + 'static) -> bool {
    SINK.set(Box::new(sink)).is_ok()
}

pub(crate) fn internal_error(detail: &str) {
    match SINK.get() {
        Some(sink) => sink(detail),
        None => eprintln!("kavach: internal error: {detail}"),
    }
}

/// Something the operator should fix that does not stop kavach (a deprecated option, a stale
/// metadata BLOB): to the same sink, marked as a warning.
pub(crate) fn warning(detail: &str) {
    match SINK.get() {
        Some(sink) => sink(&format!("warning: {detail}")),
        None => eprintln!("kavach: warning: {detail}"),
    }
}
