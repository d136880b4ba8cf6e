//! Just enough HTTP/1.1 for a local demo, on `std::net`: one thread per connection, keep-alive,
//! `Content-Length` bodies. Nothing here knows about kavach: requests and responses are the core's
//! framework-neutral `kavach_core::http` types, so the router needs no translation at all.
//!
//! Why not tiny_http: its connection pool can leave a new keep-alive connection queued behind
//! others that stay open (a browser opens six at once), and the page then hangs until they close.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kavach_core::http::{Request, Response};

/// More than a few browsers' worth; past it, new connections get a 503 and are closed.
const MAX_CONNECTIONS: usize = 128;
/// An idle keep-alive connection (or a slow client) is closed after this.
const IDLE_TIMEOUT: Duration = Duration::from_secs(15);
/// Request line plus headers.
const MAX_HEAD_BYTES: u64 = 16 * 1024;

/// Serves forever on every listener, calling `handle` for every request. `max_body` bytes at
/// most are read from a body (the handler sees a longer one as over the limit); the connection is
/// then closed.
pub fn serve<H>(listeners: Vec<TcpListener>, max_body: usize, handle: H) -> !
where
    H: Fn(Request) -> Response + Send + Sync + 'static,
{
    let handle: Arc<dyn Fn(Request) -> Response + Send + Sync> = Arc::new(handle);
    let open = Arc::new(AtomicUsize::new(0));
    let mut listeners = listeners;
    let Some(last) = listeners.pop() else { panic!("serve needs at least one listener") };
    for listener in listeners {
        let (handle, open) = (Arc::clone(&handle), Arc::clone(&open));
        std::thread::spawn(move || accept_loop(&listener, max_body, &handle, &open));
    }
    accept_loop(&last, max_body, &handle, &open)
}

type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

fn accept_loop(listener: &TcpListener, max_body: usize, handle: &Handler, open: &Arc<AtomicUsize>) -> ! {
    loop {
        let Ok((stream, _)) = listener.accept() else { continue };
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            let busy = Response { status: 503, headers: vec![], body: b"busy".to_vec() };
            let _ = write_response(&stream, &busy, false, true);
            continue;
        }
        let (handle, open) = (Arc::clone(handle), Arc::clone(open));
        std::thread::spawn(move || {
            // An I/O error only ends this connection.
            let _ = connection(&stream, max_body, &*handle);
            open.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

fn connection(stream: &TcpStream, max_body: usize, handle: &dyn Fn(Request) -> Response) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    loop {
        let Some(head) = read_head(&mut reader)? else { return Ok(()) };
        let Head { method, path, headers, http10 } = match head {
            Ok(head) => head,
            Err(status) => {
                let response = Response { status, headers: vec![], body: Vec::new() };
                return write_response(stream, &response, false, true);
            }
        };
        let header = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        if header("transfer-encoding").is_some() {
            let response = Response { status: 411, headers: vec![], body: b"send a Content-Length".to_vec() };
            return write_response(stream, &response, false, true);
        }
        let length: u64 = match header("content-length").map(|v| v.trim().parse()) {
            None => 0,
            Some(Ok(length)) => length,
            Some(Err(_)) => {
                return write_response(stream, &Response { status: 400, headers: vec![], body: vec![] }, false, true);
            }
        };
        let limit = u64::try_from(max_body).unwrap_or(u64::MAX);
        let mut body = Vec::new();
        (&mut reader).take(length.min(limit)).read_to_end(&mut body)?;
        // A body we did not read to its end leaves the stream mid-request: close after answering.
        let close =
            length > limit || http10 || header("connection").is_some_and(|v| v.to_ascii_lowercase().contains("close"));
        let is_head = method.eq_ignore_ascii_case("HEAD");
        // The peer's address is the client key for the optional rate limit (behind a reverse
        // proxy, take the client entry your proxy appends to X-Forwarded-For instead).
        let client = stream.peer_addr().ok().map(|peer| peer.ip().to_string());
        let response = handle(Request { method, path, headers, body, client });
        write_response(stream, &response, is_head, close)?;
        if close {
            return Ok(());
        }
    }
}

struct Head {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    http10: bool,
}

/// `None` when the client closed the connection between requests; `Err(status)` for a malformed
/// or oversized head.
fn read_head(reader: &mut BufReader<&TcpStream>) -> std::io::Result<Option<Result<Head, u16>>> {
    let mut limited = reader.take(MAX_HEAD_BYTES);
    let mut line = String::new();
    if limited.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(Some(Err(400)));
    };
    if !version.starts_with("HTTP/1.") || !path.starts_with('/') {
        return Ok(Some(Err(400)));
    }
    let (method, path, http10) = (method.to_owned(), path.to_owned(), version == "HTTP/1.0");
    let mut headers = Vec::new();
    loop {
        line.clear();
        if limited.read_line(&mut line)? == 0 {
            return Ok(Some(Err(431))); // over MAX_HEAD_BYTES, or the client stopped mid-head
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return Ok(Some(Ok(Head { method, path, headers, http10 })));
        }
        let Some((name, value)) = line.split_once(':') else { return Ok(Some(Err(400))) };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

fn write_response(mut stream: &TcpStream, response: &Response, is_head: bool, close: bool) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, reason(response.status));
    for (name, value) in &response.headers {
        // Header text comes from the core or from this program; refuse to send a line break.
        if !name.contains(['\r', '\n']) && !value.contains(['\r', '\n']) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!("content-length: {}\r\n", response.body.len()));
    head.push_str(if close { "connection: close\r\n\r\n" } else { "connection: keep-alive\r\n\r\n" });
    stream.write_all(head.as_bytes())?;
    if !is_head {
        stream.write_all(&response.body)?;
    }
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}
