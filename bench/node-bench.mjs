// kavach through Node (kavachos) vs @simplewebauthn/server 14 (+ better-sqlite3 12), in one
// process, on the same inputs. Run pinned to one core (run.sh does `taskset -c 0`).
//
//   node node-bench.mjs [--seconds S] [--fixtures .data/fixtures.json] [--json out.json]
//
// 1. verify only (no storage): the same pre-signed ES256 assertions, stateless verifiers:
//    kavach verifyAuthenticationResponse vs SimpleWebAuthn verifyAuthenticationResponse,
//    with 1 and 8 verifications in flight (both APIs are async), and kavach's
//    verifyAuthenticationResponseSync (no pool hop) against the peer's best.
// 2. full sign-in with storage (authenticate options + verify, durable SQLite, a session row):
//    kavach authenticateOptions + authenticateVerify vs peers/swa-store.mjs. The challenge is
//    random per options call, so each assertion is signed after its options call; the signing's
//    CPU (measured alone on as many assertions) is subtracted (it is the browser's work).
// ops/s are per CPU-second of the whole process (all threads, from process.cpuUsage), so other
// load on a shared machine does not skew them; p50/p99 are wall-clock latencies of a pair.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { verifyAuthenticationResponse as swaVerify } from '@simplewebauthn/server';
import { createKavach, verifyAuthenticationResponseSync } from 'kavachos';
import { passkey } from 'kavachos/plugins/passkey';

import { assert, attest, credentialFrom, newCredential, unb64u } from './lib/authn.mjs';
import { openPeer } from './peers/swa-store.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const seconds = Number(opt('seconds', 5));
const fixtures = JSON.parse(readFileSync(opt('fixtures', path.join(here, '.data', 'fixtures.json')), 'utf8'));
const jsonOut = opt('json', null);
const users = Number(opt('users', 64));

