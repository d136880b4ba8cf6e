// The kavach demo on Fastify 5: the page from examples/web at /, every passkey endpoint under /auth
// through kavach.fastify(), and the demo-only POST /demo/signup. Environment (see run.sh):
// PORT, DATABASE_URL, KAVACH_SECRET, KAVACH_USER_VERIFICATION, KAVACH_ATTESTATION,
// KAVACH_PASSKEY_OPTIONS_JSON, KAVACH_METRICS_TOKEN (when set, GET /metrics wants
// `Authorization: Bearer <it>`).
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Fastify from 'fastify';
import { createKavach, KavachError, setLogHook } from 'kavachos';
import { passkey } from 'kavachos/plugins/passkey';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(process.env.KAVACH_WEB_DIR ?? path.join(here, '..', 'web'));
const vendorDir = path.join(webDir, 'node_modules/@simplewebauthn/browser/esm');
const port = Number(process.env.PORT || 3000);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`kavach demo: PORT must be a port number (1-65535), not ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}
const origin = `http://localhost:${port}`;

const DEMO_SECRET = 'kavach-demo-secret-not-for-production-use!!';
if (!process.env.KAVACH_SECRET) {
  console.warn('KAVACH_SECRET is not set: using a fixed demo secret (never do this in production)');
}

function database(url) {
  if (!url) return { provider: 'sqlite', url: `file:${path.join(here, 'kavach.db')}` };
  if (/^postgres(ql)?:\/\//.test(url)) return { provider: 'postgres', url };
  return { provider: 'sqlite', url };
}

/** KAVACH_PASSKEY_OPTIONS_JSON: a JSON object merged over the passkey options (DESIGN §8). */
function passkeyOverrides(text) {
  if (!text) return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    console.error(`kavach demo: KAVACH_PASSKEY_OPTIONS_JSON is not valid JSON (${error.message})`);
    process.exit(1);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    console.error('kavach demo: KAVACH_PASSKEY_OPTIONS_JSON must be a JSON object, e.g. {"hints":["client-device"]}');
    process.exit(1);
  }
  return value;
}

// Operations (docs/operations.md): kavach's log lines (refusals, internal errors, warnings) and its
// security events, one JSON object per line on stdout, for your log collector.
setLogHook((line) => console.log(line));

let kavach;
try {
  kavach = await createKavach({
    onEvent: (event) => console.log(JSON.stringify({ event })),
    database: database(process.env.DATABASE_URL),
    secret: process.env.KAVACH_SECRET ?? DEMO_SECRET,
    baseUrl: origin,
    plugins: [
      passkey({
        rpName: 'Kavach demo',
        rpId: 'localhost',
        origin: [origin],
        userVerification: process.env.KAVACH_USER_VERIFICATION ?? 'preferred',
        attestation: process.env.KAVACH_ATTESTATION ?? 'none',
        ...passkeyOverrides(process.env.KAVACH_PASSKEY_OPTIONS_JSON),
      }),
    ],
  });
} catch (error) {
  if (!(error instanceof KavachError)) throw error;
  console.error(`kavach demo: ${error.message}`);
  process.exit(1);
}

const app = Fastify();

// Every route under /auth: kavach answers, with its own status codes, errors and cookies. The
// client key of the optional per-client rate limit comes from the socket's peer; behind your own
// reverse proxy, list it in createKavach's `trustedProxies` (Fastify's trustProxy is not used).
app.register(kavach.fastify());

