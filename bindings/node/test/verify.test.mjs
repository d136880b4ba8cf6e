// The stateless verifiers as free functions (no database) and as instance methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  createKavach,
  KavachError,
  verifyAuthenticationResponse,
  verifyAuthenticationResponseSync,
  verifyRegistrationResponse,
  verifyRegistrationResponseSync,
} from 'kavachos';
import { options, ORIGIN } from './helpers/config.mjs';
import { randomChallenge, SoftAuthenticator } from './helpers/authenticator.mjs';

const USER_HANDLE = Buffer.from('user-handle-0001').toString('base64url');

async function registered() {
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  const challenge = randomChallenge();
  const response = authenticator.register({ rp: { id: 'localhost' }, user: { id: USER_HANDLE }, challenge });
  const verified = await verifyRegistrationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: 'localhost',
    requireUserVerification: true,
  });
  return { authenticator, verified };
}

test('verifyRegistrationResponse returns the credential to store', async () => {
  const { authenticator, verified } = await registered();
  assert.equal(verified.credentialId, authenticator.id);
  assert.equal(verified.algorithm, -7);
  assert.equal(verified.counter, 0);
  assert.equal(verified.attestationFormat, 'none');
  assert.equal(verified.deviceType, 'singleDevice');
  assert.deepEqual(verified.flags, { userPresent: true, userVerified: true, backupEligible: false, backedUp: false });
  assert.equal(typeof verified.publicKey, 'string');
});

test('verifyAuthenticationResponse checks the signature against the stored key', async () => {
  const { authenticator, verified } = await registered();
  const challenge = randomChallenge();
  const response = authenticator.authenticate({ challenge, rpId: 'localhost' });
  const input = {
    response,
    expectedChallenge: challenge,
    expectedOrigin: [ORIGIN],
    expectedRPID: 'localhost',
    credential: { publicKey: verified.publicKey, counter: 0, id: verified.credentialId },
  };
  const result = await verifyAuthenticationResponse(input);
  assert.deepEqual(result, {
    credentialId: authenticator.id,
    counter: 0,
    flags: { userPresent: true, userVerified: true, backupEligible: false, backedUp: false },
    userHandle: USER_HANDLE,
  });

  const tampered = structuredClone(input);
  const sig = Buffer.from(response.response.signature, 'base64url');
  sig[sig.length - 1] ^= 1;
  tampered.response.response.signature = sig.toString('base64url');
  await assert.rejects(verifyAuthenticationResponse(tampered), (err) => {
    assert.ok(err instanceof KavachError);
    assert.equal(err.code, 'VERIFICATION_FAILED');
    return true;
  });
  await assert.rejects(
    verifyAuthenticationResponse({ ...input, expectedChallenge: randomChallenge() }),
    (err) => err instanceof KavachError && err.code === 'VERIFICATION_FAILED',
  );
});

test('the synchronous verifiers give the same verdicts without a promise', async () => {
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  const challenge = randomChallenge();
  const registration = {
    response: authenticator.register({ rp: { id: 'localhost' }, user: { id: USER_HANDLE }, challenge }),
    expectedChallenge: challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: 'localhost',
  };
  const verified = verifyRegistrationResponseSync(registration);
  assert.deepEqual(verified, await verifyRegistrationResponse(registration));

  const signInChallenge = randomChallenge();
  const input = {
    response: authenticator.authenticate({ challenge: signInChallenge, rpId: 'localhost' }),
    expectedChallenge: signInChallenge,
    expectedOrigin: [ORIGIN],
    expectedRPID: 'localhost',
    credential: { publicKey: verified.publicKey, counter: 0, id: verified.credentialId },
  };
  const result = verifyAuthenticationResponseSync(input);
  assert.ok(!(result instanceof Promise));
  assert.deepEqual(result, await verifyAuthenticationResponse(input));

  // Failures throw the same KavachError synchronously.
  assert.throws(
    () => verifyAuthenticationResponseSync({ ...input, expectedChallenge: randomChallenge() }),
    (err) => err instanceof KavachError && err.code === 'VERIFICATION_FAILED' && err.status === 401,
  );
  assert.throws(
    () => verifyAuthenticationResponseSync({ ...input, credential: { publicKey: 42, counter: 0 } }),
    (err) => err instanceof KavachError && err.code === 'INVALID_REQUEST',
  );
  assert.throws(
    () => verifyRegistrationResponseSync('not an object'),
    (err) => err instanceof KavachError && err.code === 'INVALID_REQUEST',
  );
});

test('the instance methods are the same verifiers', async () => {
  const kavach = await createKavach(options());
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  const challenge = randomChallenge();
  const response = authenticator.register({ rp: { id: 'localhost' }, user: { id: USER_HANDLE }, challenge });
  const verified = await kavach.verifyRegistrationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: 'localhost',
  });
  assert.equal(verified.credentialId, authenticator.id);
});

test('malformed verifier options are INVALID_REQUEST', async () => {
  for (const bad of [undefined, {}, { response: {}, expectedChallenge: 'x' }, '{nope', { extra: 1 }]) {
    await assert.rejects(verifyRegistrationResponse(bad), (err) => {
      assert.ok(err instanceof KavachError, String(err));
      assert.equal(err.code, 'INVALID_REQUEST');
      assert.equal(err.status, 400);
      return true;
    });
  }
  await assert.rejects(verifyAuthenticationResponse({ response: {} }), (err) => err.code === 'INVALID_REQUEST');
});

test('expectedTopOrigins admits a listed embedding page only', async () => {
  const PORTAL = 'https://portal.example.net';
  const embedded = { clientData: { crossOrigin: true, topOrigin: PORTAL } };
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  let challenge = randomChallenge();
  const registration = authenticator.register(
    { rp: { id: 'localhost' }, user: { id: USER_HANDLE }, challenge },
    embedded,
  );
  const expected = { expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRPID: 'localhost' };
  await assert.rejects(verifyRegistrationResponse({ response: registration, ...expected }), /cross-origin/);
  const verified = await verifyRegistrationResponse({
    response: registration,
    ...expected,
    expectedTopOrigins: [PORTAL],
  });

  challenge = randomChallenge();
  const response = authenticator.authenticate({ rpId: 'localhost', challenge }, embedded);
  const verify = (expectedTopOrigins) =>
    verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: 'localhost',
      credential: { publicKey: verified.publicKey, counter: 0 },
      expectedTopOrigins,
    });
  await assert.rejects(verify(['https://evil.example.org']), (err) => {
    assert.ok(err instanceof KavachError);
    assert.equal(err.code, 'VERIFICATION_FAILED');
    assert.match(err.message, /top-level origin/);
    return true;
  });
  assert.equal((await verify([PORTAL])).counter, authenticator.counter);
  await assert.rejects(verify(['android:apk-key-hash:AAAA']), {
    code: 'INVALID_REQUEST',
    message: /^expectedTopOrigins/,
  });
});
