// The router through the binding: handle(), the Fetch handler and the Express middleware only
// translate; routes, statuses, cookies and error bodies are the core's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';

import express from 'express';
import { createKavach, Kavach } from 'kavachos';
import { options, ORIGIN } from './helpers/config.mjs';
import { SoftAuthenticator } from './helpers/authenticator.mjs';

const kavach = await createKavach(options());
const cookieOf = (setCookie) => setCookie.split(';')[0];

test('handle: request in, status + header tuples + Buffer body out', async () => {
  const res = await kavach.handle({
    method: 'POST',
    path: '/auth/passkey/authenticate/options',
    headers: {},
    body: '{}',
  });
  assert.equal(res.status, 200);
  assert.ok(Buffer.isBuffer(res.body));
  assert.ok(res.headers.some(([n, v]) => n === 'content-type' && v.startsWith('application/json')));
  assert.ok(JSON.parse(res.body).challenge);
});

test('handle: headers as object, array pairs or Headers; body as string, Buffer, object', async () => {
  const user = await kavach.users.create({ email: 'h@example.com', name: 'H' });
  const { token, setCookie } = await kavach.sessions.create(user.id);
  for (const headers of [
    { authorization: `Bearer ${token}` },
    [['Cookie', cookieOf(setCookie)]],
    new Headers({ Authorization: `Bearer ${token}` }),
    { cookie: [cookieOf(setCookie)] },
  ]) {
    const res = await kavach.handle({ method: 'GET', path: '/auth/session', headers });
    assert.equal(res.status, 200, JSON.stringify(headers));
    assert.deepEqual(JSON.parse(res.body).user, user);
  }
  for (const body of [
    '{"email":"h@example.com"}',
    Buffer.from('{"email":"h@example.com"}'),
    { email: 'h@example.com' },
  ]) {
    const res = await kavach.handle({ method: 'POST', path: '/auth/passkey/authenticate/options', body });
    assert.equal(res.status, 200);
  }
});

