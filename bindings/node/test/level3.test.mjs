// WebAuthn Level 3 features through the binding (docs/host-api.md, docs/configuration.md): the new
// Credential fields, PRF salts in authenticateOptions, credentials.import, the well-known
// documents, app-origin tokens, and the start-up messages of the new options.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createKavach, KavachError } from 'kavachos';
import { options, ORIGIN } from './helpers/config.mjs';
import { SoftAuthenticator } from './helpers/authenticator.mjs';

const code = (expected, text) => (err) => {
  assert.ok(err instanceof KavachError, String(err));
  assert.equal(err.code, expected);
  if (text) assert.match(err.message, text);
  return true;
};

const FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i + 1).toString(16).padStart(2, '0').toUpperCase()).join(':');
const APP_ORIGIN = `android:apk-key-hash:${Buffer.from(FINGERPRINT.split(':').join(''), 'hex').toString('base64url')}`;
const APPS = { android: [{ package: 'com.example.app', sha256CertFingerprints: [FINGERPRINT] }] };

async function userWithSession(kavach, email = `u${Math.random()}@example.com`) {
  const user = await kavach.users.create({ email });
  const { token } = await kavach.sessions.create(user.id);
  return { user, token };
}

test('a credential records credProps, PRF, createdBy and cloneWarning', async () => {
  const kavach = await createKavach(options({}, { prf: true }));
  const { token } = await userWithSession(kavach);
  const creation = await kavach.registerOptions(token, { mediation: 'conditional' });
  assert.deepEqual(creation.extensions, { credProps: true, prf: {} });
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  const response = authenticator.register(creation);
  response.clientExtensionResults = { credProps: { rk: true }, prf: { enabled: true, results: { first: 'c2VjcmV0' } } };
  const credential = await kavach.registerVerify(token, response);
  assert.deepEqual(
    [credential.discoverable, credential.prfEnabled, credential.cloneWarning, credential.createdBy],
    [true, true, false, 'conditional'],
  );
  assert.ok(!JSON.stringify(credential).includes('c2VjcmV0'));
});

test('authenticateOptions passes PRF salts and refuses malformed ones', async () => {
  const kavach = await createKavach(options({}, { prf: true }));
  const request = await kavach.authenticateOptions({ prf: { eval: { first: 'c2FsdA' } } });
  assert.deepEqual(request.extensions, { prf: { eval: { first: 'c2FsdA' } } });
  assert.equal((await kavach.authenticateOptions()).extensions, undefined);
  await assert.rejects(kavach.authenticateOptions({ prf: { eval: { second: 'c2FsdA' } } }), code('INVALID_REQUEST'));
  await assert.rejects(kavach.authenticateOptions('a@example.com'), code('INVALID_REQUEST'));
});

test('credentials.import brings a WebAuthn credential in, and it signs in', async () => {
  const kavach = await createKavach(options());
  const { user } = await userWithSession(kavach, 'moved@example.com');
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  authenticator.rpId = 'localhost';
  const imported = await kavach.credentials.import({
    userId: user.id,
    credentialId: authenticator.id,
    publicKey: authenticator.coseKey.toString('base64url'),
    format: 'webauthn',
    name: 'Old laptop',
  });
  assert.deepEqual([imported.name, imported.createdBy, imported.id], ['Old laptop', 'import', authenticator.id]);
  const signIn = await kavach.authenticateVerify(
    authenticator.authenticate(await kavach.authenticateOptions({ email: 'moved@example.com' })),
  );
  assert.equal(signIn.userId, user.id);
  await assert.rejects(
    kavach.credentials.import({ userId: 'nobody', credentialId: 'AAAA', publicKey: 'AAAA', format: 'u2f' }),
    code('USER_NOT_FOUND'),
  );
  await assert.rejects(
    kavach.credentials.import({
      userId: user.id,
      credentialId: authenticator.id,
      publicKey: authenticator.coseKey.toString('base64url'),
      format: 'webauthn',
    }),
    code('CREDENTIAL_EXISTS'),
  );
});

test('wellKnown documents merge the host entries; the router serves them at the root', async () => {
  const kavach = await createKavach(
    options(
      {},
      {
        relatedOrigins: ['https://shop.example.co.uk'],
        apps: { ...APPS, ios: [{ teamId: 'ABCDE12345', bundleId: 'com.example.app' }] },
      },
    ),
  );
  assert.deepEqual(kavach.wellKnown.webauthn(), { origins: [ORIGIN, 'https://shop.example.co.uk'] });
  const links = kavach.wellKnown.assetLinks([{ relation: ['delegate_permission/common.handle_all_urls'] }]);
  assert.equal(links.length, 2);
  assert.equal(links[1].target.sha256_cert_fingerprints[0], FINGERPRINT);
  const aasa = kavach.wellKnown.appleAppSiteAssociation({ applinks: { details: [] } });
  assert.deepEqual(aasa, { applinks: { details: [] }, webcredentials: { apps: ['ABCDE12345.com.example.app'] } });
  assert.throws(() => kavach.wellKnown.assetLinks({}), code('INVALID_REQUEST'));
  assert.ok(kavach.handlesPath('/.well-known/assetlinks.json'));
  const served = await kavach.handle({ method: 'GET', path: '/.well-known/webauthn' });
  assert.equal(served.status, 200);
  assert.deepEqual(JSON.parse(Buffer.from(served.body).toString()), kavach.wellKnown.webauthn());
});

test('a sign-in from an Android app origin returns its token in the body', async () => {
  const kavach = await createKavach(options({}, { apps: APPS }));
  const { token } = await userWithSession(kavach);
  const app = new SoftAuthenticator({ origin: APP_ORIGIN });
  await kavach.registerVerify(token, app.register(await kavach.registerOptions(token)));
  const request = await kavach.authenticateOptions();
  const answer = await kavach.handle({
    method: 'POST',
    path: '/auth/passkey/authenticate/verify',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(app.authenticate(request)),
  });
  assert.equal(answer.status, 200);
  const body = JSON.parse(Buffer.from(answer.body).toString());
  assert.match(body.token, /^[A-Za-z0-9_-]{43}$/);
});

test('the new options are validated at start-up with their reason', async () => {
  for (const [passkey, text] of [
    [
      { apps: { android: [{ package: 'com.example.app', sha256CertFingerprints: ['AB:CD'] }] } },
      /not a SHA-256 fingerprint/,
    ],
    [{ relatedOrigins: ['http://shop.example.net'] }, /passkey.relatedOrigins .* must use https/],
    [{ counterPolicy: 'warn' }, /'strict' or 'flag'/],
    [{ conditionalCreate: true, userVerification: 'required' }, /conditionalCreate/],
    [{ appid: 'https://evil.example.net/app.json' }, /passkey.appid/],
  ]) {
    await assert.rejects(createKavach(options({}, passkey)), code('INVALID_CONFIG', text));
  }
});
