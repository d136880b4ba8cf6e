// Operations (DESIGN §10) through the binding: onEvent, close(), metrics(), the log hook, the
// user's activity and the host's user management, with real signatures (SoftAuthenticator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

import parsePrometheus from 'parse-prometheus-text-format';
import { createKavach, KavachError, setLogHook, clearLogHook } from 'kavachos';
import { options, ORIGIN } from './helpers/config.mjs';
import { SoftAuthenticator } from './helpers/authenticator.mjs';

const code = (expected) => (err) => {
  assert.ok(err instanceof KavachError, String(err));
  assert.equal(err.code, expected);
  return true;
};

/** Waits (at most 5 s) until `check()` is truthy: events and log lines arrive asynchronously. */
async function until(check, what) {
  for (let i = 0; i < 500; i += 1) {
    if (check()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Through the router, as a browser would: JSON in, {status, body} out. */
async function route(kavach, method, path, { body, bearer, headers = {} } = {}) {
  const res = await kavach.handle({
    method,
    path,
    headers: { ...headers, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    client: '203.0.113.7',
  });
  return { status: res.status, body: res.body.length ? JSON.parse(res.body) : null };
}

/** A user with one registered passkey, all through the router; returns the pieces. */
async function signedUp(kavach, email) {
  const user = await kavach.users.create({ email });
  const { token } = await kavach.sessions.create(user.id);
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  const creation = await route(kavach, 'POST', '/auth/passkey/register/options', { bearer: token, body: {} });
  const registered = await route(kavach, 'POST', '/auth/passkey/register/verify', {
    bearer: token,
    body: authenticator.register(creation.body),
  });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  return { user, token, authenticator, credential: registered.body.credential };
}

async function signIn(kavach, email, authenticator) {
  const request = await route(kavach, 'POST', '/auth/passkey/authenticate/options', { body: { email } });
  const res = await kavach.handle({
    method: 'POST',
    path: '/auth/passkey/authenticate/verify',
    body: JSON.stringify(authenticator.authenticate(request.body)),
    client: '203.0.113.7',
  });
  assert.equal(res.status, 200, String(res.body));
  // The router answers {userId, sessionId} and sets the session cookie: its value is the token.
  const cookie = res.headers.find(([name]) => name === 'set-cookie')[1];
  return { ...JSON.parse(res.body), token: cookie.split(';')[0].split('=')[1] };
}

test('onEvent: signup, register, sign-in, rename, delete arrive in order, without a token; close() delivers them', async () => {
  const events = [];
  const kavach = await createKavach({
    ...options({}, { allowDeletingLastPasskey: true }),
    onEvent: (event) => events.push(event),
  });
  const email = 'events@example.com';
  const { user, token, authenticator, credential } = await signedUp(kavach, email);
  const session = await signIn(kavach, email, authenticator);
  const renamed = await route(kavach, 'PATCH', `/auth/passkey/credentials/${credential.id}`, {
    bearer: session.token,
    body: { name: 'Laptop' },
  });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  const deleted = await route(kavach, 'DELETE', `/auth/passkey/credentials/${credential.id}`, {
    bearer: session.token,
  });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));

  // Nothing waited for the handler so far: close() must hand over whatever is still pending,
  // and resolve only after the handler ran for it.
  assert.equal(await kavach.close(), true);
  assert.deepEqual(
    events.map((e) => e.type),
    [
      'user.created',
      'session.created',
      'passkey.registered',
      'signin.succeeded',
      'session.created',
      'passkey.renamed',
      'passkey.deleted',
    ],
  );
  for (const event of events) {
    assert.equal(event.userId, user.id, JSON.stringify(event));
    assert.match(event.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  assert.equal(events[2].credentialId, credential.id);
  assert.equal(events[3].sessionId, session.sessionId);
  assert.equal(events[3].client, '203.0.113.7');
  const text = JSON.stringify(events);
  for (const secret of [token, session.token]) assert.ok(!text.includes(secret), 'an event carries a token');
});

test('onEvent: a throwing or rejecting handler never breaks a sign-in, and is reported on stderr', async (t) => {
  const reported = [];
  t.mock.method(console, 'error', (...args) => reported.push(args));
  let calls = 0;
  for (const onEvent of [
    () => {
      calls += 1;
      throw new Error('handler bug');
    },
    async () => {
      calls += 1;
      throw new Error('async handler bug');
    },
  ]) {
    const kavach = await createKavach({ ...options(), onEvent });
    const email = `throws${calls}@example.com`;
    const { authenticator } = await signedUp(kavach, email);
    await signIn(kavach, email, authenticator);
    await signIn(kavach, email, authenticator);
    assert.equal(await kavach.close(), true);
    await sleep(0); // the rejected promise's report runs in a microtask
  }
  // 2 x (user.created, session.created, passkey.registered, 2 x (signin.succeeded, session.created))
  assert.equal(calls, 14);
  assert.equal(reported.length, 14);
  assert.match(String(reported[0][0]), /onEvent handler failed/);
  assert.ok(reported.some(([, err]) => err?.message === 'async handler bug'));
});

test('onEvent and setLogHook never keep the process alive', () => {
  const script = `
    import { createKavach, setLogHook } from 'kavachos';
    import { passkey } from 'kavachos/plugins/passkey';
    setLogHook(() => {});
    const kavach = await createKavach({
      database: { provider: 'sqlite', url: ':memory:' },
      secret: 'x'.repeat(40),
      baseUrl: 'http://localhost:3000',
      plugins: [passkey({ rpName: 'T', rpId: 'localhost' })],
      onEvent: () => {},
    });
    await kavach.users.create({ email: 'alive@example.com' });
    await kavach.handle({ method: 'POST', path: '/auth/passkey/authenticate/options', headers: { origin: 'https://evil.example' } });
  `;
  const started = Date.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: import.meta.dirname,
    timeout: 10_000,
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  assert.ok(Date.now() - started < 10_000);
});

test('createKavach refuses an onEvent that is not a function', async () => {
  await assert.rejects(createKavach({ ...options(), onEvent: 'log' }), code('INVALID_CONFIG'));
});

test('metrics: Prometheus text whose counters match the requests made; routes are templates', async () => {
  const kavach = await createKavach(options({}, { allowDeletingLastPasskey: true }));
  const email = 'metrics@example.com';
  const { authenticator, credential } = await signedUp(kavach, email);
  let session;
  for (let i = 0; i < 3; i += 1) session = await signIn(kavach, email, authenticator);
  const refused = await route(kavach, 'POST', '/auth/passkey/authenticate/verify', { body: {} });
  assert.equal(refused.status, 400);
  await route(kavach, 'DELETE', `/auth/passkey/credentials/${credential.id}`, { bearer: session.token });

  const text = kavach.metrics();
  assert.equal(typeof text, 'string');
  const families = new Map(parsePrometheus(text).map((family) => [family.name, family]));
  const value = (name, labels) => {
    const family = families.get(name);
    assert.ok(family, `no metric ${name}`);
    const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return sample === undefined ? 0 : Number(sample.value ?? sample.count);
  };
  const requests = (route, method, status) =>
    value('kavach_http_requests_total', { route, method, status: String(status) });
  assert.equal(families.get('kavach_http_requests_total').type, 'COUNTER');
  assert.equal(requests('/passkey/authenticate/verify', 'POST', 200), 3);
  assert.equal(requests('/passkey/authenticate/verify', 'POST', 400), 1);
  assert.equal(requests('/passkey/authenticate/options', 'POST', 200), 3);
  assert.equal(requests('/passkey/register/verify', 'POST', 200), 1);
  assert.equal(value('kavach_events_total', { type: 'signin.succeeded' }), 3);
  assert.equal(families.get('kavach_http_request_duration_seconds').type, 'HISTOGRAM');
  // parse-prometheus-text-format 1.1.1 merges a labelled histogram's series into one (it only
  // keeps label-less histograms apart), so the per-route count is read from its line.
  assert.match(
    text,
    /^kavach_http_request_duration_seconds_count\{route="\/passkey\/authenticate\/verify",method="POST"\} 4$/m,
  );

  // The delete was counted under its route template, never under the credential's id.
  const routes = families.get('kavach_http_requests_total').metrics.map((m) => m.labels.route);
  assert.ok(routes.some((r) => r.startsWith('/passkey/credentials/') && r !== `/passkey/credentials/${credential.id}`));
  assert.ok(!text.includes(credential.id), 'a metric label carries a raw id');
  await kavach.close();
});

test('setLogHook: a refused request (foreign Origin) arrives as one JSON line; clearLogHook stops it', async () => {
  const lines = [];
  setLogHook((line) => lines.push(line));
  try {
    const kavach = await createKavach(options());
    const refused = await route(kavach, 'POST', '/auth/passkey/authenticate/options', {
      headers: { origin: 'https://evil.example' },
      body: {},
    });
    assert.equal(refused.status, 403);
    await until(() => lines.some((l) => l.includes('FORBIDDEN_ORIGIN')), 'the refusal line');
    const line = JSON.parse(lines.find((l) => l.includes('FORBIDDEN_ORIGIN')));
    assert.equal(line.kind, 'refusal');
    assert.equal(line.code, 'FORBIDDEN_ORIGIN');
    assert.equal(line.status, 403);
    assert.equal(line.route, '/passkey/authenticate/options');
    assert.equal(typeof line.at, 'string');

    clearLogHook();
    const count = lines.length;
    await route(kavach, 'POST', '/auth/passkey/authenticate/options', {
      headers: { origin: 'https://evil.example' },
      body: {},
    });
    await sleep(50);
    assert.equal(lines.length, count);
    assert.throws(() => setLogHook('console'), code('INVALID_REQUEST'));
    await kavach.close();
  } finally {
    clearLogHook();
  }
});

test("activity: the user's own events, newest first, paged by cursor; users.activity sees the same", async () => {
  const kavach = await createKavach(options());
  const email = 'activity@example.com';
  const { user, authenticator } = await signedUp(kavach, email);
  let session;
  for (let i = 0; i < 3; i += 1) session = await signIn(kavach, email, authenticator);

  const all = await kavach.users.activity(user.id);
  assert.equal(all.nextCursor, null);
  // user.created, session.created, passkey.registered, 3 x signin.succeeded (a sign-in's session
  // is named by its signin.succeeded row: no session.created row beside it)
  assert.equal(all.events.length, 6);
  assert.deepEqual(
    all.events.slice(0, 2).map((e) => e.type),
    ['signin.succeeded', 'signin.succeeded'],
  );
  assert.equal(all.events.at(-1).type, 'user.created');

  const paged = [];
  let before = null;
  let pages = 0;
  do {
    const page = await kavach.activity(session.token, { before, limit: 4 });
    assert.ok(page.events.length <= 4);
    paged.push(...page.events);
    before = page.nextCursor;
    pages += 1;
  } while (before !== null);
  assert.equal(pages, 2);
  assert.deepEqual(paged, all.events);

  const routed = await route(kavach, 'GET', '/auth/passkey/activity?limit=2', { bearer: session.token });
  assert.equal(routed.status, 200);
  assert.deepEqual(routed.body.events, all.events.slice(0, 2));
  assert.equal(typeof routed.body.nextCursor, 'string');

  await assert.rejects(kavach.activity(session.token, { limit: 201 }), code('INVALID_REQUEST'));
  await assert.rejects(kavach.activity(session.token, { limit: 1.5 }), code('INVALID_REQUEST'));
  await assert.rejects(kavach.activity(session.token, { before: 'not-a-cursor' }), code('INVALID_REQUEST'));
  await assert.rejects(kavach.activity('no-such-token'), code('UNAUTHORIZED'));
  await kavach.close();
});

test('users.*: update, list and revoke passkeys and sessions by user id, delete erases everything', async () => {
  const kavach = await createKavach(options());
  const email = 'admin@example.com';
  const { user, authenticator, credential } = await signedUp(kavach, email);
  const session = await signIn(kavach, email, authenticator);

  const updated = await kavach.users.update(user.id, { email: 'admin2@example.com', name: 'Ada' });
  assert.equal(updated.email, 'admin2@example.com');
  assert.equal(updated.name, 'Ada');
  assert.equal((await kavach.users.update(user.id, { name: null })).name, null);
  const other = await kavach.users.create({ email: 'taken@example.com' });
  await assert.rejects(kavach.users.update(user.id, { email: 'taken@example.com' }), code('USER_EXISTS'));
  await assert.rejects(kavach.users.update(user.id, { nickname: 'x' }), code('INVALID_REQUEST'));
  await assert.rejects(kavach.users.update('no-such-user', { name: 'x' }), code('USER_NOT_FOUND'));

  const credentials = await kavach.users.listCredentials(user.id);
  assert.deepEqual(
    credentials.map((c) => c.id),
    [credential.id],
  );
  const sessions = await kavach.users.listSessions(user.id);
  assert.equal(sessions.length, 2); // the sign-up's and the sign-in's
  assert.ok(sessions.some((s) => s.id === session.sessionId));
  assert.ok(sessions.every((s) => s.current === false));
  assert.deepEqual(await kavach.users.revokeSessions(user.id), { revoked: 2 });
  assert.equal(await kavach.sessions.get(session.token), null);
  assert.deepEqual(await kavach.users.listSessions(user.id), []);

  await assert.rejects(kavach.users.revokeCredential(other.id, credential.id), code('CREDENTIAL_NOT_FOUND'));
  assert.equal(await kavach.users.revokeCredential(user.id, credential.id), undefined);
  assert.deepEqual(await kavach.users.listCredentials(user.id), []);

  // Deleting a user erases their passkeys, sessions and activity.
  const again = await signedUp(kavach, 'gone@example.com');
  await signIn(kavach, 'gone@example.com', again.authenticator);
  assert.ok((await kavach.users.activity(again.user.id)).events.length > 0);
  assert.equal(await kavach.users.delete(again.user.id), undefined);
  assert.equal(await kavach.users.get(again.user.id), null);
  assert.equal(await kavach.sessions.get(again.token), null);
  await assert.rejects(kavach.users.listCredentials(again.user.id), code('USER_NOT_FOUND'));
  assert.deepEqual(await kavach.users.activity(again.user.id), { events: [], nextCursor: null });
  await assert.rejects(kavach.users.delete(again.user.id), code('USER_NOT_FOUND'));
  await assert.rejects(kavach.users.get(42), code('INVALID_REQUEST'));
  await kavach.close();
});
