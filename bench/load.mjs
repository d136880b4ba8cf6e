// HTTP load generator for sign-in pairs (loopback only, bounded in time and count).
//
//   node load.mjs --port P [--clients 16] [--seconds 10] [--max-pairs 200000] [--pid SERVER_PID]
//                 [--label NAME] [--json out.json] [--ports P1,P2] [--mode signin|register]
//
// --ports spreads the clients over several servers (client i on port i mod n; each its own
// origin), e.g. two instances on one database; --pid then takes a comma-separated list too.
// --mode register: each iteration is a registration pair (register/options + register/verify)
// for a new user, signed up untimed just before (so excludeCredentials stays one user's size).
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
const ports = String(opt('ports', opt('port', 3000)))
  .split(',')
  .map(Number);
const port = ports[0];
const mode = opt('mode', 'signin');
const clients = Number(opt('clients', 16));
const seconds = Number(opt('seconds', 10));
const maxPairs = Number(opt('max-pairs', 200_000));
const pids = opt('pid', null)?.split(',') ?? null;
const label = opt('label', `localhost:${port}`);
const jsonOut = opt('json', null);
const originOf = (p) => `http://localhost:${p}`;
const rpId = 'localhost';

const agent = new http.Agent({ keepAlive: true, maxSockets: clients });

function post(port, path, body, cookie) {
  const data = Buffer.from(JSON.stringify(body));
  const headers = {
    'content-type': 'application/json',
    'content-length': data.length,
    origin: originOf(port),
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
  if (!pids) return null;
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (USER_HZ = 100)
  }
  return ticks;
}

let signups = 0;
async function signup(port, i) {
  const email = `load${i}-${process.pid}-${++signups}@bench.example`;
  const res = await post(port, '/demo/signup', { email });
  return { email, cookie: res.setCookie[0].split(';')[0] };
}

async function registerPair(port, cookie, cred) {
  const options = await post(port, '/auth/passkey/register/options', {}, cookie);
  await post(port, '/auth/passkey/register/verify', attest(cred, options.body, originOf(port), rpId), cookie);
}

async function setup(i) {
  const port = ports[i % ports.length];
  const { email, cookie } = await signup(port, i);
  const cred = newCredential();
  await registerPair(port, cookie, cred);
  return { i, port, email, cred };
}

const users = [];
for (let i = 0; i < clients; i++) users.push(await setup(i));

let pairs = 0;
let errors = 0;
const lat = [];
let stop = false;

async function client(u) {
  while (!stop) {
    try {
      let t;
      if (mode === 'register') {
        const { cookie } = await signup(u.port, u.i); // untimed: a new user keeps excludeCredentials small
        const cred = newCredential();
        t = performance.now();
        await registerPair(u.port, cookie, cred);
      } else {
        t = performance.now();
        const options = await post(u.port, '/auth/passkey/authenticate/options', { email: u.email });
        const out = await post(
          u.port,
          '/auth/passkey/authenticate/verify',
          assert(u.cred, options.body.challenge, originOf(u.port), rpId),
        );
        if (!out.setCookie) throw new Error('no session cookie');
      }
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
    (result.serverCpuUsPerPair === null
      ? ''
      : ` (${Math.round((result.serverCpuUsPerPair * result.pairsPerSec) / 1e4)}% busy)`) +
    `   load generator ${Math.round(result.loadCpuShare * 100)}% of its core` +
    (errors ? `   ERRORS ${errors}` : ''),
);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2));
process.exit(errors ? 1 : 0);
