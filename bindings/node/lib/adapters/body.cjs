'use strict';
// Reading a request body for the core: at most one byte more than the core's limit, so that an
// oversized body still reaches the core, which answers 413 PAYLOAD_TOO_LARGE itself.

const native = require('../native.cjs');

const READ_LIMIT = native.maxBodyBytes() + 1;

/** Collects chunks from an async iterable of bytes (a web ReadableStream), stopping after READ_LIMIT bytes. */
async function readLimited(chunks) {
  const parts = [];
  let total = 0;
  for await (const chunk of chunks) {
    const buf = toBuffer(chunk);
    parts.push(buf);
    total += buf.length;
    if (total >= READ_LIMIT) break; // leaving the loop stops the stream; the rest is never buffered
  }
  return joined(parts, total);
}

/**
 * Collects a Node readable (an `IncomingMessage`) with plain 'data'/'end' listeners: on the
 * per-request hot path this is several times cheaper than `for await`, whose async iterator
 * sets up `finished()` bookkeeping and a promise per chunk. Past READ_LIMIT bytes it stops
 * collecting and lets the stream keep flowing into nothing, like body-parser does, so a
 * keep-alive connection is not left stalled behind an unread body. Rejects if the stream
 * errors or closes before its end (the client went away). Once settled, later events ('close'
 * always follows 'end') change nothing, so the listeners stay until the request is collected.
 */
function readStream(stream) {
  if (stream.readableEnded) return Promise.resolve(Buffer.alloc(0)); // already consumed by someone else
  return new Promise((resolve, reject) => {
    const parts = [];
    let total = 0;
    let settled = false;
    const onData = (chunk) => {
      const buf = toBuffer(chunk);
      parts.push(buf);
      total += buf.length;
      if (total >= READ_LIMIT) {
        stream.removeListener('data', onData); // still flowing: the rest is read and dropped, never buffered
        settled = true;
        resolve(joined(parts, total));
      }
    };
    stream.on('data', onData);
    stream.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(joined(parts, total));
    });
    stream.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(err);
    });
    stream.on('close', () => {
      if (settled) return;
      settled = true;
      const err = new Error('request body closed before its end');
      err.code = 'ERR_STREAM_PREMATURE_CLOSE';
      reject(err);
    });
    stream.resume(); // also when an earlier handler paused it
  });
}

function toBuffer(chunk) {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function joined(parts, total) {
  const body = parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
  return body.length > READ_LIMIT ? body.subarray(0, READ_LIMIT) : body;
}

module.exports = { READ_LIMIT, readLimited, readStream };
