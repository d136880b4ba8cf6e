// The Fastify plugin: it only translates (method, path, every header, the raw body, the socket's
// peer in; status, headers with each Set-Cookie, body out). Routes, statuses, cookies, error
// bodies and the client key are the core's, as with the Express middleware (http.test.mjs).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import Fastify from 'fastify';
import { createKavach } from 'kavachos';
import { options, ORIGIN } from './helpers/config.mjs';
import { SoftAuthenticator } from './helpers/authenticator.mjs';

const kavach = await createKavach(options());
const cookieOf = (setCookie) => setCookie.split(';')[0];

const apps = [];
after(() => Promise.all(apps.map((app) => app.close())));

/** A Fastify app with the plugin (and whatever `setup` adds), listening on loopback. */
async function serve(instance = kavach, setup = () => {}) {
  const app = Fastify();
  apps.push(app);
  setup(app);
  app.register(instance.fastify());
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${app.server.address().port}`;
}

/** A request through node:http, for what fetch cannot send (repeated header fields, no content-type). */
function raw(base, { method = 'GET', path, headers = [], body, agent }) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    // node:http takes repeated fields as a flat [name, value, name, value, ...] list.
    // With a list, node:http adds no Host header itself.
    const flat = ['host', `${hostname}:${port}`, ...headers.flat()];
    const req = http.request({ host: hostname, port, method, path, headers: flat, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          reused: req.reusedSocket,
          body: JSON.parse(Buffer.concat(chunks).toString() || 'null'),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const base = await serve(kavach, (app) => {
  // A host route: Fastify's own JSON parser still applies outside the plugin.
  app.post('/demo/echo', async (request) => ({ echoed: request.body }));
});

test('fastify: full register + sign-in ceremony through the plugin, cookies written', async () => {
  const user = await kavach.users.create({ email: 'fastify@example.com' });
  const { setCookie } = await kavach.sessions.create(user.id);
  const cookie = cookieOf(setCookie);
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });

  const creation = await fetch(`${base}/auth/passkey/register/options`, { method: 'POST', headers: { cookie } });
  assert.equal(creation.status, 200);
  const registered = await fetch(`${base}/auth/passkey/register/verify`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json', origin: ORIGIN },
    body: JSON.stringify(authenticator.register(await creation.json())),
  });
  assert.equal(registered.status, 200);
  assert.equal((await registered.json()).credential.id, authenticator.id);

  const request = await (await fetch(`${base}/auth/passkey/authenticate/options`, { method: 'POST' })).json();
  const signedIn = await fetch(`${base}/auth/passkey/authenticate/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN },
    body: JSON.stringify(authenticator.authenticate(request)),
  });
  assert.equal(signedIn.status, 200);
  assert.equal(signedIn.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(signedIn.headers.get('cache-control'), 'no-store');
  const body = await signedIn.json();
  assert.equal(body.userId, user.id);
  assert.equal(body.token, undefined, 'the token is never in a JSON body');
  const [newCookie] = signedIn.headers.getSetCookie();
  assert.match(newCookie, /^kavach_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Lax; Path=\/; Max-Age=604800$/);

  const session = await fetch(`${base}/auth/session`, { headers: { cookie: cookieOf(newCookie) } });
  assert.equal(session.status, 200);
  assert.equal((await session.json()).user.id, user.id);
  const list = await fetch(`${base}/auth/passkey/credentials`, { headers: { cookie: cookieOf(newCookie) } });
  assert.equal((await list.json()).credentials.length, 1);

  const signOut = await fetch(`${base}/auth/sign-out`, { method: 'POST', headers: { cookie: cookieOf(newCookie) } });
  assert.equal(signOut.status, 200);
  assert.match(signOut.headers.getSetCookie()[0], /^kavach_session=; .*Max-Age=0/);
  assert.equal((await fetch(`${base}/auth/session`, { headers: { cookie: cookieOf(newCookie) } })).status, 401);
});