/** `Authorization: Bearer <token>`, compared in constant time. */
function bearerMatches(header, token) {
  const given = Buffer.from(String(header ?? ''));
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

// Prometheus metrics. They tell how your sign-in is used: in production serve them on an internal
// port or behind a check like this one (the demo itself listens on loopback only).
app.get('/metrics', (request, reply) => {
  const token = process.env.KAVACH_METRICS_TOKEN;
  if (token && !bearerMatches(request.headers.authorization, token)) {
    return reply.code(401).header('www-authenticate', 'Bearer').send({
      error: 'metrics need a token',
      code: 'UNAUTHORIZED',
      status: 401,
    });
  }
  return reply
    .header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(kavach.metrics());
});

// Demo only: a real app creates users through its own sign-up, then starts a session like this.
app.post('/demo/signup', { bodyLimit: 64 * 1024 }, async (request, reply) => {
  if (request.headers.origin && request.headers.origin !== origin) {
    throw new KavachError('FORBIDDEN_ORIGIN', 403, 'requests from this origin are not allowed');
  }
  const { email, name } = request.body ?? {};
  if (typeof email !== 'string') throw new KavachError('INVALID_REQUEST', 400, 'email is required');
  const user = await kavach.users.create({
    email,
    name: typeof name === 'string' && name.trim() ? name : undefined,
  });
  const session = await kavach.sessions.create(user.id);
  reply.header('set-cookie', session.setCookie).header('cache-control', 'no-store');
  return { user };
});

// The page and the browser library, straight from examples/web (no static-file plugin needed).
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

async function sendFile(reply, file) {
  let body;
  try {
    body = await fs.readFile(file);
  } catch {
    return reply.code(404).send({ error: 'not found', code: 'NOT_FOUND', status: 404 });
  }
  return reply
    .header('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream')
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .send(body);
}

app.get('/', (request, reply) => sendFile(reply, path.join(webDir, 'index.html')));
for (const name of ['index.html', 'app.js', 'style.css']) {
  app.get(`/${name}`, (request, reply) => sendFile(reply, path.join(webDir, name)));
}
app.get('/vendor/simplewebauthn/*', (request, reply) => {
  const rest = request.params['*'];
  // Files below the vendor directory only: no '..', no hidden files, no absolute paths.
  const parts = rest.split('/');
  if (!rest || parts.some((part) => part === '' || part.startsWith('.'))) {
    return reply.code(404).send({ error: 'not found', code: 'NOT_FOUND', status: 404 });
  }
  return sendFile(reply, path.join(vendorDir, ...parts));
});

// Errors as the core shapes them: {error, code, status} with the right status, never a stack trace.
app.setNotFoundHandler((request, reply) =>
  reply.code(404).send({ error: 'not found', code: 'NOT_FOUND', status: 404 }),
);
app.setErrorHandler((err, request, reply) => {
  if (err instanceof KavachError) return reply.code(err.status).send(err.toJSON());
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.code(413).send({
      error: 'request body is larger than 64 KiB',
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
    });
  }
  if (err.statusCode === 400 || err.statusCode === 415) {
    return reply.code(400).send({
      error: 'body must be JSON: {email, name?}',
      code: 'INVALID_REQUEST',
      status: 400,
    });
  }
  console.error(err);
  return reply.code(500).send({ error: 'internal error', code: 'INTERNAL', status: 500 });
});

// Listen on both loopback addresses: a browser opening http://localhost:PORT may try either, so
// a port that another server holds on just one of them must stop the demo, not send half the
// requests elsewhere. A taken port is an error and exit status 1, never a silent success.
// Fastify's `app.routing` is its request handler, so each node:http server is a plain one.
await app.ready();
const LOOPBACK = ['127.0.0.1', '::1'];
const NO_IPV6 = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

function listen(host) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app.routing);
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

// Delivers the events still queued for onEvent before the process goes.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    for (const server of servers) server.close();
    await kavach.close();
    process.exit(0);
  });
}

const servers = [];
for (const host of LOOPBACK) {
  try {
    servers.push(await listen(host));
  } catch (error) {
    if (host === '::1' && NO_IPV6.has(error.code)) continue; // a machine without IPv6
    const reason = error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be opened (${error.code})`;
    console.error(
      `kavach demo: port ${port} on ${host} ${reason}: stop the other server or choose another port, e.g. PORT=${port + 1}`,
    );
    for (const server of servers) server.close();
    process.exit(1);
  }
}
console.log(`kavach demo on ${origin} (passkeys under ${origin}/auth)`);
