//! Delivery to a host's handler off the request path: a bounded queue drained by one thread.
//!
//! A request never waits on the handler. When the queue is full the item is dropped and counted
//! (the audit log, written in the database transaction, is what must not lose anything; the
//! handler is a notification). A handler that panics loses that one item, not the worker.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// The host's handler.
pub(crate) type Handler<T> = Box<dyn Fn(&T) + Send + Sync>;

/// How long the worker lets items gather before it takes them: under load a push then costs a
/// lock, never a wake-up of another thread (a system call on the request path). A quiet queue's
/// worker sleeps until woken.
const GATHER: Duration = Duration::from_millis(5);

/// A bounded queue and the thread that hands its items to the handler.
pub(crate) struct Outbox<T> {
    shared: Arc<Shared<T>>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// The worker waits here for items (or a flush, or closing).
    wake: Condvar,
    /// Flushes wait here for `delivered` to pass their mark.
    progress: Condvar,
    capacity: usize,
}

struct State<T> {
    items: VecDeque<T>,
    /// The worker is asleep until woken (not merely gathering).
    idle: bool,
    closed: bool,
    /// Items pushed, handed to the handler, and dropped (full or closed), since the start.
    pushed: u64,
    delivered: u64,
    dropped: u64,
}

/// What [`Outbox::stats`] reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OutboxStats {
    pub(crate) dropped: u64,
    pub(crate) delivered: u64,
    pub(crate) queued: u64,
}

impl<T: Send + 'static> Outbox<T> {
    /// Starts the worker thread `name`, holding at most `capacity` undelivered items.
    pub(crate) fn start(name: &str, capacity: usize, handler: Handler<T>) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                items: VecDeque::new(),
                idle: false,
                closed: false,
                pushed: 0,
                delivered: 0,
                dropped: 0,
            }),
            wake: Condvar::new(),
            progress: Condvar::new(),
            capacity,
        });
        let worker_shared = Arc::clone(&shared);
        let worker =
            std::thread::Builder::new().name(name.to_owned()).spawn(move || drain(&worker_shared, &handler))?;
        Ok(Self { shared, worker: Mutex::new(Some(worker)) })
    }

    /// Queues an item, or drops (and counts) it when the queue is full or closed. Never blocks
    /// (beyond a short lock). Returns whether it was queued.
    pub(crate) fn push(&self, item: T) -> bool {
        let mut state = self.shared.state.lock();
        if state.closed || state.items.len() >= self.shared.capacity {
            state.dropped += 1;
            return false;
        }
        state.items.push_back(item);
        state.pushed += 1;
        // Only a sleeping worker, or a filling queue, is worth a wake-up.
        if state.idle || state.items.len() >= self.shared.capacity / 2 {
            state.idle = false;
            self.shared.wake.notify_one();
        }
        true
    }

    /// Waits (at most `timeout`) until everything queued so far has been handed to the handler.
    /// Returns whether it was.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.state.lock();
        let mark = state.pushed;
        self.shared.wake.notify_one();
        while state.delivered < mark {
            if state.closed && self.worker.lock().is_none() && state.items.is_empty() {
                break;
            }
            if self.shared.progress.wait_until(&mut state, deadline).timed_out() {
                return state.delivered >= mark;
            }
        }
        true
    }

    /// Delivers what is pending (waiting at most `timeout`), then stops the worker. Items pushed
    /// afterwards are dropped and counted.
    pub(crate) fn close(&self, timeout: Duration) -> bool {
        let flushed = self.flush(timeout);
        self.shared.state.lock().closed = true;
        self.shared.wake.notify_one();
        if flushed && let Some(worker) = self.worker.lock().take() {
            let _ = worker.join();
        }
        flushed
    }

    pub(crate) fn stats(&self) -> OutboxStats {
        let state = self.shared.state.lock();
        OutboxStats { dropped: state.dropped, delivered: state.delivered, queued: state.items.len() as u64 }
    }
}

impl<T> Drop for Outbox<T> {
    fn drop(&mut self) {
        // The worker delivers what is queued and ends; not joined: a host handler that blocks
        // must not hang the host's shutdown (close() is the orderly way).
        self.shared.state.lock().closed = true;
        self.shared.wake.notify_one();
    }
}

fn drain<T>(shared: &Shared<T>, handler: &Handler<T>) {
    let mut state = shared.state.lock();
    loop {
        if state.items.is_empty() {
            if state.closed {
                return;
            }
            // Gather for a moment; still nothing: sleep until a push wakes us.
            shared.wake.wait_for(&mut state, GATHER);
            if state.items.is_empty() && !state.closed {
                state.idle = true;
                shared.wake.wait(&mut state);
                state.idle = false;
            }
            continue;
        }
        let batch: Vec<T> = state.items.drain(..).collect();
        drop(state);
        let n = batch.len() as u64;
        for item in &batch {
            if catch_unwind(AssertUnwindSafe(|| handler(item))).is_err() {
                crate::log::internal_error("an event handler panicked; the event was not delivered");
            }
        }
        state = shared.state.lock();
        state.delivered += n;
        shared.progress.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[test]
    fn delivers_in_order_and_flushes() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let outbox = Outbox::start("test", 16, Box::new(move |n: &u32| sink.lock().push(*n))).unwrap();
        for n in 0..10 {
            outbox.push(n);
        }
        assert!(outbox.flush(Duration::from_secs(5)));
        assert_eq!(*seen.lock(), (0..10).collect::<Vec<_>>());
        assert_eq!(outbox.stats(), OutboxStats { dropped: 0, delivered: 10, queued: 0 });
    }

    #[test]
    fn a_slow_handler_never_blocks_a_push_and_drops_are_counted() {
        let release = Arc::new(AtomicBool::new(false));
        let gate = Arc::clone(&release);
        let outbox = Outbox::start(
            "test",
            4,
            Box::new(move |_: &u32| {
                while !gate.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }),
        )
        .unwrap();
        let started = std::time::Instant::now();
        for n in 0..100 {
            outbox.push(n);
        }
        assert!(started.elapsed() < Duration::from_secs(2), "push waited on the handler");
        let stats = outbox.stats();
        // 4 queued, and what the worker took before its handler blocked (at most half a queue).
        assert!(stats.dropped >= 94, "{stats:?}");
        release.store(true, Ordering::Relaxed);
        assert!(outbox.close(Duration::from_secs(5)));
        let stats = outbox.stats();
        assert_eq!(stats.dropped + stats.delivered, 100);
        outbox.push(1);
        assert_eq!(outbox.stats().dropped, stats.dropped + 1);
    }

    #[test]
    fn a_panicking_handler_loses_one_item_not_the_worker() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let outbox = Outbox::start(
            "test",
            16,
            Box::new(move |n: &u32| {
                assert_ne!(*n, 1, "a host bug");
                sink.lock().push(*n);
            }),
        )
        .unwrap();
        for n in 0..3 {
            outbox.push(n);
        }
        assert!(outbox.close(Duration::from_secs(5)));
        assert_eq!(*seen.lock(), vec![0, 2]);
    }
}
