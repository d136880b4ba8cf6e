//! Delivery to a host's handler off the request path: a bounded queue drained by one thread.
//!
//! A request never waits on the handler. When the queue is full the item is dropped and counted
//! (the audit log, written in the database transaction, is what must not lose anything; the
//! handler is a notification). A handler that panics loses that one item, not the worker.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

/// The host's handler.
pub(crate) type Handler<T> = Box<dyn Fn(&T) + Send + Sync>;

enum Message<T> {
    Item(T),
    /// Answered once everything queued before it has been handed to the handler.
    Flush(SyncSender<()>),
}

/// A bounded queue and the thread that hands its items to the handler.
pub(crate) struct Outbox<T> {
    sender: Mutex<Option<SyncSender<Message<T>>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    dropped: AtomicU64,
    delivered: AtomicU64,
    queued: AtomicU64,
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
        let (sender, receiver) = mpsc::sync_channel(capacity);
        let counts = Arc::new(Counts::default());
        let worker_counts = Arc::clone(&counts);
        let worker = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || drain(&receiver, &handler, &worker_counts))?;
        Ok(Self { sender: Mutex::new(Some(sender)), worker: Mutex::new(Some(worker)), counts })
    }

    /// Queues an item, or drops (and counts) it when the queue is full or closed. Never blocks.
    pub(crate) fn push(&self, item: T) {
        let sender = self.sender.lock();
        let sent = match sender.as_ref() {
            Some(sender) => {
                // Counted before sending, so that the worker never sees an item it cannot count.
                self.counts.queued.fetch_add(1, Ordering::Relaxed);
                match sender.try_send(Message::Item(item)) {
                    Ok(()) => true,
                    Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                        self.counts.queued.fetch_sub(1, Ordering::Relaxed);
                        false
                    }
                }
            }
            None => false,
        };
        if !sent {
            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits (at most `timeout`) until everything queued so far has been handed to the handler.
    /// Returns whether it was.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let (done, wait) = mpsc::sync_channel(1);
        let sent = match self.sender.lock().as_ref() {
            // Blocking send: a flush waits for room behind what is queued.
            Some(sender) => sender.send(Message::Flush(done)).is_ok(),
            None => return true,
        };
        sent && wait.recv_timeout(timeout).is_ok()
    }

    /// Delivers what is pending (waiting at most `timeout`), then stops the worker. Items pushed
    /// afterwards are dropped and counted.
    pub(crate) fn close(&self, timeout: Duration) -> bool {
        let flushed = self.flush(timeout);
        self.sender.lock().take();
        if flushed && let Some(worker) = self.worker.lock().take() {
            let _ = worker.join();
        }
        flushed
    }

    pub(crate) fn stats(&self) -> OutboxStats {
        OutboxStats {
            dropped: self.counts.dropped.load(Ordering::Relaxed),
            delivered: self.counts.delivered.load(Ordering::Relaxed),
            queued: self.counts.queued.load(Ordering::Relaxed),
        }
    }
}

impl<T> Drop for Outbox<T> {
    fn drop(&mut self) {
        // Disconnects the worker, which delivers what is queued and ends; not joined: a host
        // handler that blocks must not hang the host's shutdown (close() is the orderly way).
        self.sender.get_mut().take();
    }
}

fn drain<T>(receiver: &Receiver<Message<T>>, handler: &Handler<T>, counts: &Counts) {
    while let Ok(message) = receiver.recv() {
        match message {
            Message::Item(item) => {
                counts.queued.fetch_sub(1, Ordering::Relaxed);
                if catch_unwind(AssertUnwindSafe(|| handler(&item))).is_err() {
                    crate::log::internal_error("an event handler panicked; the event was not delivered");
                }
                counts.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Message::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

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
        // 4 queued, at most 1 taken by the blocked worker.
        assert!(stats.dropped >= 95, "{stats:?}");
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
