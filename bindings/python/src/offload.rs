//! `Completions`: runs router requests on native worker threads for the ASGI adapters, and hands
//! the answers back to the event loop without the workers ever taking the GIL.
//!
//! Why not `loop.run_in_executor`: a Python worker thread takes the GIL to start the call, again
//! to resolve the future, and wakes the loop through its self-pipe; on a busy event loop every
//! one of those handoffs waits for the loop thread to drop the GIL. Measured on the sign-in
//! benchmark (one core) that cost about 40 us of CPU per off-loop request, more than the core's
//! work for it. Here a worker only copies its result into a queue and, if the loop has not been
//! told yet, writes one byte into a pipe that the loop watches (`loop.add_reader`); the loop then
//! drains the queue in one call and resolves the futures itself.
//!
//! Invariant: at most one byte is ever unread in the pipe (`notified` says whether it is there),
//! so the loop's read of one byte, done only when the pipe is readable, never blocks.

use std::io::{PipeReader, PipeWriter, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use kavach_core::Kavach;
use kavach_core::http::{Request, Response};
use pyo3::prelude::*;

use crate::error::guarded;
use crate::http::{AsgiResponse, asgi_response, header_pairs};
use crate::instance::KavachNative;

/// Worker threads: as many as Python's default executor would start (`min(32, cpus + 4)`); they
/// mostly wait (for SQLite's writer lock, an fsync, PostgreSQL).
fn worker_count() -> usize {
    thread::available_parallelism().map_or(1, usize::from).saturating_add(4).min(32)
}

/// The answers of one event loop's requests, and the pipe that tells the loop about them.
#[pyclass(frozen, module = "kavach_passkeys._native")]
pub struct Completions {
    shared: Arc<Shared>,
    reader: Mutex<PipeReader>,
    next_ticket: AtomicU64,
}

struct Shared {
    state: Mutex<State>,
}

struct State {
    done: Vec<(u64, Response)>,
    /// Whether a byte is waiting in the pipe.
    notified: bool,
    wake: PipeWriter,
}

struct Job {
    ticket: u64,
    kavach: Arc<Kavach>,
    request: Request,
    shared: Arc<Shared>,
}

#[pymethods]
impl Completions {
    #[new]
    fn new() -> PyResult<Self> {
        let (reader, wake) = std::io::pipe()?;
        let state = State { done: Vec::new(), notified: false, wake };
        Ok(Self {
            shared: Arc::new(Shared { state: Mutex::new(state) }),
            reader: Mutex::new(reader),
            next_ticket: AtomicU64::new(0),
        })
    }

    /// The pipe's read end, for `loop.add_reader`.
    fn fileno(&self) -> i32 {
        lock(&self.reader).as_raw_fd()
    }

    /// Copies one request and queues it for a worker thread; returns its ticket.
    #[pyo3(signature = (native, method, path, headers, body, client=None))]
    fn submit(
        &self,
        native: &KavachNative,
        method: String,
        path: String,
        headers: &Bound<'_, PyAny>,
        body: &[u8],
        client: Option<String>,
    ) -> PyResult<u64> {
        let request = Request { method, path, headers: header_pairs(headers)?, body: body.to_vec(), client };
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        let job = Job { ticket, kavach: native.inner.clone(), request, shared: self.shared.clone() };
        pool_submit(job)?;
        Ok(ticket)
    }

    /// The answers ready so far, as `[(ticket, (status, headers, body))]`. Call it only when the
    /// pipe is readable (from the `add_reader` callback).
    fn drain<'py>(&self, py: Python<'py>) -> PyResult<Vec<(u64, AsgiResponse<'py>)>> {
        // The byte first, then the queue: a worker that finishes in between sees `notified`
        // still set and writes nothing, and its answer is taken below.
        let mut byte = [0u8; 1];
        lock(&self.reader).read_exact(&mut byte)?;
        let done = {
            let mut state = lock(&self.shared.state);
            state.notified = false;
            std::mem::take(&mut state.done)
        };
        done.into_iter().map(|(ticket, response)| Ok((ticket, asgi_response(py, response)?))).collect()
    }
}

impl Shared {
    fn finish(&self, ticket: u64, response: Response) {
        let mut state = lock(&self.state);
        state.done.push((ticket, response));
        if !state.notified {
            state.notified = true;
            // Fails only if the loop side is gone (the `Completions` was dropped): nobody waits.
            let _ = state.wake.write_all(&[1]);
        }
    }
}

/// The worker pool, shared by every `Completions` of the process; started on first use, and
/// again in a forked child (which inherits no threads).
static POOL: Mutex<Option<(u32, Sender<Job>)>> = Mutex::new(None);

fn pool_submit(job: Job) -> PyResult<()> {
    let mut pool = lock(&POOL);
    let pid = std::process::id();
    if pool.as_ref().is_none_or(|(owner, _)| *owner != pid) {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..worker_count() {
            let receiver = receiver.clone();
            thread::Builder::new().name(format!("kavach-worker-{index}")).spawn(move || work(&receiver))?;
        }
        *pool = Some((pid, sender));
    }
    let (_, sender) = pool.as_ref().ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("no worker pool"))?;
    sender.send(job).map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("the worker pool stopped"))
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = match lock(receiver).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let Job { ticket, kavach, request, shared } = job;
        // `Kavach::handle` answers every failure with an error response; the guard is for a
        // panic outside it.
        let response = guarded(|| Ok(kavach.handle(&request))).unwrap_or_else(|err| Response::error(&err));
        shared.finish(ticket, response);
    }
}

/// Every lock here guards plain data that a panic cannot leave half-written.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
