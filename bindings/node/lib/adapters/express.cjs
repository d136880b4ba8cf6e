'use strict';
// Express 4/5 (and plain node:http) adapter. Requests under basePath go to the core; any other
// path is passed on with next(). The body is the raw bytes, read here, unless a body parser
// already consumed it, in which case its result (Buffer, string or parsed JSON) is turned back
// into bytes.

const { readLimited } = require('./body.cjs');

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

function expressMiddleware(kavach) {
  return function kavachMiddleware(req, res, next) {
    const url = req.originalUrl ?? req.url;
    if (!kavach.handlesPath(url)) {
      if (typeof next === 'function') return next();
      res.statusCode = 404;
      return res.end();
    }
    (async () => {
      const body = parsedBody(req) ?? (await readLimited(req));
      const out = await kavach.handle({ method: req.method, path: url, headers: req.headers, body });
      res.statusCode = out.status;
      const grouped = new Map();
      for (const [name, value] of out.headers) {
        const key = name.toLowerCase();
        if (!grouped.has(key)) grouped.set(key, []);
        grouped.get(key).push(value);
      }
      for (const [name, values] of grouped) {
        res.setHeader(name, values.length === 1 && name !== 'set-cookie' ? values[0] : values);
      }
      res.end(out.body);
    })().catch((err) => {
      if (typeof next === 'function') return next(err);
      res.statusCode = 500;
      res.end();
    });
  };
}

module.exports = { expressMiddleware };
