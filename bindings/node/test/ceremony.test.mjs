// The host API (docs/host-api.md) end to end through the binding: users, sessions, a full passkey
// registration and sign-in with a software authenticator, and the credential operations.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createKavach, KavachError } from 'kavachos';
import { options, ORIGIN } from './helpers/config.mjs';
import { SoftAuthenticator } from './helpers/authenticator.mjs';

const COOKIE = /^kavach_session=([A-Za-z0-9_-]{43}); HttpOnly; SameSite=Lax; Path=\/; Max-Age=(\d+)(; Secure)?$/;

const code = (expected) => (err) => {
  assert.ok(err instanceof KavachError, String(err));
  assert.equal(err.code, expected);
  return true;
};

async function signedUpUser(kavach, email = `u${Math.random()}@example.com`) {
  const user = await kavach.users.create({ email, name: 'Ada' });
  const { token } = await kavach.sessions.create(user.id);
  return { user, token };
}

test('users: create, get, findByEmail, setHasOtherSignIn', async () => {
  const kavach = await createKavach(options());
  const user = await kavach.users.create({ email: 'ada@example.com', name: 'Ada' });
  assert.match(user.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(user, { id: user.id, email: 'ada@example.com', name: 'Ada' });
  assert.deepEqual(await kavach.users.get(user.id), user);
  assert.deepEqual(await kavach.users.findByEmail('ADA@example.com'), user);
  assert.equal(await kavach.users.get('missing'), null);
  assert.equal(await kavach.users.findByEmail('nobody@example.com'), null);
  const nameless = await kavach.users.create({ email: 'bob@example.com' });
  assert.equal(nameless.name, null);
  assert.equal(await kavach.users.setHasOtherSignIn(user.id, true), undefined);
});

test('sessions: create returns token and Set-Cookie; get accepts token, Bearer and Cookie; revoke', async () => {
  const kavach = await createKavach(options({ session: { maxAge: 3600 } }));
  const user = await kavach.users.create({ email: 's@example.com' });
  const created = await kavach.sessions.create(user.id);
  assert.equal(created.session.userId, user.id);
  assert.match(created.session.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const cookie = created.setCookie.match(COOKIE);
  assert.ok(cookie, created.setCookie);
  assert.equal(cookie[1], created.token);
  assert.equal(cookie[2], '3600');
  assert.equal(cookie[3], undefined, 'no Secure on http baseUrl');

  for (const ref of [created.token, `Bearer ${created.token}`, `theme=dark; kavach_session=${created.token}`]) {
    const found = await kavach.sessions.get(ref);
    assert.deepEqual(found.user, user);
    assert.deepEqual(found.session, created.session);
  }
  assert.equal(await kavach.sessions.get('nope'), null);
  assert.equal(await kavach.sessions.revoke(created.session.id), true);
  assert.equal(await kavach.sessions.revoke(created.session.id), false);
  assert.equal(await kavach.sessions.get(created.token), null);
});

test('cookies are Secure when baseUrl is https', async () => {
  const kavach = await createKavach(options({ baseUrl: 'https://auth.example.com' }, { rpId: 'example.com' }));
  const user = await kavach.users.create({ email: 'sec@example.com' });
  const { setCookie } = await kavach.sessions.create(user.id);
  assert.match(setCookie, /; Secure$/);
  assert.match(setCookie, /Max-Age=604800/);
});

test('registers a passkey and signs in with it (usernameless and by email)', async () => {
  const kavach = await createKavach(options());
  const { user, token } = await signedUpUser(kavach, 'pk@example.com');
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });

  const creation = await kavach.registerOptions(token, { name: 'My laptop' });
  assert.equal(creation.rp.id, 'localhost');
  assert.equal(creation.rp.name, 'Test');
  assert.equal(creation.user.name, 'pk@example.com');
  assert.equal(creation.user.displayName, 'Ada');
  assert.ok(creation.pubKeyCredParams.some((p) => p.alg === -7));
  assert.deepEqual(creation.excludeCredentials, []);

  const credential = await kavach.registerVerify(token, authenticator.register(creation));
  assert.equal(credential.id, authenticator.id);
  assert.equal(credential.name, 'My laptop');
  assert.equal(credential.deviceType, 'singleDevice');
  assert.equal(credential.lastUsedAt, null);
  assert.deepEqual(credential.transports, ['internal']);

  // excludeCredentials now lists it; registering it again is CREDENTIAL_EXISTS
  const again = await kavach.registerOptions(`Bearer ${token}`);
  assert.deepEqual(
    again.excludeCredentials.map((c) => c.id),
    [authenticator.id],
  );
  await assert.rejects(kavach.registerVerify(token, authenticator.register(again)), code('CREDENTIAL_EXISTS'));

  // usernameless
  const request = await kavach.authenticateOptions();
  assert.deepEqual(request.allowCredentials, []);
  assert.equal(request.rpId, 'localhost');
  const signIn = await kavach.authenticateVerify(authenticator.authenticate(request));
  assert.equal(signIn.userId, user.id);
  assert.match(signIn.setCookie, COOKIE);
  assert.equal(signIn.setCookie.match(COOKIE)[1], signIn.token);
  const session = await kavach.sessions.get(signIn.token);
  assert.equal(session.session.id, signIn.sessionId);
  assert.equal(session.session.expiresAt, signIn.expiresAt);

  // by email, wrapped as {response}
  const byEmail = await kavach.authenticateOptions({ email: 'pk@example.com' });
  assert.deepEqual(
    byEmail.allowCredentials.map((c) => c.id),
    [authenticator.id],
  );
  const second = await kavach.authenticateVerify({ response: authenticator.authenticate(byEmail) });
  assert.equal(second.userId, user.id);
  assert.notEqual(second.sessionId, signIn.sessionId);

  // replay: the challenge is single-use
  await assert.rejects(kavach.authenticateVerify(authenticator.authenticate(byEmail)), code('CHALLENGE_INVALID'));

  // a wrong origin is VERIFICATION_FAILED with the sign-in status 401
  const bad = await kavach.authenticateOptions();
  await assert.rejects(
    kavach.authenticateVerify(authenticator.authenticate(bad, { clientData: { origin: 'https://evil.example' } })),
    (err) => code('VERIFICATION_FAILED')(err) && err.status === 401,
  );

  const [listed] = await kavach.listCredentials(signIn.token);
  assert.equal(listed.id, authenticator.id);
  assert.notEqual(listed.lastUsedAt, null);
});

