// Generates the shared inputs of the verify-only benchmarks: N ES256 credentials, each with one
// signed assertion over its own random challenge. Node and Python benches read the same file, so
// every library verifies exactly the same bytes.
//   node gen-fixtures.mjs [N=256] [out=.data/fixtures.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { assert, b64u, newCredential, randomChallenge } from './lib/authn.mjs';

const n = Number(process.argv[2] ?? 256);
const out = process.argv[3] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '.data', 'fixtures.json');
const rpId = 'localhost';
const origin = 'http://localhost:3000';
const cases = [];
for (let i = 0; i < n; i++) {
  const cred = newCredential();
  cred.userHandle = randomBytes(32);
  const challenge = randomChallenge();
  const response = assert(cred, challenge, origin, rpId); // counter 1, stored counter 0
  cases.push({
    credential: {
      id: b64u(cred.id),
      pkcs8: b64u(cred.pkcs8),
      cosePublicKey: b64u(cred.cosePublicKey),
      counter: 0,
      userHandle: b64u(cred.userHandle),
    },
    challenge,
    response,
  });
}
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ rpId, origin, algorithm: 'ES256', cases }));
console.error(`gen-fixtures: ${n} ES256 assertions -> ${out}`);
