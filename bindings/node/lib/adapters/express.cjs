'use strict';
// Express 4/5 (and plain node:http) adapter. Requests under basePath go to the core; any other
// path is passed on with next(). The body is the raw bytes, read here, unless a body parser
// already consumed it, in which case its result (Buffer, string or parsed JSON) is turned back
// into bytes.
//
// This runs on every auth request, so it talks to the native module directly (no argument
// checks to redo, no tuple conversion) and uses only node:http's own primitives: Express's
// helpers (res.status().set().json(), req.get()) cost more and are not needed to write bytes.

const { fromNative } = require('../errors.cjs');
const { readStream } = require('./body.cjs');

function parsedBody(req) {
  // body-parser / express.json() mark the stream consumed with `_body`; express 5 leaves
  // req.body undefined when no parser ran.
  const consumed = req._body === true || req.readableEnded === true;
  if (!consumed || req.body === undefined) return undefined;
  const body = req.body;
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body === null) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/**
 * The request headers as flat `name, value` pairs, all of them (the core picks what it reads,
 * case-insensitively). From `req.headers`, so a header an earlier middleware set or rewrote is
 * seen, and repeated headers are already merged the way Node merges them (Cookie joined with
 * '; ').
 */
function headerList(headers) {
  const flat = [];
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') {
      flat.push(name, value);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) flat.push(name, String(value[i]));
    } else if (value !== undefined && value !== null) {
      flat.push(name, String(value));
    }
  }
  return flat;
}

/**
 * The peer of the connection (the socket's remote address), from which the core derives the
 * rate-limit client key: the peer itself, or, when it is one of the config's `trustedProxies`,
 * the rightmost X-Forwarded-For entry that is not (DESIGN §11). Express's `req.ip` and its
 * 'trust proxy' setting are not used: the core decides, the same way for every adapter.
 */
function clientKey(req) {
  const ip = req.socket?.remoteAddress;
  return typeof ip === 'string' ? ip : null;
}

function hasContentLength(flat) {
  for (let i = 0; i < flat.length; i += 2) if (flat[i].toLowerCase() === 'content-length') return true;
  return false;
}

/** Writes the core's response with node:http primitives. */
function send(res, out) {
  const headers = out.headers;
  if (res.getHeaderNames().length === 0 && !hasContentLength(headers)) {
    // Nothing set by earlier middleware: the core's flat list goes to one writeHead, the
    // cheapest path through node:http. The head is then final before the body is written, so
    // it carries the Content-Length that end() would otherwise have added.
    headers.push('content-length', String(out.body.length));
    res.writeHead(out.status, headers);
    res.end(out.body);
    return;
  }
  res.statusCode = out.status;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i].toLowerCase();
    if (name === 'set-cookie') {
      // Appended, never replacing: a cookie an earlier middleware set (a host session) stays.
      const earlier = res.getHeader('set-cookie');
      res.setHeader('set-cookie', earlier === undefined ? [headers[i + 1]] : [].concat(earlier, headers[i + 1]));
    } else {
      res.setHeader(name, headers[i + 1]);
    }
  }
  res.end(out.body);
}

function expressMiddleware(native) {
  return function kavachMiddleware(req, res, next) {
    const url = req.originalUrl ?? req.url;
    if (!native.handlesPath(url)) {
      if (typeof next === 'function') return next();
      res.statusCode = 404;
      return res.end();
    }
    const parsed = parsedBody(req);
    const body = parsed === undefined ? readStream(req) : Promise.resolve(parsed);
    body
      .then((bytes) => native.handle(req.method, url, headerList(req.headers), bytes, clientKey(req)))
      .then((out) => send(res, out))
      .catch((err) => {
        if (typeof next === 'function') return next(fromNative(err));
        res.statusCode = 500;
        res.end();
      });
  };
}

module.exports = { expressMiddleware, headerList };