test('a registration for another origin is VERIFICATION_FAILED (400)', async () => {
  const kavach = await createKavach(options());
  const { token } = await signedUpUser(kavach);
  const authenticator = new SoftAuthenticator({ origin: 'http://localhost:3000' });
  const creation = await kavach.registerOptions(token);
  await assert.rejects(
    kavach.registerVerify(token, authenticator.register(creation, { clientData: { origin: 'https://evil.example' } })),
    (err) => code('VERIFICATION_FAILED')(err) && err.status === 400,
  );
});

test('counter regression is refused', async () => {
  const kavach = await createKavach(options());
  const { token } = await signedUpUser(kavach);
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  authenticator.countUp = true;
  await kavach.registerVerify(token, authenticator.register(await kavach.registerOptions(token)));
  await kavach.authenticateVerify(authenticator.authenticate(await kavach.authenticateOptions()));
  authenticator.counter = 0; // next assertion carries 1 again
  await assert.rejects(
    kavach.authenticateVerify(authenticator.authenticate(await kavach.authenticateOptions())),
    code('COUNTER_REGRESSION'),
  );
});

test('rename, delete, and the last-passkey rule', async () => {
  const kavach = await createKavach(options());
  const { user, token } = await signedUpUser(kavach);
  const first = new SoftAuthenticator({ origin: ORIGIN });
  const second = new SoftAuthenticator({ origin: ORIGIN });
  await kavach.registerVerify(token, first.register(await kavach.registerOptions(token)));
  await kavach.registerVerify(token, { response: second.register(await kavach.registerOptions(token)), name: 'Phone' });

  const list = await kavach.listCredentials(token);
  assert.deepEqual(list.map((c) => c.id).sort(), [first.id, second.id].sort());
  assert.equal(list.find((c) => c.id === second.id).name, 'Phone');

  const renamed = await kavach.renameCredential(token, first.id, 'Work key');
  assert.equal(renamed.name, 'Work key');
  await assert.rejects(kavach.renameCredential(token, first.id, ''), code('INVALID_REQUEST'));
  await assert.rejects(kavach.renameCredential(token, 'AAAAAAAAAAAAAAAAAAAAAA', 'x'), code('CREDENTIAL_NOT_FOUND'));

  // another user cannot see or touch them
  const other = await signedUpUser(kavach);
  assert.deepEqual(await kavach.listCredentials(other.token), []);
  await assert.rejects(kavach.deleteCredential(other.token, first.id), code('CREDENTIAL_NOT_FOUND'));

  assert.equal(await kavach.deleteCredential(token, first.id), undefined);
  await assert.rejects(kavach.deleteCredential(token, second.id), code('LAST_CREDENTIAL'));
  await kavach.users.setHasOtherSignIn(user.id, true);
  await kavach.deleteCredential(token, second.id);
  assert.deepEqual(await kavach.listCredentials(token), []);
});

test('registerOptions refuses an unknown body field and a missing session', async () => {
  const kavach = await createKavach(options());
  const { token } = await signedUpUser(kavach);
  await assert.rejects(kavach.registerOptions(token, { nickname: 'x' }), code('INVALID_REQUEST'));
  await assert.rejects(kavach.registerOptions('', {}), code('UNAUTHORIZED'));
  const withAttachment = await kavach.registerOptions(token, { authenticatorAttachment: 'platform' });
  assert.equal(withAttachment.authenticatorSelection.authenticatorAttachment, 'platform');
});

test('a usernameless sign-in with an unknown passkey carries the Signal API payload', async () => {
  const kavach = await createKavach(options());
  const stranger = new SoftAuthenticator({ origin: ORIGIN });
  // Registered with some other server for the same RP ID: unknown here.
  stranger.register({ rp: { id: 'localhost' }, user: { id: 'AAAA' }, challenge: 'AAAA' });
  const err = await kavach
    .authenticateVerify(stranger.authenticate(await kavach.authenticateOptions()))
    .catch((e) => e);
  assert.ok(err instanceof KavachError, String(err));
  assert.equal(err.code, 'CREDENTIAL_NOT_FOUND');
  assert.equal(err.status, 404);
  assert.deepEqual(err.signal, { unknownCredential: { rpId: 'localhost', credentialId: stranger.id } });
  assert.deepEqual(err.toJSON().signal, err.signal);
});
