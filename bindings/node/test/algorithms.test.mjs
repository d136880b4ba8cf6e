// Issue 21: ML-DSA and PS384 through the stateless verifiers, and the `algorithms` option.
// Node 20's crypto cannot sign ML-DSA, so the responses come from the Rust software authenticator
// (tests/fixtures/stateless-algorithms.json, made by the script named in its `generatedBy`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { createKavach, KavachError, verifyAuthenticationResponse, verifyRegistrationResponse } from 'kavachos';
import { options } from './helpers/config.mjs';

const fixtures = JSON.parse(
  readFileSync(new URL('../../../tests/fixtures/stateless-algorithms.json', import.meta.url), 'utf8'),
);
const byName = (name) => fixtures.cases.find((c) => c.name === name);

for (const name of ['ML-DSA-44', 'ML-DSA-87', 'PS384']) {
  test(`${name}: registration and sign-in verify; a flipped signature byte does not`, async () => {
    const { alg, registration, authentication } = byName(name);
    const verified = await verifyRegistrationResponse(registration);
    assert.equal(verified.algorithm, alg);
    assert.equal(verified.attestationFormat, 'packed');
    assert.equal(verified.publicKey, authentication.credential.publicKey);

    const signedIn = await verifyAuthenticationResponse(authentication);
    assert.equal(signedIn.counter, 1);
    assert.equal(signedIn.credentialId, authentication.credential.id);

    const tampered = structuredClone(authentication);
    const signature = Buffer.from(tampered.response.response.signature, 'base64url');
    signature[10] ^= 1;
    tampered.response.response.signature = signature.toString('base64url');
    await assert.rejects(verifyAuthenticationResponse(tampered), (err) => {
      assert.ok(err instanceof KavachError);
      assert.equal(err.code, 'VERIFICATION_FAILED');
      assert.equal(err.status, 401);
      return true;
    });
  });
}

test('an ML-DSA-87 signature on an ML-DSA-44 credential is refused as another parameter set', async () => {
  const input = structuredClone(byName('ML-DSA-44').authentication);
  input.response.response.signature = byName('ML-DSA-87').authentication.response.response.signature;
  await assert.rejects(verifyAuthenticationResponse(input), (err) => {
    assert.equal(err.code, 'VERIFICATION_FAILED');
    assert.match(err.message, /ML-DSA-44 signatures are 2420 bytes, this one is 4627/);
    return true;
  });
});

test('expectedAlgorithms refuses a credential of an algorithm that was not offered', async () => {
  const { registration } = byName('ML-DSA-44');
  const ok = await verifyRegistrationResponse({ ...registration, expectedAlgorithms: ['ML-DSA-44'] });
  assert.equal(ok.algorithm, -48);
  await assert.rejects(
    verifyRegistrationResponse({ ...registration, expectedAlgorithms: ['ES256', 'EdDSA'] }),
    (err) => {
      assert.equal(err.code, 'VERIFICATION_FAILED');
      assert.match(err.message, /credential algorithm ML-DSA-44 \(-48\) was not offered/);
      return true;
    },
  );
  await assert.rejects(
    verifyRegistrationResponse({ ...registration, expectedAlgorithms: [-48] }),
    (err) => err.code === 'INVALID_REQUEST' && /'ML-DSA-44' rather than -48/.test(err.message),
  );
});

test('passkey({algorithms}) sets pubKeyCredParams in order and is validated at start-up', async () => {
  const kavach = await createKavach(options({}, { algorithms: ['ML-DSA-44', 'ES256'] }));
  const user = await kavach.users.create({ email: 'pq@example.com' });
  const { token } = await kavach.sessions.create(user.id);
  const creation = await kavach.registerOptions(token);
  assert.deepEqual(
    creation.pubKeyCredParams.map((p) => p.alg),
    [-48, -7],
  );
  await assert.rejects(createKavach(options({}, { algorithms: ['Ed448'] })), (err) => {
    assert.ok(err instanceof KavachError);
    assert.equal(err.code, 'INVALID_CONFIG');
    assert.match(err.message, /passkey\.algorithms: 'Ed448' is not an algorithm kavach verifies/);
    return true;
  });
});
