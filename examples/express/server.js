// The kavach demo on Express 5: the page from examples/web at /, every passkey endpoint under /auth
// through kavach.express(), and the demo-only POST /demo/signup. Environment (see run.sh):
// PORT, DATABASE_URL, KAVACH_SECRET, KAVACH_USER_VERIFICATION, KAVACH_ATTESTATION,
// KAVACH_PASSKEY_OPTIONS_JSON (merged over the passkey({...}) options), KAVACH_OPTIONS_JSON
// (merged over the top-level createKavach({...}) options, e.g. trustedProxies, rateLimit) and
// KAVACH_METRICS_TOKEN (when set, GET /metrics wants `Authorization: Bearer <it>`).
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import express from 'express';
import { createKavach, KavachError, setLogHook } from 'kavachos';
import { passkey } from 'kavachos/plugins/passkey';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(process.env.KAVACH_WEB_DIR ?? path.join(here, '..', 'web'));
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

// A JSON object from the environment, or {} when unset; anything else stops the demo.
function jsonObjectFromEnv(name) {
  const text = process.env[name];
  if (!text) return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    console.error(`kavach demo: ${name} is not valid JSON: ${error.message}`);
    process.exit(1);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    console.error(`kavach demo: ${name} must be a JSON object, not ${JSON.stringify(value)}`);
    process.exit(1);
  }
  return value;
}
const passkeyOverrides = jsonObjectFromEnv('KAVACH_PASSKEY_OPTIONS_JSON');
const topOverrides = jsonObjectFromEnv('KAVACH_OPTIONS_JSON');

function database(url) {
  if (!url) return { provider: 'sqlite', url: `file:${path.join(here, 'kavach.db')}` };
  if (/^postgres(ql)?:\/\//.test(url)) return { provider: 'postgres', url };
  return { provider: 'sqlite', url };
}

// Operations (docs/operations.md): kavach's log lines (refusals, internal errors, warnings) and its
// security events, one JSON object per line on stdout, for your log collector.
setLogHook((line) => console.log(line));

const kavach = await createKavach({
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
      ...passkeyOverrides,
    }),
  ],
  ...topOverrides,
});

/** `Authorization: Bearer <token>`, compared in constant time. */
function bearerMatches(header, token) {
  const given = Buffer.from(String(header ?? ''));
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

const app = express();
app.disable('x-powered-by');

// Behind your own reverse proxy, list it in `trustedProxies` (createKavach; here through
// KAVACH_OPTIONS_JSON): the middleware hands kavach the socket's peer address and the headers, and
// the core takes the client key of its optional rate limit from X-Forwarded-For only when that
// peer is a trusted proxy (Express's own 'trust proxy' setting is not consulted).

// Every route under /auth: kavach answers, with its own status codes, errors and cookies.
app.use(kavach.express());

// Prometheus metrics. They tell how your sign-in is used: in production serve them on an internal
// port or behind a check like this one (the demo itself listens on loopback only).
app.get('/metrics', (req, res) => {
  const token = process.env.KAVACH_METRICS_TOKEN;
  if (token && !bearerMatches(req.headers.authorization, token)) {
    return res
      .status(401)
      .set('WWW-Authenticate', 'Bearer')
      .json({ error: 'metrics need a token', code: 'UNAUTHORIZED' });
  }
  res
    .set('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
    .set('Cache-Control', 'no-store')
    .send(Buffer.from(kavach.metrics())); // a Buffer: Express leaves the content type as it is
});

// Demo only: a real app creates users through its own sign-up, then starts a session like this.
app.post('/demo/signup', express.json({ limit: '64kb' }), async (req, res) => {
  if (req.headers.origin && req.headers.origin !== origin) {
    throw new KavachError('FORBIDDEN_ORIGIN', 403, 'requests from this origin are not allowed');
  }
  const { email, name } = req.body ?? {};
  if (typeof email !== 'string') throw new KavachError('INVALID_REQUEST', 400, 'email is required');
  const user = await kavach.users.create({ email, name: typeof name === 'string' && name.trim() ? name : undefined });
  const session = await kavach.sessions.create(user.id);
  res.append('Set-Cookie', session.setCookie).set('Cache-Control', 'no-store').json({ user });
});

app.use('/vendor/simplewebauthn', express.static(path.join(webDir, 'node_modules/@simplewebauthn/browser/esm')));
app.use(express.static(webDir, { index: 'index.html', dotfiles: 'ignore' }));

// Errors as the core shapes them: {error, code} with the right status, never a stack trace.
app.use((err, req, res, _next) => {
  if (err instanceof KavachError) return res.status(err.status).json({ error: err.message, code: err.code });
  if (err?.type === 'entity.parse.failed') {
    return res.status(400).json({ error: 'body must be JSON: {email, name?}', code: 'INVALID_REQUEST' });
  }
  if (err?.type === 'entity.too.large') {
    return res.status(413).json({ error: 'request body is larger than 64 KiB', code: 'PAYLOAD_TOO_LARGE' });
  }
  console.error(err);
  res.status(500).json({ error: 'internal error', code: 'INTERNAL' });
});

// Listen on both loopback addresses: a browser opening http://localhost:PORT may try either, so
// a port that another server holds on just one of them must stop the demo, not send half the
// requests elsewhere. A taken port is an error and exit status 1, never a silent success.
const LOOPBACK = ['127.0.0.1', '::1'];
const NO_IPV6 = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT']);

function listen(host) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
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
