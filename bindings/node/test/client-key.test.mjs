// The peer address, from which the core derives the rate-limit client key (with X-Forwarded-For
// behind `trustedProxies`): handle() takes it as `client`, the Fetch handler as
// `options.client`, the Express middleware the socket's remote address. Every call works with
// and without one; without one, nothing is ever rate-limited.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';

import express from 'express';
import { createKavach, KavachError } from 'kavachos';
import { options, ORIGIN } from './helpers/config.mjs';

// Two sign-in requests per client key and minute, then 429.
const limited = await createKavach(options({ rateLimit: { max: 2, window: 60 } }));
const unlimited = await createKavach(options());

const optionsRequest = (client) => ({
  method: 'POST',
  path: '/auth/passkey/authenticate/options',
  body: '{}',
  ...(client === undefined ? {} : { client }),
});

const statuses = async (send, n) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await send());
  return out;
};

const servers = [];
after(() => servers.forEach((s) => s.close()));

async function listen(app) {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  return `http://127.0.0.1:${server.address().port}`;
}

test('handle: works with and without a client key when no rate limit is configured', async () => {
  for (const client of [undefined, null, '203.0.113.7']) {
    const res = await unlimited.handle(optionsRequest(client));
    assert.equal(res.status, 200, String(client));
    assert.ok(JSON.parse(res.body).challenge);
  }
});

test('handle: one client key is limited, other keys are not, requests without a key never are', async () => {
  const first = await statuses(async () => (await limited.handle(optionsRequest('198.51.100.1'))).status, 3);
  assert.deepEqual(first, [200, 200, 429]);

  const res = await limited.handle(optionsRequest('198.51.100.1'));
  assert.equal(res.status, 429);
  assert.equal(JSON.parse(res.body).code, 'RATE_LIMITED');
  assert.ok(Number(new Map(res.headers).get('retry-after')) > 0, 'Retry-After says when to come back');

  assert.equal((await limited.handle(optionsRequest('198.51.100.2'))).status, 200, 'another key has its own budget');
  const keyless = await statuses(async () => (await limited.handle(optionsRequest())).status, 4);
  assert.deepEqual(keyless, [200, 200, 200, 200]);
});

test('handle: a client key that is not a string is the caller mistake', async () => {
  await assert.rejects(limited.handle(optionsRequest(42)), (err) => {
    assert.ok(err instanceof KavachError);
    assert.equal(err.code, 'INVALID_REQUEST');
    return true;
  });
});

test('handler: options.client is the key; without it, or with a framework second argument, no key', async () => {
  const request = () => new Request(`${ORIGIN}/auth/passkey/authenticate/options`, { method: 'POST', body: '{}' });
  const keyed = await statuses(async () => (await limited.handler(request(), { client: '198.51.100.3' })).status, 3);
  assert.deepEqual(keyed, [200, 200, 429]);

  // Next.js passes {params}, Bun its server, Workers their env: none of it is a client key.
  const { handler } = limited;
  const others = [undefined, { params: Promise.resolve({}) }, { client: { binding: true } }, { client: 7 }];
  for (const second of others) {
    const results = await statuses(async () => (await handler(request(), second)).status, 3);
    assert.deepEqual(results, [200, 200, 200], JSON.stringify(second));
  }
});

test('express: the socket peer is the key, so the limit applies per connecting address', async () => {
  const base = await listen(express().use(limited.express()));
  const post = () => fetch(`${base}/auth/passkey/authenticate/options`, { method: 'POST', body: '{}' });
  const results = await statuses(async () => (await post()).status, 3);
  assert.deepEqual(results, [200, 200, 429]);
  const res = await post();
  assert.equal((await res.json()).code, 'RATE_LIMITED');
  assert.ok(Number(res.headers.get('retry-after')) > 0);
});

test('express: X-Forwarded-For counts only from a peer in trustedProxies', async () => {
  const post = (base, forwardedFor) =>
    fetch(`${base}/auth/passkey/authenticate/options`, {
      method: 'POST',
      headers: { 'x-forwarded-for': forwardedFor },
      body: '{}',
    }).then((res) => res.status);

  // The attack: a client that is not behind a trusted proxy invents addresses to get fresh
  // budgets. Express's own 'trust proxy' does not change that: the core decides.
  const untrusted = await createKavach(options({ rateLimit: { max: 1, window: 60 } }));
  const app = express();
  app.set('trust proxy', true);
  app.use(untrusted.express());
  const base = await listen(app);
  assert.deepEqual([await post(base, '192.0.2.1'), await post(base, '192.0.2.2')], [200, 429]);

  // Behind a trusted proxy (here: loopback), each forwarded client has its own budget, and
  // what a client prepends is not believed.
  const trusted = await createKavach(
    options({ rateLimit: { max: 1, window: 60 }, trustedProxies: ['127.0.0.0/8', '::1'] }),
  );
  const proxied = await listen(express().use(trusted.express()));
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

test('node:http without Express: the socket peer address is the key', async () => {
  const kavach = await createKavach(options({ rateLimit: { max: 2, window: 60 } }));
  const middleware = kavach.express();
  const server = http.createServer((req, res) => middleware(req, res));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${server.address().port}`;
  const results = await statuses(
    async () => (await fetch(`${base}/auth/passkey/authenticate/options`, { method: 'POST', body: '{}' })).status,
    3,
  );
  assert.deepEqual(results, [200, 200, 429]);
});
