// A passkey registration and sign-in through the installed `kavachos` package (from dist/), with
// real ES256 signatures from the software authenticator the Node tests use (copied next to this
// file by run.sh). Run by tests/install/run.sh with no Rust toolchain on PATH.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import { createKavach, version } from 'kavachos';
import { passkey } from 'kavachos/plugins/passkey';

import { SoftAuthenticator } from './authenticator.mjs';

const ORIGIN = 'http://localhost:3000';
const require = createRequire(import.meta.url);
// The native module comes from the platform package, not from a build.
const binary = require.resolve('kavachos-linux-x64-gnu');
assert.match(binary, /node_modules\/kavachos-linux-x64-gnu\/kavach\.linux-x64-gnu\.node$/);
assert.equal(version, process.argv[2], 'the installed version');

const kavach = await createKavach({
  database: { provider: 'sqlite', url: `file:${process.cwd()}/kavach.db` },
  secret: 'install-test-secret-0123456789abcdef0123',
  baseUrl: ORIGIN,
  plugins: [passkey({ rpName: 'Install test', rpId: 'localhost' })],
});
const user = await kavach.users.create({ email: 'ada@example.com', name: 'Ada' });
const { token } = await kavach.sessions.create(user.id);

const authenticator = new SoftAuthenticator({ origin: ORIGIN });
const creation = await kavach.registerOptions(token, {});
const credential = await kavach.registerVerify(token, authenticator.register(creation));
assert.equal(credential.id, authenticator.id);

// Sign in by email through the HTTP router, as a browser would.
const post = (path, body) =>
  kavach.handle({ method: 'POST', path, headers: { 'content-type': 'application/json', origin: ORIGIN }, body });
let response = await post('/auth/passkey/authenticate/options', { email: 'ada@example.com' });
assert.equal(response.status, 200);
const request = JSON.parse(response.body);
response = await post('/auth/passkey/authenticate/verify', authenticator.authenticate(request));
assert.equal(response.status, 200, String(response.body));
assert.equal(JSON.parse(response.body).userId, user.id);
const cookie = response.headers.find(([name]) => name === 'set-cookie')[1];
const session = await kavach.sessions.get(cookie.split(';')[0]);
assert.equal(session.user.email, 'ada@example.com');

// A tampered signature is refused: verification really happens.
const again = JSON.parse((await post('/auth/passkey/authenticate/options', {})).body);
const forged = authenticator.authenticate(again);
const signature = Buffer.from(forged.response.signature, 'base64url');
signature[signature.length - 1] ^= 1;
forged.response.signature = signature.toString('base64url');
response = await post('/auth/passkey/authenticate/verify', forged);
assert.equal(JSON.parse(response.body).code, 'VERIFICATION_FAILED');

console.log(`npm: kavachos ${version} from ${binary}: registered and signed in, forged signature refused`);
