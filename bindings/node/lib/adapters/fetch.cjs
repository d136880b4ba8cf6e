'use strict';
// Fetch API adapter: a `Request` becomes a core request, the core response a `Response`.
// Every path goes to the core, so a path outside basePath gets the core's 404 JSON.

const { readLimited } = require('./body.cjs');

/**
 * `options.client` is the connection's peer address as the host knows it (a Fetch `Request` has
 * none); the core derives the client key from it, the headers and `trustedProxies`. Anything but a string is ignored: frameworks that call the handler
 * themselves pass a second argument of their own (Next.js `{params}`, Bun its server, Workers
 * their env), and it must not be mistaken for a key.
 */
async function fetchHandler(kavach, request, options) {
  const url = new URL(request.url);
  const body = request.body ? await readLimited(request.body) : Buffer.alloc(0);
  const client = typeof options?.client === 'string' ? options.client : null;
  const res = await kavach.handle({
    method: request.method,
    path: url.pathname + url.search,
    headers: request.headers,
    body,
    client,
  });
  const headers = new Headers();
  // append, not set: each Set-Cookie stays its own header (Headers#getSetCookie()).
  for (const [name, value] of res.headers) headers.append(name, value);
  const empty = res.status === 204 || res.status === 304;
  return new Response(empty ? null : res.body, { status: res.status, headers });
}

module.exports = { fetchHandler };