test('handle: core error bodies and statuses pass through unchanged', async () => {
  const cases = [
    [{ method: 'GET', path: '/auth/session' }, 401, 'UNAUTHORIZED'],
    [{ method: 'GET', path: '/auth/nope' }, 404, 'NOT_FOUND'],
    [{ method: 'GET', path: '/elsewhere' }, 404, 'NOT_FOUND'],
    [{ method: 'PUT', path: '/auth/session' }, 405, 'METHOD_NOT_ALLOWED'],
    [{ method: 'POST', path: '/auth/passkey/authenticate/options', body: '{' }, 400, 'INVALID_REQUEST'],
    [
      { method: 'POST', path: '/auth/passkey/authenticate/options', headers: { origin: 'https://evil.example' } },
      403,
      'FORBIDDEN_ORIGIN',
    ],
    [
      { method: 'POST', path: '/auth/passkey/authenticate/options', body: Buffer.alloc(64 * 1024 + 1, 0x20) },
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ];
  for (const [request, status, code] of cases) {
    const res = await kavach.handle(request);
    assert.equal(res.status, status, `${request.method} ${request.path}`);
    const body = JSON.parse(res.body);
    assert.equal(body.code, code);
    assert.equal(typeof body.error, 'string');
  }
});

// ---- Fetch API

test('handler: a Request in, a Response out, with status and Set-Cookie', async () => {
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  const user = await kavach.users.create({ email: 'fetch@example.com' });
  const { token } = await kavach.sessions.create(user.id);
  await kavach.registerVerify(token, authenticator.register(await kavach.registerOptions(token)));

  const { handler } = kavach; // bound: usable as `export const POST = kavach.handler`
  const optionsRes = await handler(
    new Request(`${ORIGIN}/auth/passkey/authenticate/options`, { method: 'POST', body: '{}' }),
  );
  assert.ok(optionsRes instanceof Response);
  assert.equal(optionsRes.status, 200);
  assert.equal(optionsRes.headers.get('cache-control'), 'no-store');
  const requestOptions = await optionsRes.json();

  const verifyRes = await handler(
    new Request(`${ORIGIN}/auth/passkey/authenticate/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify(authenticator.authenticate(requestOptions)),
    }),
  );
  assert.equal(verifyRes.status, 200);
  const body = await verifyRes.json();
  assert.equal(body.userId, user.id);
  assert.equal(body.token, undefined, 'the token is never in a JSON body');
  const [setCookie] = verifyRes.headers.getSetCookie();
  assert.match(setCookie, /^kavach_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Lax; Path=\/; Max-Age=604800$/);

  const signOut = await handler(
    new Request(`${ORIGIN}/auth/sign-out`, { method: 'POST', headers: { cookie: cookieOf(setCookie) } }),
  );
  assert.equal(signOut.status, 200);
  assert.match(signOut.headers.getSetCookie()[0], /^kavach_session=; .*Max-Age=0/);
});

test('handler: paths outside basePath get the core 404; oversized bodies the core 413', async () => {
  const outside = await kavach.handler(new Request(`${ORIGIN}/other`));
  assert.equal(outside.status, 404);
  assert.equal((await outside.json()).code, 'NOT_FOUND');
  const big = await kavach.handler(
    new Request(`${ORIGIN}/auth/passkey/authenticate/options`, { method: 'POST', body: 'x'.repeat(200_000) }),
  );
  assert.equal(big.status, 413);
  assert.equal((await big.json()).code, 'PAYLOAD_TOO_LARGE');
});

test('handler: multiple Set-Cookie headers stay separate', async () => {
  // The core sends one per response; prove the translation preserves each one by feeding the
  // adapter's Response builder two through handle().
  const fake = {
    handle: async () => ({
      status: 200,
      headers: [
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ],
      body: Buffer.from('{}'),
    }),
  };
  const res = await Kavach.prototype.handler.call(fake, new Request(`${ORIGIN}/auth/session`));
  assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
});

// ---- Express

let server;
let base;
let parsedServer;
let parsedBase;

before(async () => {
  const app = express();
  app.use(kavach.express());
  app.post('/demo/echo', express.json(), (req, res) => res.json({ echoed: req.body }));
  app.use((req, res) => res.status(418).json({ fallthrough: true }));
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${server.address().port}`;

  // a second app where body parsers run before kavach
  const parsedApp = express();
  parsedApp.use(express.json(), express.text(), express.raw({ type: 'application/octet-stream' }));
  parsedApp.use(kavach.express());
  parsedServer = parsedApp.listen(0, '127.0.0.1');
  await once(parsedServer, 'listening');
  parsedBase = `http://127.0.0.1:${parsedServer.address().port}`;
});

after(() => {
  server?.close();
  parsedServer?.close();
});

test('express: full register + sign-in over HTTP, cookies written', async () => {
  const user = await kavach.users.create({ email: 'express@example.com' });
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
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(authenticator.authenticate(request)),
  });
  assert.equal(signedIn.status, 200);
  assert.equal(signedIn.headers.get('content-type'), 'application/json; charset=utf-8');
  const [newCookie] = signedIn.headers.getSetCookie();
  assert.match(newCookie, /^kavach_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Lax; Path=\/; Max-Age=604800$/);

  const session = await fetch(`${base}/auth/session`, { headers: { cookie: cookieOf(newCookie) } });
  assert.equal(session.status, 200);
  assert.equal((await session.json()).user.id, user.id);

  const list = await fetch(`${base}/auth/passkey/credentials`, { headers: { cookie: cookieOf(newCookie) } });
  assert.equal((await list.json()).credentials.length, 1);
});

test('express: paths outside basePath go to next()', async () => {
  const res = await fetch(`${base}/demo/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"a":1}',
  });
  assert.deepEqual(await res.json(), { echoed: { a: 1 } });
  const other = await fetch(`${base}/authx/session`);
  assert.equal(other.status, 418);
});

test('express: core errors with their status and allow header', async () => {
  const unauthorized = await fetch(`${base}/auth/session`);
  assert.equal(unauthorized.status, 401);
  assert.equal((await unauthorized.json()).code, 'UNAUTHORIZED');
  const notFound = await fetch(`${base}/auth/nothing-here`);
  assert.equal(notFound.status, 404);
  const method = await fetch(`${base}/auth/session`, { method: 'DELETE' });
  assert.equal(method.status, 405);
  assert.equal(method.headers.get('allow'), 'GET');
  const badJson = await fetch(`${base}/auth/passkey/authenticate/options`, { method: 'POST', body: '{oops' });
  assert.equal(badJson.status, 400);
});

test('express: an oversized body gets the core 413', async () => {
  const res = await fetch(`${base}/auth/passkey/authenticate/options`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'x'.repeat(100_000) }),
  });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).code, 'PAYLOAD_TOO_LARGE');
});

test('express: a body already parsed by a body parser (object, string, Buffer) is used', async () => {
  const user = await kavach.users.create({ email: 'parsed@example.com' });
  const { token } = await kavach.sessions.create(user.id);
  for (const type of ['application/json', 'text/plain', 'application/octet-stream']) {
    const res = await fetch(`${parsedBase}/auth/passkey/register/options`, {
      method: 'POST',
      headers: { 'content-type': type, authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: `Key via ${type}` }),
    });
    assert.equal(res.status, 200, type);
    assert.equal((await res.json()).user.name, 'parsed@example.com');
  }
  const rejected = await fetch(`${parsedBase}/auth/passkey/register/options`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ unknownField: 1 }),
  });
  assert.equal(rejected.status, 400, 'the parsed object reaches the core, which refuses the unknown field');
});

test('express: a body arriving in several chunks is read whole', async () => {
  const { port } = server.address();
  const res = await new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/auth/passkey/authenticate/options', method: 'POST' },
      (response) => {
        const chunks = [];
        response.on('data', (c) => chunks.push(c));
        response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    const parts = ['{"em', 'ail":"chunk', 'ed@example.com"}'];
    const write = () => (parts.length ? (req.write(parts.shift()), setTimeout(write, 20)) : req.end());
    write();
  });
  assert.equal(res.status, 200, res.body);
  assert.ok(JSON.parse(res.body).challenge);
});

test('express: after an oversized body the keep-alive connection serves the next request', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { port } = server.address();
  const post = (body) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/auth/passkey/authenticate/options', method: 'POST', agent },
        (response) => {
          const chunks = [];
          response.on('data', (c) => chunks.push(c));
          response.on('end', () =>
            resolve({ status: response.statusCode, reused: req.reusedSocket, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    const big = await post(JSON.stringify({ email: 'x'.repeat(300_000) }));
    assert.equal(big.status, 413);
    assert.equal(JSON.parse(big.body).code, 'PAYLOAD_TOO_LARGE');
    const next = await post('{}');
    assert.equal(next.status, 200, next.body);
    assert.ok(next.reused, 'the same connection');
    assert.ok(JSON.parse(next.body).challenge);
  } finally {
    agent.destroy();
  }
});

test('express: Set-Cookie from an earlier middleware is kept next to the core one; a paused body is still read', async () => {
  const app = express();
  app.use((req, res, next) => {
    res.setHeader('set-cookie', 'host_pref=dark; Path=/');
    req.pause();
    next();
  });
  app.use(kavach.express());
  const local = app.listen(0, '127.0.0.1');
  await once(local, 'listening');
  try {
    const user = await kavach.users.create({ email: 'cookies@example.com' });
    const { setCookie } = await kavach.sessions.create(user.id);
    const res = await fetch(`http://127.0.0.1:${local.address().port}/auth/sign-out`, {
      method: 'POST',
      headers: { cookie: cookieOf(setCookie), 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200);
    const cookies = res.headers.getSetCookie();
    assert.equal(cookies.length, 2);
    assert.equal(cookies[0], 'host_pref=dark; Path=/');
    assert.match(cookies[1], /^kavach_session=; .*Max-Age=0/);
  } finally {
    local.close();
  }
});

test('express: the same response whether or not earlier middleware set headers (exact Content-Length)', async () => {
  const bare = http.createServer(kavach.express()); // nothing set before kavach
  bare.listen(0, '127.0.0.1');
  await once(bare, 'listening');
  try {
    const user = await kavach.users.create({ email: 'length@example.com' });
    for (const origin of [`http://127.0.0.1:${bare.address().port}`, base]) {
      const { setCookie } = await kavach.sessions.create(user.id);
      const method = await fetch(`${origin}/auth/session`, { method: 'DELETE' });
      const methodBody = Buffer.from(await method.arrayBuffer());
      assert.equal(method.status, 405, origin);
      assert.equal(method.headers.get('allow'), 'GET');
      assert.equal(method.headers.get('content-length'), String(methodBody.length));
      assert.equal(method.headers.get('transfer-encoding'), null);
      assert.equal(JSON.parse(methodBody).code, 'METHOD_NOT_ALLOWED');

      const signOut = await fetch(`${origin}/auth/sign-out`, {
        method: 'POST',
        headers: { cookie: cookieOf(setCookie) },
      });
      const signOutBody = Buffer.from(await signOut.arrayBuffer());
      assert.equal(signOut.status, 200);
      assert.equal(signOut.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(signOut.headers.get('cache-control'), 'no-store');
      assert.equal(signOut.headers.get('content-length'), String(signOutBody.length));
      assert.equal(signOut.headers.getSetCookie().length, 1);
      assert.match(signOut.headers.getSetCookie()[0], /^kavach_session=; .*Max-Age=0/);
      assert.deepEqual(JSON.parse(signOutBody), { signedOut: true });
    }
  } finally {
    bare.close();
  }
});