test('fastify: core errors keep their status, body {error, code, status} and headers', async () => {
  const cases = [
    [{ path: '/auth/session' }, 401, 'UNAUTHORIZED'],
    [{ path: '/auth/nothing-here' }, 404, 'NOT_FOUND'],
    [{ path: '/auth' }, 404, 'NOT_FOUND'],
    [{ path: '/auth/session', method: 'DELETE' }, 405, 'METHOD_NOT_ALLOWED'],
    [{ path: '/auth/passkey/authenticate/options', method: 'POST', body: '{oops' }, 400, 'INVALID_REQUEST'],
    [
      {
        path: '/auth/passkey/authenticate/options',
        method: 'POST',
        body: '{}',
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      },
      403,
      'FORBIDDEN_ORIGIN',
    ],
  ];
  for (const [{ path, ...init }, status, code] of cases) {
    const res = await fetch(`${base}${path}`, init);
    assert.equal(res.status, status, path);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    const body = await res.json();
    assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'status'], path);
    assert.equal(body.code, code);
    assert.equal(body.status, status);
    assert.equal(typeof body.error, 'string');
  }
  const method = await fetch(`${base}/auth/session`, { method: 'DELETE' });
  assert.equal(method.headers.get('allow'), 'GET');
});

test('fastify: the body reaches the core raw, whatever its content type, and host routes keep their parser', async () => {
  const user = await kavach.users.create({ email: 'fastify-raw@example.com' });
  const { token } = await kavach.sessions.create(user.id);
  const body = JSON.stringify({ name: 'Raw key' });
  for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded', null]) {
    const headers = [['authorization', `Bearer ${token}`]];
    if (type) headers.push(['content-type', type]);
    const res = await raw(base, { method: 'POST', path: '/auth/passkey/register/options', headers, body });
    assert.equal(res.status, 200, String(type));
    assert.equal(res.body.user.name, 'fastify-raw@example.com');
  }
  const rejected = await fetch(`${base}/auth/passkey/register/options`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ unknownField: 1 }),
  });
  assert.equal(rejected.status, 400, 'the bytes reach the core, which refuses the unknown field');
  assert.equal((await rejected.json()).code, 'INVALID_REQUEST');

  const echo = await fetch(`${base}/demo/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"a":1}',
  });
  assert.deepEqual(await echo.json(), { echoed: { a: 1 } });
});

test('fastify: over 64 KiB is the core 413 PAYLOAD_TOO_LARGE, and the keep-alive connection serves the next request', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const path = '/auth/passkey/authenticate/options';
  const headers = [['content-type', 'application/json']];
  try {
    const big = await raw(base, {
      method: 'POST',
      path,
      headers,
      agent,
      body: JSON.stringify({ email: 'x'.repeat(300_000) }),
    });
    assert.equal(big.status, 413);
    assert.deepEqual(big.body, { error: 'request body is larger than 64 KiB', code: 'PAYLOAD_TOO_LARGE', status: 413 });
    const next = await raw(base, { method: 'POST', path, headers, agent, body: '{}' });
    assert.equal(next.status, 200);
    assert.ok(next.reused, 'the same connection');
    assert.ok(next.body.challenge);
  } finally {
    agent.destroy();
  }
  // Exactly 64 KiB is within the limit.
  const exact = `{"email":"${'x'.repeat(64 * 1024 - 12)}"}`;
  assert.equal(Buffer.byteLength(exact), 64 * 1024);
  const atLimit = await raw(base, { method: 'POST', path, headers, body: exact });
  assert.equal(atLimit.status, 200);
  assert.ok(atLimit.body.challenge);
});

test('fastify: every Cookie header field is read (the session in the second one)', async () => {
  const user = await kavach.users.create({ email: 'fastify-cookies@example.com' });
  const { setCookie } = await kavach.sessions.create(user.id);
  const headers = [
    ['cookie', 'theme=dark; kavach_session=not-a-token'],
    ['cookie', cookieOf(setCookie)],
  ];
  const res = await raw(base, { path: '/auth/session', headers });
  assert.equal(res.status, 200);
  assert.equal(res.body.user.id, user.id);
  const none = await raw(base, { path: '/auth/session', headers: [headers[0], ['cookie', 'other=1']] });
  assert.equal(none.status, 401);
  assert.deepEqual(Object.keys(none.body).sort(), ['code', 'error', 'status']);
});

test('fastify: a Set-Cookie set by a host hook is kept next to the core one', async () => {
  const local = await serve(kavach, (app) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.header('set-cookie', 'host_pref=dark; Path=/');
    });
  });
  const user = await kavach.users.create({ email: 'fastify-setcookie@example.com' });
  const { setCookie } = await kavach.sessions.create(user.id);
  const res = await fetch(`${local}/auth/sign-out`, { method: 'POST', headers: { cookie: cookieOf(setCookie) } });
  assert.equal(res.status, 200);
  const cookies = res.headers.getSetCookie();
  assert.equal(cookies.length, 2);
  assert.equal(cookies[0], 'host_pref=dark; Path=/');
  assert.match(cookies[1], /^kavach_session=; .*Max-Age=0/);
});

test('fastify: the socket peer is the client key; X-Forwarded-For counts only from a trusted proxy', async () => {
  const post = (at, forwardedFor) =>
    fetch(`${at}/auth/passkey/authenticate/options`, {
      method: 'POST',
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      body: '{}',
    }).then((res) => res.status);

  // Untrusted peer: inventing X-Forwarded-For addresses gets no fresh budget, and Fastify's
  // own trustProxy does not change that (the core decides).
  const untrusted = await createKavach(options({ rateLimit: { max: 1, window: 60 } }));
  const app = Fastify({ trustProxy: true });
  apps.push(app);
  app.register(untrusted.fastify());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const plain = `http://127.0.0.1:${app.server.address().port}`;
  assert.deepEqual([await post(plain, '192.0.2.1'), await post(plain, '192.0.2.2')], [200, 429]);
  const limited = await fetch(`${plain}/auth/passkey/authenticate/options`, { method: 'POST', body: '{}' });
  assert.equal(limited.status, 429);
  const body = await limited.json();
  assert.equal(body.code, 'RATE_LIMITED');
  assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After passes through');

  // Behind a trusted proxy (loopback), each forwarded client has its own budget, and an
  // address the client prepends is not believed.
  const trusted = await createKavach(
    options({ rateLimit: { max: 1, window: 60 }, trustedProxies: ['127.0.0.0/8', '::1'] }),
  );
  const proxied = await serve(trusted);
  assert.deepEqual(
    [
      await post(proxied, '192.0.2.10'),
      await post(proxied, '192.0.2.11'),
      await post(proxied, '192.0.2.10'),
      await post(proxied, '198.51.100.1, 192.0.2.10'),
    ],
    [200, 200, 429, 429],
  );
});

test('fastify: registered under a prefix, the plugin refuses with a clear message', async () => {
  const app = Fastify();
  app.register(kavach.fastify(), { prefix: '/api' });
  await assert.rejects(app.ready(), /register it without a prefix.*basePath \(\/auth\)/);
});

test('fastify: the well-known documents kavach serves are answered at the root, and only those', async () => {
  const related = await createKavach(options({}, { relatedOrigins: ['https://shop.example.co.uk'] }));
  const withDocs = await serve(related, (app) => {
    // The host's own file at another well-known path stays the host's.
    app.get('/.well-known/assetlinks.json', async () => [{ relation: ['host'] }]);
  });
  const webauthn = await fetch(`${withDocs}/.well-known/webauthn`);
  assert.equal(webauthn.status, 200);
  assert.deepEqual(await webauthn.json(), { origins: [ORIGIN, 'https://shop.example.co.uk'] });
  assert.deepEqual(await (await fetch(`${withDocs}/.well-known/assetlinks.json`)).json(), [{ relation: ['host'] }]);
  // Without relatedOrigins the path is not kavach's: Fastify's own 404.
  assert.equal((await fetch(`${base}/.well-known/webauthn`)).status, 404);
});
