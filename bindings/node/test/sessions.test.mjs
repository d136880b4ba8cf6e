// A user's sessions and the recent passkey check (docs/http.md, docs/host-api.md) through the
// binding: GET /auth/sessions, revoke-others, and sessions.requireRecentAuth.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createKavach, KavachError } from 'kavachos';
import { options, ORIGIN } from './helpers/config.mjs';
import { SoftAuthenticator } from './helpers/authenticator.mjs';

const code = (expected) => (err) => {
  assert.ok(err instanceof KavachError, String(err));
  assert.equal(err.code, expected);
  return true;
};

test('sessions: listed through the router, revoked elsewhere; requireRecentAuth wants a passkey check', async () => {
  const kavach = await createKavach(options());
  const user = await kavach.users.create({ email: 'sessions@example.com' });
  const { token } = await kavach.sessions.create(user.id);
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  await kavach.registerVerify(token, authenticator.register(await kavach.registerOptions(token)));
  const signIn = await kavach.authenticateVerify(
    authenticator.authenticate(await kavach.authenticateOptions({ email: 'sessions@example.com' })),
  );

  const get = (path, bearer) => kavach.handle({ method: 'GET', path, headers: { authorization: `Bearer ${bearer}` } });
  const listed = JSON.parse(Buffer.from((await get('/auth/sessions', signIn.token)).body));
  assert.equal(listed.sessions.length, 2);
  assert.deepEqual(
    listed.sessions.map((s) => [s.current, s.authenticatedAt !== null]),
    [
      [true, true],
      [false, false],
    ],
  );
  const current = await kavach.sessions.get(signIn.token);
  assert.ok(current.session.authenticatedAt);

  await assert.rejects(kavach.sessions.requireRecentAuth(token, 300), code('REAUTH_REQUIRED'));
  assert.equal(await kavach.sessions.requireRecentAuth(signIn.token, 300), undefined);
  await assert.rejects(kavach.sessions.requireRecentAuth('nope', 300), code('UNAUTHORIZED'));
  await assert.rejects(kavach.sessions.requireRecentAuth(token, -1), code('INVALID_REQUEST'));

  const revoked = await kavach.handle({
    method: 'POST',
    path: '/auth/sessions/revoke-others',
    headers: { authorization: `Bearer ${signIn.token}` },
  });
  assert.deepEqual(JSON.parse(Buffer.from(revoked.body)), { revoked: 1 });
  assert.equal(await kavach.sessions.get(token), null);
});
