'use strict';
// Reading a request body for the core: at most one byte more than the core's limit, so that an
// oversized body still reaches the core, which answers 413 PAYLOAD_TOO_LARGE itself.

const native = require('../native.cjs');

const READ_LIMIT = native.maxBodyBytes() + 1;

/** Collects chunks from an async iterable of bytes, stopping after READ_LIMIT bytes. */
async function readLimited(chunks) {
  const parts = [];
  let total = 0;
  for await (const chunk of chunks) {
    const buf =
      typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    parts.push(buf);
    total += buf.length;
    if (total >= READ_LIMIT) break; // leaving the loop stops the stream; the rest is never buffered
  }
  const body = Buffer.concat(parts, total);
  return body.length > READ_LIMIT ? body.subarray(0, READ_LIMIT) : body;
}

module.exports = { READ_LIMIT, readLimited };
