// HTTP load generator for sign-in pairs (loopback only, bounded in time and count).
//
//   node load.mjs --port P [--clients 16] [--seconds 10] [--max-pairs 200000] [--pid SERVER_PID]
//                 [--label NAME] [--json out.json]
//
// Each client is one user with one ES256 passkey (registered through the server first:
// POST /demo/signup, /auth/passkey/register/options, /auth/passkey/register/verify, attestation
// "none"). Then each client loops: POST /auth/passkey/authenticate/options {email}, sign the
// returned challenge with node:crypto, POST /auth/passkey/authenticate/verify, expect 200 and a
// Set-Cookie. Prints pairs/s, pair latency p50/p99 and, with --pid, the server's CPU per pair
// (utime + stime from /proc). run.sh pins this process to one core and the server to the other.
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import { assert, attest, newCredential } from './lib/authn.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const port = Number(opt('port', 3000));
const clients = Number(opt('clients', 16));
const seconds = Number(opt('seconds', 10));
const maxPairs = Number(opt('max-pairs', 200_000));
const pid = opt('pid', null);
const label = opt('label', `localhost:${port}`);
const jsonOut = opt('json', null);
const origin = `http://localhost:${port}`;
const rpId = 'localhost';

const agent = new http.Agent({ keepAlive: true, maxSockets: clients });

function post(path, body, cookie) {
  const data = Buffer.from(JSON.stringify(body));
  const headers = {
    'content-type': 'application/json',
    'content-length': data.length,
    origin,
    host: `localhost:${port}`,
  };
  if (cookie) headers.cookie = cookie;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new Error(`${path}: ${res.statusCode} ${text.slice(0, 300)}`));
        resolve({ body: JSON.parse(text), setCookie: res.headers['set-cookie'] });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

function cpuTicks() {
  if (!pid) return null;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (USER_HZ = 100)
}

async function setup(i) {
  const email = `load${i}-${process.pid}@bench.example`;
  const signup = await post('/demo/signup', { email });
  const cookie = signup.setCookie[0].split(';')[0];
  const options = await post('/auth/passkey/register/options', {}, cookie);
  const cred = newCredential();
  await post('/auth/passkey/register/verify', attest(cred, options.body, origin, rpId), cookie);
  return { email, cred };
}

const users = [];
for (let i = 0; i < clients; i++) users.push(await setup(i));

let pairs = 0;
let errors = 0;
const lat = [];
let stop = false;

async function client(u) {
  while (!stop) {
    const t = performance.now();
    try {
      const options = await post('/auth/passkey/authenticate/options', { email: u.email });
      const out = await post('/auth/passkey/authenticate/verify', assert(u.cred, options.body.challenge, origin, rpId));
      if (!out.setCookie) throw new Error('no session cookie');
      if (stop) return; // finished after the window closed: not counted
      lat.push(performance.now() - t);
      if (++pairs >= maxPairs) stop = true;
    } catch (err) {
      if (++errors <= 3) console.error(`load: ${err.message}`);
      if (errors > 100) stop = true;
    }
  }
}

// Warm-up (JIT, caches, SQLite pages), then the measured window.
const warm = setTimeout(() => (stop = true), Math.min(1000, seconds * 200));
await Promise.all(users.map(client));
clearTimeout(warm);
stop = false;
pairs = 0;
lat.length = 0;
const cpu0 = cpuTicks();
const self0 = process.cpuUsage();
const t0 = performance.now();
const timer = setTimeout(() => (stop = true), seconds * 1000);
await Promise.all(users.map(client));
clearTimeout(timer);
const elapsed = (performance.now() - t0) / 1000;
const cpu1 = cpuTicks();
const self1 = process.cpuUsage(self0);
agent.destroy();

lat.sort((a, b) => a - b);
const pick = (p) => lat[Math.min(lat.length - 1, Math.floor((lat.length * p) / 100))] ?? NaN;
const result = {
  label,
  clients,
  seconds: elapsed,
  pairs,
  pairsPerSec: pairs / elapsed,
  p50ms: pick(50),
  p99ms: pick(99),
  errors,
  loadCpuShare: (self1.user + self1.system) / 1e6 / elapsed,
  serverCpuUsPerPair: cpu0 === null ? null : ((cpu1 - cpu0) * 10_000) / pairs,
};
console.log(
  `${label.padEnd(40)} ${Math.round(result.pairsPerSec).toLocaleString('en-US').padStart(6)} pairs/s   p50 ${result.p50ms.toFixed(2)} ms   p99 ${result.p99ms.toFixed(2)} ms` +
    (result.serverCpuUsPerPair === null ? '' : `   server CPU ${Math.round(result.serverCpuUsPerPair)} us/pair`) +
    (result.serverCpuUsPerPair === null ? '' : ` (${Math.round((result.serverCpuUsPerPair * result.pairsPerSec) / 1e4)}% busy)`) +
    `   load generator ${Math.round(result.loadCpuShare * 100)}% of its core` +
    (errors ? `   ERRORS ${errors}` : ''),
);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2));
process.exit(errors ? 1 : 0);
