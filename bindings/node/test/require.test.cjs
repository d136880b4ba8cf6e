// CommonJS consumers: require('kavachos') and require('kavachos/plugins/passkey') work, and
// they are the very objects the ESM entry points export (one KavachError class).
const { test } = require('node:test');
const assert = require('node:assert/strict');

const kavachos = require('kavachos');
const { passkey } = require('kavachos/plugins/passkey');

test('require() exposes the public API', async () => {
  assert.equal(typeof kavachos.createKavach, 'function');
  assert.equal(typeof kavachos.verifyRegistrationResponse, 'function');
  assert.equal(typeof kavachos.verifyAuthenticationResponse, 'function');
  assert.equal(typeof kavachos.KavachError, 'function');
  const kavach = await kavachos.createKavach({
    database: { url: ':memory:' },
    secret: 'test-secret-test-secret-test-secret-123',
    baseUrl: 'http://localhost:3000',
    plugins: [passkey({ rpName: 'CJS', rpId: 'localhost' })],
  });
  const res = await kavach.handle({ method: 'GET', path: '/auth/session' });
  assert.equal(res.status, 401);
  await assert.rejects(kavach.listCredentials('x'), kavachos.KavachError);
});

test('ESM and CJS entry points share one KavachError class', async () => {
  const esm = await import('kavachos');
  const esmPlugin = await import('kavachos/plugins/passkey');
  assert.equal(esm.KavachError, kavachos.KavachError);
  assert.equal(esm.createKavach, kavachos.createKavach);
  assert.equal(esmPlugin.passkey, passkey);
});