const results = [];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** ops/s of `fn(i)` with `concurrency` calls in flight for `secs` (after a short warm-up). */
async function throughput(fn, concurrency, secs) {
  let i = 0;
  const spin = async (until) => {
    let done = 0;
    const worker = async () => {
      while (performance.now() < until) {
        await fn(i++);
        done++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return done;
  };
  await spin(performance.now() + Math.min(500, secs * 200));
  const c0 = process.cpuUsage();
  const done = await spin(performance.now() + secs * 1000);
  const c = process.cpuUsage(c0);
  return (done * 1e6) / (c.user + c.system);
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** Sign-in pairs through `server`, timing only the library calls. */
async function pairs(server, creds, emails, secs) {
  const origin = fixtures.origin;
  const rpId = fixtures.rpId;
  const one = async (k) => {
    const u = k % creds.length;
    let t = performance.now();
    const options = await server.options(emails[u]);
    let spent = performance.now() - t;
    const body = assert(creds[u], options.challenge, origin, rpId);
    t = performance.now();
    const out = await server.verify(body);
    spent += performance.now() - t;
    if (!out.token) throw new Error('no session token');
    return spent;
  };
  for (let k = 0; k < Math.max(50, creds.length); k++) await one(k); // warm-up
  const lat = [];
  const wallEnd = performance.now() + secs * 1000;
  const c0 = process.cpuUsage();
  for (let k = 0; performance.now() < wallEnd; k++) lat.push(await one(k));
  const c = process.cpuUsage(c0);
  // The signing is the browser's work: its CPU, measured alone on as many assertions, is taken off.
  const probe = { ...creds[0], counter: 1 << 30 };
  const s0 = process.cpuUsage();
  for (let k = 0; k < lat.length; k++) assert(probe, 'Y2hhbGxlbmdlLWNoYWxsZW5nZS1jaGFsbGVuZ2UtMzI', origin, rpId);
  const s = process.cpuUsage(s0);
  const cpuUs = c.user + c.system - (s.user + s.system);
  lat.sort((a, b) => a - b);
  return { opsPerSec: (lat.length * 1e6) / cpuUs, p50us: pct(lat, 50) * 1000, p99us: pct(lat, 99) * 1000, n: lat.length };
}

function report(group, name, kavach, peer, extra = '') {
  const ratio = kavach / peer;
  results.push({ group, name, kavach, peer, ratio });
  console.log(
    `${group.padEnd(24)} ${name.padEnd(34)} kavach ${fmt(kavach).padStart(7)}/s   peer ${fmt(peer).padStart(7)}/s   ${ratio.toFixed(2)}x${extra}`,
  );
}

// ---- 1. verify only ----------------------------------------------------------------------------
const cases = fixtures.cases;
const kavachInputs = cases.map((c) => ({
  response: c.response,
  expectedChallenge: c.challenge,
  expectedOrigin: fixtures.origin,
  expectedRPID: fixtures.rpId,
  credential: { id: c.credential.id, publicKey: c.credential.cosePublicKey, counter: c.credential.counter },
}));
const swaInputs = cases.map((c) => ({
  response: c.response,
  expectedChallenge: c.challenge,
  expectedOrigin: fixtures.origin,
  expectedRPID: fixtures.rpId,
  credential: { id: c.credential.id, publicKey: new Uint8Array(unb64u(c.credential.cosePublicKey)), counter: c.credential.counter },
  requireUserVerification: false,
}));

const kavach0 = await createKavach({
  database: { provider: 'sqlite', url: ':memory:' },
  secret: 'bench-secret-bench-secret-bench-secret!!',
  baseUrl: fixtures.origin,
  plugins: [passkey({ rpName: 'bench', rpId: fixtures.rpId, origin: [fixtures.origin] })],
});
// Both must accept every input before anything is timed.
for (let i = 0; i < cases.length; i++) {
  const a = await kavach0.verifyAuthenticationResponse(kavachInputs[i]);
  const b = await swaVerify(swaInputs[i]);
  if (a.counter !== 1 || !b.verified) throw new Error(`fixture ${i} not verified by both`);
}
const concurrencies = seconds < 2 ? [8] : [1, 8];
for (const c of concurrencies) {
  const k = await throughput((i) => kavach0.verifyAuthenticationResponse(kavachInputs[i % cases.length]), c, seconds);
  const p = await throughput((i) => swaVerify(swaInputs[i % cases.length]), c, seconds);
  report('verify only (ES256)', `${c} in flight`, k, p);
}
{
  // kavach's synchronous twin (no libuv-pool hop; verification is pure CPU) against the peer's
  // async API with 8 in flight, its best case above.
  for (let i = 0; i < cases.length; i++) {
    if (verifyAuthenticationResponseSync(kavachInputs[i]).counter !== 1) throw new Error(`fixture ${i} (sync)`);
  }
  const k = await throughput(async (i) => verifyAuthenticationResponseSync(kavachInputs[i % cases.length]), 1, seconds);
  const p = await throughput((i) => swaVerify(swaInputs[i % cases.length]), 8, seconds);
  report('verify only (ES256)', 'kavach sync vs peer 8 in flight', k, p);
}

// ---- 2. full sign-in with storage --------------------------------------------------------------
// BENCH_DB_DIRS: where the databases live, ':'-separated. tmpfs (/dev/shm) makes fsync free and
// shows the CPU cost; a disk directory adds this machine's real fsync cost (synchronous=FULL).
const dbDirs = (process.env.BENCH_DB_DIRS ?? '/dev/shm').split(':').filter(Boolean);
const fsKind = (d) => (d.startsWith('/dev/shm') ? 'tmpfs' : 'disk');
for (const dbDir of dbDirs) {
const dir = mkdtempSync(path.join(dbDir, 'kavach-bench-'));
try {
  const secret = 'bench-secret-bench-secret-bench-secret!!';
  const kavach = await createKavach({
    database: { provider: 'sqlite', url: `file:${path.join(dir, 'kavach.db')}` },
    secret,
    baseUrl: fixtures.origin,
    plugins: [passkey({ rpName: 'bench', rpId: fixtures.rpId, origin: [fixtures.origin] })],
  });
  const peer = openPeer({ file: path.join(dir, 'peer.db'), rpId: fixtures.rpId, origin: fixtures.origin });

  const emails = Array.from({ length: users }, (_, i) => `user${i}@bench.example`);
  const kCreds = [];
  const pCreds = [];
  for (const email of emails) {
    const user = await kavach.users.create({ email });
    const { token } = await kavach.sessions.create(user.id);
    const cred = newCredential();
    const options = await kavach.registerOptions(token, {});
    await kavach.registerVerify(token, attest(cred, options, fixtures.origin, fixtures.rpId));
    kCreds.push(cred);

    const s = peer.signup(email);
    const pc = credentialFrom({
      id: cred.id.toString('base64url'),
      pkcs8: cred.pkcs8.toString('base64url'),
      cosePublicKey: cred.cosePublicKey.toString('base64url'),
    });
    const popts = await peer.registerOptions(s.user.id);
    await peer.registerVerify(s.user.id, attest(pc, popts, fixtures.origin, fixtures.rpId));
    pCreds.push(pc);
  }
  const k = await pairs(
    { options: (email) => kavach.authenticateOptions({ email }), verify: (body) => kavach.authenticateVerify(body) },
    kCreds,
    emails,
    seconds,
  );
  const p = await pairs(
    { options: (email) => peer.authenticateOptions(email), verify: (body) => peer.authenticateVerify(body) },
    pCreds,
    emails,
    seconds,
  );
  report(
    `sign-in + SQLite (${fsKind(dbDir)})`,
    `options+verify, sync=${process.env.BENCH_SYNC ?? 'FULL'}`,
    k.opsPerSec,
    p.opsPerSec,
    `   (p50 ${k.p50us.toFixed(0)} vs ${p.p50us.toFixed(0)} us, p99 ${k.p99us.toFixed(0)} vs ${p.p99us.toFixed(0)} us)`,
  );
  peer.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
}

if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
