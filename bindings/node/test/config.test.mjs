// createKavach: configuration is translated to the core, and every kind of bad configuration
// comes back as KavachError INVALID_CONFIG with the core's message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createKavach, KavachError } from 'kavachos';
import { passkey } from 'kavachos/plugins/passkey';
import { options, SECRET } from './helpers/config.mjs';

async function rejectsConfig(opts, pattern) {
  await assert.rejects(createKavach(opts), (err) => {
    assert.ok(err instanceof KavachError, `expected KavachError, got ${err}`);
    assert.equal(err.code, 'INVALID_CONFIG');
    assert.equal(err.status, 500);
    assert.match(err.message, pattern);
    return true;
  });
}

test('opens a valid configuration and exposes the normalized basePath', async () => {
  const kavach = await createKavach(options());
  assert.equal(kavach.basePath, '/auth');
  const custom = await createKavach(options({ basePath: '/api/auth', session: { maxAge: 3600 } }));
  assert.equal(custom.basePath, '/api/auth');
});

test('opens a file database (migrations run), twice on the same file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kavach-node-'));
  const url = `file:${join(dir, 'kavach.db')}`;
  const first = await createKavach(options({ database: { provider: 'sqlite', url } }));
  const user = await first.users.create({ email: 'a@example.com' });
  const second = await createKavach(options({ database: { provider: 'sqlite', url } }));
  assert.deepEqual(await second.users.get(user.id), user);
});

test('passkey() tags its options for plugins', () => {
  assert.deepEqual(passkey({ rpName: 'X', rpId: 'localhost' }), { rpName: 'X', rpId: 'localhost', id: 'passkey' });
});

test('rejects a short secret', () => rejectsConfig(options({ secret: 'short' }), /secret must be at least 32 bytes/));

test('rejects a missing secret', async () => {
  const opts = options();
  delete opts.secret;
  await rejectsConfig(opts, /secret/);
});

test('rejects an invalid baseUrl', () => rejectsConfig(options({ baseUrl: 'not a url' }), /baseUrl/));

test('rejects an rpId that does not cover the origin', () =>
  rejectsConfig(options({}, { rpId: 'example.com' }), /rpId|example\.com/));

test('rejects a non-https origin other than localhost', () =>
  rejectsConfig(
    options({ baseUrl: 'https://example.com' }, { rpId: 'example.com', origin: 'http://example.com' }),
    /https/,
  ));

test('rejects unknown enum values', async () => {
  await rejectsConfig(options({}, { attestation: 'sometimes' }), /attestation/);
  await rejectsConfig(options({}, { userVerification: 'maybe' }), /userVerification/);
  await rejectsConfig(options({ database: { provider: 'mysql', url: 'x' } }), /provider/);
});

test('rejects a timeout out of 1 s .. 10 min', async () => {
  await rejectsConfig(options({}, { timeout: 10 }), /timeout/);
  await rejectsConfig(options({}, { timeout: 600_001 }), /timeout/);
});

test('rejects unknown keys (a misspelt option is never silently ignored)', () =>
  rejectsConfig(options({}, { rpID: 'localhost' }), /rpID|unknown field/));

test('rejects a configuration without the passkey plugin', () => rejectsConfig(options({ plugins: [] }), /passkey/));

test('rejects an unreadable database', () =>
  rejectsConfig(options({ database: { provider: 'sqlite', url: 'file:/nonexistent-dir/sub/kavach.db' } }), /database/));

test('an unreachable PostgreSQL server is a configuration error naming it, never its password', async () => {
  const url = 'postgres://kavach:s3cret@127.0.0.1:1/x';
  await rejectsConfig(options({ database: { provider: 'postgres', url } }), /PostgreSQL at 127\.0\.0\.1:1/);
  await rejectsConfig(options({ database: { provider: 'postgres', url } }), /^(?![\s\S]*s3cret)/);
});

test('rejects options that are not an object or not serializable', async () => {
  await rejectsConfig(undefined, /configuration/);
  await rejectsConfig(42, /options must be an object/);
  await rejectsConfig(options({ session: { maxAge: 10n } }), /serialized/);
  const circular = options();
  circular.self = circular;
  await rejectsConfig(circular, /serialized/);
  await rejectsConfig(
    { secret: SECRET, baseUrl: 'http://localhost:3000', plugins: 'passkey' },
    /configuration is not valid/,
  );
});

test('accepts a configuration given as a JSON string (passed through)', async () => {
  const kavach = await createKavach(JSON.stringify(options()));
  assert.equal(kavach.basePath, '/auth');
});

test('an unset secret (process.env.KAVACH_SECRET undefined) is said plainly', async () => {
  // What `secret: process.env.KAVACH_SECRET` gives when the variable is not set.
  await rejectsConfig(
    options({ secret: undefined }),
    /^secret is required: at least 32 bytes, e\.g\. the output of `openssl rand -base64 32`$/,
  );
  await rejectsConfig(options({ secret: null }), /^secret is required: at least 32 bytes/);
});

test('hints and topOrigins reach the core, and bad ones are refused at start-up', async () => {
  const kavach = await createKavach(
    options({
      plugins: [
        passkey({
          rpName: 'X',
          rpId: 'localhost',
          hints: ['security-key', 'hybrid'],
          topOrigins: ['https://portal.example.net'],
        }),
      ],
    }),
  );
  assert.deepEqual((await kavach.authenticateOptions()).hints, ['security-key', 'hybrid']);
  await rejectsConfig(
    options({ plugins: [passkey({ rpName: 'X', rpId: 'localhost', hints: ['usb'] })] }),
    /passkey\.hints must be a list of/,
  );
  await rejectsConfig(
    options({ plugins: [passkey({ rpName: 'X', rpId: 'localhost', topOrigins: ['android:apk-key-hash:AAAA'] })] }),
    /passkey\.topOrigins .* is an app origin/,
  );
});
