// Proof under a real load balancer (issue 18): three example servers on one PostgreSQL behind
// HAProxy, 16 clients with software authenticators signing up, registering and signing in
// continuously, while one instance is SIGKILLed and restarted every few seconds (round robin) and
// PostgreSQL is restarted once. run.sh starts PostgreSQL and calls this once per pass:
//
//   node driver.mjs --pass express|mix --database-url URL --seconds 45
//
// Kill windows are defined up front: from a SIGKILL until the restarted instance answers on its
// own port, and from stopping PostgreSQL until every instance serves a database request again,
// each plus MARGIN_MS. An operation that failed counts as "inside" when its own [start, end]
// overlaps a window. At the end it checks, and exits 1 on any failure:
//   - every registration acknowledged with 200 is listed by GET /auth/passkey/credentials,
//   - every sign-in acknowledged with 200 has a session valid through every instance,
//   - every acknowledged assertion, replayed at once to another instance, was refused (never 200),
//   - the stored signature counters never went backwards: each stored counter lies between the
//     last acknowledged and the last attempted counter of its authenticator (psql),
//   - no operation failed outside the windows; no 429 (each client keeps its own bucket).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { assert, attest, b64u, newCredential } from '../../bench/lib/authn.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const pass = opt('pass', 'express');
const databaseUrl = opt('database-url', process.env.DATABASE_URL);
const seconds = Number(opt('seconds', 45));
const clients = Number(opt('clients', 16));
const logDir = opt('log-dir', path.join(root, 'target', 'load-balancer'));
const psql = opt('psql', 'psql');
if (!databaseUrl) throw new Error('--database-url is required');

const KILL_EVERY_MS = 5000; // one SIGKILL (round robin) every 5 s
const FIRST_KILL_MS = 4000;
const MARGIN_MS = 1500; // added to the end of every window
const rpId = 'localhost';
// Per client key, per minute: far above what one client does here, below what all 16 do together
// (the summary says how many requests one shared bucket would have refused).
const RATE_MAX = 3000;
mkdirSync(logDir, { recursive: true });

// ---- ports, instances and the balancer

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const lbPort = await freePort();
const origin = `http://localhost:${lbPort}`;
const kinds = pass === 'mix' ? ['express', 'fastapi', 'go'] : ['express', 'express', 'express'];

const commands = {
  express: { cwd: 'examples/express', run: ['bash', 'run.sh'], direct: ['node', 'server.js'] },
  fastapi: { cwd: 'examples/fastapi', run: ['bash', 'run.sh'], direct: ['.venv/bin/python', 'app.py'] },
  go: { cwd: 'examples/go', run: ['bash', 'run.sh'], direct: [path.join(root, 'target', 'kavach-go-demo')] },
};

const instanceEnv = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  KAVACH_SECRET: 'load-balancer-test-secret-0123456789abcdef',
  KAVACH_PASSKEY_OPTIONS_JSON: JSON.stringify({ origin: [origin] }),
  // Behind the balancer (127.0.0.1), the client key is the X-Forwarded-For entry it adds; the
  // buckets live in PostgreSQL, shared by the three instances.
  KAVACH_OPTIONS_JSON: JSON.stringify({
    trustedProxies: ['127.0.0.1', '::1'],
    rateLimit: { window: 60, max: RATE_MAX, storage: 'database' },
  }),
};

const instances = [];
for (let i = 0; i < 3; i++) {
  instances.push({ name: `${kinds[i]}${i + 1}`, kind: kinds[i], port: await freePort(), child: null, built: false });
}

const children = new Set();
function startInstance(instance, { build }) {
  const command = commands[instance.kind];
  const [cmd, ...args] = build ? command.run : command.direct;
  const out = openSync(path.join(logDir, `${pass}-${instance.name}.log`), 'a');
  const child = spawn(cmd, args, {
    cwd: path.join(root, command.cwd),
    env: { ...instanceEnv, PORT: String(instance.port) },
    stdio: ['ignore', out, out],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  instance.child = child;
  return child;
}

function stopEverything() {
  for (const child of children) child.kill('SIGKILL');
}
process.on('exit', stopEverything);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopEverything();
    process.exit(1);
  });
}

// ---- HTTP

function request(port, method, pathname, { body, cookie, localAddress, agent, timeout = 15000 } = {}) {
  const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
  const headers = { host: `localhost:${port}` };
  if (data) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = data.length;
  }
  if (method !== 'GET' && pathname.startsWith('/auth')) headers.origin = origin;
  if (cookie) headers.cookie = cookie;
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: pathname, method, headers, localAddress, agent: agent ?? false, timeout },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON (a balancer error page) */
          }
          resolve({ status: res.statusCode, json, text, headers: res.headers });
        });
        res.on('error', (error) => resolve({ status: 0, error: String(error) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, error: String(error.code ?? error.message) }));
    req.end(data ?? undefined);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitAnswering(instance, limitMs) {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (instance.child?.exitCode !== null && instance.child?.exitCode !== undefined) {
      throw new Error(`${instance.name} exited with status ${instance.child.exitCode} (see ${logDir})`);
    }
    const res = await request(instance.port, 'GET', '/', { timeout: 2000 });
    if (res.status === 200) return;
    await sleep(50);
  }
  throw new Error(`${instance.name} did not answer on port ${instance.port} within ${limitMs} ms`);
}

// A request that needs the database (an options call writes nothing but reads the users table).
async function waitDatabase(instance, limitMs) {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const res = await request(instance.port, 'POST', '/auth/passkey/authenticate/options', {
      body: { email: 'probe@lb.example' },
      localAddress: '127.0.3.1',
      timeout: 2000,
    });
    if (res.status === 200) return;
    await sleep(50);
  }
  throw new Error(`${instance.name} did not serve a database request within ${limitMs} ms`);
}

// ---- start: the first instance of each kind through its run.sh (builds), the rest directly

const t0Setup = Date.now();
for (const instance of instances) {
  const build = !instances.some((other) => other !== instance && other.kind === instance.kind && other.built);
  startInstance(instance, { build });
  await waitAnswering(instance, build ? 900_000 : 60_000);
  instance.built = true;
}
const haproxyCfg = path.join(logDir, `${pass}-haproxy.cfg`);
writeFileSync(
  haproxyCfg,
  `global
  maxconn 2000
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 15s
  # A connection refused (the instance was just killed) is retried on another server.
  retries 3
  option redispatch 1
  retry-on conn-failure
  option forwardfor
frontend kavach
  bind 127.0.0.1:${lbPort}
  default_backend instances
backend instances
  balance roundrobin
  option httpchk GET /
  http-check expect status 200
  http-response set-header X-Served-By %[srv_name]
  default-server check inter 300ms fastinter 200ms downinter 300ms fall 1 rise 1
${instances.map((i) => `  server ${i.name} 127.0.0.1:${i.port}`).join('\n')}
`,
);
const haproxyLog = openSync(path.join(logDir, `${pass}-haproxy.log`), 'a');
const haproxy = spawn('haproxy', ['-f', haproxyCfg, '-db'], { stdio: ['ignore', haproxyLog, haproxyLog] });
children.add(haproxy);
haproxy.on('exit', (code) => {
  children.delete(haproxy);
  if (!finished) {
    console.error(`haproxy exited with status ${code} (see ${logDir})`);
    process.exit(1);
  }
});
let finished = false;
{
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await request(lbPort, 'GET', '/', { timeout: 1000 });
    if (res.status === 200) break;
    if (Date.now() > deadline) throw new Error('haproxy does not answer');
    await sleep(100);
  }
}
console.log(
  `load-balancer ${pass}: haproxy on ${origin} -> ${instances.map((i) => `${i.name}:${i.port}`).join(', ')}` +
    ` (started in ${((Date.now() - t0Setup) / 1000).toFixed(1)} s)`,
);

// ---- the windows and the chaos

const windows = []; // {what, start, end}
let kills = 0;
const restartMs = {}; // per kind: SIGKILL until the new process answers
let pgRestarts = 0;
const t0 = Date.now();
const stopAt = t0 + seconds * 1000;

async function chaos() {
  // The schedule, fixed up front: a kill every KILL_EVERY_MS (round robin), one PostgreSQL restart
  // in the middle, nothing in the last 3 s.
  const events = [];
  for (let at = FIRST_KILL_MS, k = 0; at < seconds * 1000 - 3000; at += KILL_EVERY_MS, k++) {
    events.push({ at, instance: instances[k % instances.length] });
  }
  events.push({ at: Math.floor((seconds * 1000) / 2) + 1500, postgres: true });
  events.sort((a, b) => a.at - b.at);
  for (const event of events) {
    await sleep(Math.max(0, t0 + event.at - Date.now()));
    if (event.postgres) {
      const window = { what: 'postgres restart', start: Date.now(), end: Infinity };
      windows.push(window);
      execFileSync('bash', [path.join(root, 'scripts/postgres.sh'), 'pause'], { stdio: 'inherit' });
      await sleep(500);
      execFileSync('bash', [path.join(root, 'scripts/postgres.sh'), 'start'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      for (const instance of instances) await waitDatabase(instance, 30_000);
      window.end = Date.now() + MARGIN_MS;
      pgRestarts += 1;
      continue;
    }
    const { instance } = event;
    const window = { what: `kill ${instance.name}`, start: Date.now(), end: Infinity };
    windows.push(window);
    const old = instance.child;
    const exited = new Promise((r) => old.once('exit', r));
    old.kill('SIGKILL');
    kills += 1;
    await exited;
    startInstance(instance, { build: false });
    await waitAnswering(instance, 30_000);
    window.end = Date.now() + MARGIN_MS;
    (restartMs[instance.kind] ??= []).push(window.end - MARGIN_MS - window.start);
  }
}

// ---- the clients

const stats = {
  signups: 0,
  registrations: 0,
  signIns: 0,
  sessionChecks: 0,
  signOuts: 0,
  replaysRefused: 0,
  replayCodes: {},
  rateLimited: 0,
  replaysUndelivered: 0,
};
const failures = []; // {what, start, end, status, detail}
const violations = []; // never allowed: a replay accepted, a wrong session, ...
const users = []; // {email, cred, zero, registered, lastAck, lastTry, sessions: [cookie]}
const servedBy = {};

function cookieOf(res) {
  const set = res.headers?.['set-cookie'];
  return set ? set[0].split(';')[0] : null;
}

function other(instanceName, attempt) {
  const candidates = instances.filter((i) => i.name !== instanceName);
  return candidates[attempt % candidates.length];
}

const limitedAt = []; // when each authenticate/* request through the balancer started
async function step(what, fn) {
  const start = Date.now();
  if (what.startsWith('authenticate/')) limitedAt.push(start);
  const res = await fn();
  if (res.status !== 200) {
    if (res.status === 429) stats.rateLimited += 1;
    failures.push({ what, start, end: Date.now(), status: res.status, detail: res.json?.code ?? res.error ?? '' });
    await sleep(100); // as a real client would, rather than spinning while the database restarts
    return null;
  }
  const server = res.headers['x-served-by'];
  if (server) servedBy[server] = (servedBy[server] ?? 0) + 1;
  return res;
}

async function replay(user, assertion, server, localAddress) {
  // Straight to another instance (not through the balancer), from an address of its own.
  const start = Date.now();
  for (let attempt = 0; attempt < 20; attempt++) {
    const target = other(server, attempt);
    const res = await request(target.port, 'POST', '/auth/passkey/authenticate/verify', {
      body: assertion,
      localAddress,
    });
    if (res.status === 200) {
      violations.push(
        `a replayed assertion of ${user.email} was accepted by ${target.name} (served first by ${server})`,
      );
      return;
    }
    if (res.status === 400 || res.status === 401) {
      stats.replaysRefused += 1;
      const code = res.json?.code ?? String(res.status);
      stats.replayCodes[code] = (stats.replayCodes[code] ?? 0) + 1;
      return;
    }
    await sleep(150); // killed instance or database restarting: try the next one
  }
  stats.replaysUndelivered += 1;
  failures.push({ what: 'replay not delivered', start, end: Date.now(), status: 0, detail: 'no instance answered' });
}

async function signIn(user, agent, localAddress, replayAddress) {
  const options = await step('authenticate/options', () =>
    request(lbPort, 'POST', '/auth/passkey/authenticate/options', { body: { email: user.email }, agent, localAddress }),
  );
  if (!options) return false;
  if (user.zero) user.cred.counter = -1; // this authenticator always reports 0 (no counter)
  const assertion = assert(user.cred, options.json.challenge, origin, rpId);
  user.lastTry = user.cred.counter;
  const verified = await step('authenticate/verify', () =>
    request(lbPort, 'POST', '/auth/passkey/authenticate/verify', { body: assertion, agent, localAddress }),
  );
  if (!verified) return false;
  user.lastAck = user.cred.counter;
  stats.signIns += 1;
  const cookie = cookieOf(verified);
  if (!cookie || verified.json?.userId !== user.id) {
    violations.push(`sign-in of ${user.email} acknowledged without its session (${JSON.stringify(verified.json)})`);
    return false;
  }
  user.sessions.push(cookie);
  await replay(user, assertion, verified.headers['x-served-by'], replayAddress);
  const session = await step('GET /auth/session', () =>
    request(lbPort, 'GET', '/auth/session', { cookie, agent, localAddress }),
  );
  if (session) {
    stats.sessionChecks += 1;
    if (session.json?.user?.id !== user.id) violations.push(`session of ${user.email} names ${session.json?.user?.id}`);
  }
  return true;
}

async function client(c) {
  // Each client has its own source address: the balancer forwards it in X-Forwarded-For.
  const localAddress = `127.0.0.${10 + c}`;
  const replayAddress = `127.0.1.${10 + c}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress });
  let n = 0;
  while (Date.now() < stopAt) {
    n += 1;
    const user = {
      email: `lb-${pass}-${process.pid}-${c}-${n}@lb.example`,
      cred: newCredential(),
      zero: c % 2 === 1, // half the authenticators have no counter: only the challenge stops a replay
      registered: false,
      lastAck: 0,
      lastTry: 0,
      sessions: [],
    };
    const signup = await step('demo/signup', () =>
      request(lbPort, 'POST', '/demo/signup', { body: { email: user.email }, agent, localAddress }),
    );
    if (!signup) continue;
    stats.signups += 1;
    user.id = signup.json.user.id;
    let cookie = cookieOf(signup);
    const options = await step('register/options', () =>
      request(lbPort, 'POST', '/auth/passkey/register/options', { body: {}, cookie, agent, localAddress }),
    );
    if (!options) continue;
    const registered = await step('register/verify', () =>
      request(lbPort, 'POST', '/auth/passkey/register/verify', {
        body: attest(user.cred, options.json, origin, rpId),
        cookie,
        agent,
        localAddress,
      }),
    );
    if (!registered) {
      user.maybeRegistered = true;
      users.push(user);
      continue;
    }
    user.registered = true;
    users.push(user);
    stats.registrations += 1;
    const out = await step('sign-out', () =>
      request(lbPort, 'POST', '/auth/sign-out', { cookie, agent, localAddress }),
    );
    if (out) {
      stats.signOuts += 1;
      const after = await request(lbPort, 'GET', '/auth/session', { cookie, agent, localAddress });
      if (after.status === 200) violations.push(`the session of ${user.email} outlived its sign-out`);
    }
    cookie = null;
    for (let i = 0; i < 2 && Date.now() < stopAt; i++) await signIn(user, agent, localAddress, replayAddress);
  }
  agent.destroy();
}

const chaosDone = chaos();
await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
await chaosDone;
const loadSeconds = (Date.now() - t0) / 1000;

// ---- the checks, every instance up and PostgreSQL running

for (const instance of instances) {
  await waitAnswering(instance, 30_000);
  await waitDatabase(instance, 30_000);
}
const inWindow = (f) => windows.some((w) => f.start <= w.end && f.end >= w.start);

// Counters: stored between the last acknowledged and the last attempted value (psql).
const stored = new Map();
const rows = execFileSync(
  psql,
  [databaseUrl, '-At', '-F', ' ', '-c', "SELECT encode(credential_id, 'hex'), counter FROM kavach_passkey_credentials"],
  {
    encoding: 'utf8',
  },
);
for (const line of rows.split('\n').filter(Boolean)) {
  const [id, counter] = line.split(' ');
  stored.set(id, Number(counter));
}
let countersChecked = 0;
for (const user of users.filter((u) => u.registered)) {
  const counter = stored.get(user.cred.id.toString('hex'));
  if (counter === undefined) {
    violations.push(`acknowledged passkey of ${user.email} is not in the database`);
    continue;
  }
  countersChecked += 1;
  const low = user.zero ? 0 : user.lastAck;
  const high = user.zero ? 0 : user.lastTry;
  if (counter < low || counter > high) {
    violations.push(
      `stored counter of ${user.email} is ${counter}, expected between ${low} and ${high} (went backwards?)`,
    );
  }
}

// Sessions of acknowledged sign-ins: valid through every instance.
let sessionsChecked = 0;
async function forEachLimited(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}
const allSessions = users.flatMap((u) => u.sessions.map((cookie) => ({ user: u, cookie })));
await forEachLimited(allSessions, 16, async ({ user, cookie }) => {
  for (const instance of instances) {
    const res = await request(instance.port, 'GET', '/auth/session', { cookie });
    sessionsChecked += 1;
    if (res.status !== 200 || res.json?.user?.id !== user.id) {
      violations.push(
        `acknowledged session of ${user.email} is not valid on ${instance.name}: ${res.status} ${res.json?.code ?? res.error ?? ''}`,
      );
    }
  }
});

// Passkeys of acknowledged registrations: listed for their user, on every instance.
let passkeysChecked = 0;
await forEachLimited(
  users.filter((u) => u.registered),
  16,
  async (user) => {
    const cookie = user.sessions.at(-1);
    if (!cookie) {
      // No sign-in was acknowledged (it failed inside a window): the passkey must still sign in now.
      const options = await request(lbPort, 'POST', '/auth/passkey/authenticate/options', {
        body: { email: user.email },
        localAddress: '127.0.2.1',
      });
      if (user.zero) user.cred.counter = -1;
      const verified =
        options.status === 200
          ? await request(lbPort, 'POST', '/auth/passkey/authenticate/verify', {
              body: assert(user.cred, options.json.challenge, origin, rpId),
              localAddress: '127.0.2.1',
            })
          : options;
      if (verified.status !== 200) {
        violations.push(
          `acknowledged passkey of ${user.email} cannot sign in at the end: ${verified.status} ${verified.json?.code ?? ''}`,
        );
        return;
      }
      user.sessions.push(cookieOf(verified));
    }
    for (const instance of instances) {
      const res = await request(instance.port, 'GET', '/auth/passkey/credentials', { cookie: user.sessions.at(-1) });
      passkeysChecked += 1;
      const ids = (res.json?.credentials ?? []).map((c) => c.id);
      if (res.status !== 200 || !ids.includes(b64u(user.cred.id))) {
        violations.push(
          `acknowledged passkey of ${user.email} is not listed on ${instance.name}: ${res.status} ${JSON.stringify(ids)}`,
        );
      }
    }
  },
);

finished = true;
haproxy.kill('SIGTERM');
for (const instance of instances) instance.child.kill('SIGTERM');

// ---- figures

const outside = failures.filter((f) => !inWindow(f));
const windowMs = (() => {
  // total duration of the union of windows
  const sorted = windows.map((w) => [w.start, Math.min(w.end, Date.now())]).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur = null;
  for (const [s, e] of sorted) {
    if (!cur || s > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [s, e];
    } else cur[1] = Math.max(cur[1], e);
  }
  if (cur) total += cur[1] - cur[0];
  return total;
})();
const acknowledged = stats.signups + stats.registrations + stats.signIns + stats.sessionChecks + stats.signOuts;
const byCode = {};
for (const f of failures)
  byCode[`${f.what} ${f.status}${f.detail ? ` ${f.detail}` : ''}`] =
    (byCode[`${f.what} ${f.status}${f.detail ? ` ${f.detail}` : ''}`] ?? 0) + 1;
// Had every client shared one bucket (no trustedProxies: the key would be the balancer's address),
// how many of these requests would it have refused? Same arithmetic as the core's token bucket.
let sharedRefusals = 0;
{
  let tokens = RATE_MAX;
  let last = limitedAt[0] ?? 0;
  for (const at of limitedAt.sort((a, b) => a - b)) {
    tokens = Math.min(RATE_MAX, tokens + ((at - last) / 60_000) * RATE_MAX);
    last = at;
    if (tokens >= 1) tokens -= 1;
    else sharedRefusals += 1;
  }
}
const summary = {
  pass,
  instances: instances.map((i) => i.name),
  loadSeconds: Number(loadSeconds.toFixed(1)),
  clients,
  acknowledged: { total: acknowledged, ...stats, replayCodes: undefined, rateLimited: undefined },
  kills,
  pgRestarts,
  windows: windows.length,
  windowSeconds: Number((windowMs / 1000).toFixed(1)),
  killToAnswerMs: Object.fromEntries(
    Object.entries(restartMs).map(([kind, list]) => [kind, Math.round(list.reduce((a, b) => a + b, 0) / list.length)]),
  ),
  postgresWindowMs: windows.filter((w) => w.what === 'postgres restart').map((w) => w.end - MARGIN_MS - w.start),
  errors: failures.length,
  errorsOutsideWindows: outside.length,
  errorKinds: byCode,
  replaysRefused: stats.replaysRefused,
  replayRefusalCodes: stats.replayCodes,
  rateLimited: stats.rateLimited,
  rateLimit: { maxPerMinute: RATE_MAX, limitedRequests: limitedAt.length, refusedByOneSharedBucket: sharedRefusals },
  servedBy,
  checked: { passkeys: passkeysChecked, sessions: sessionsChecked, counters: countersChecked },
  violations: violations.length,
};
console.log(JSON.stringify(summary, null, 2));
writeFileSync(
  path.join(logDir, `${pass}-summary.json`),
  JSON.stringify({ ...summary, windowsList: windows, failures }, null, 2),
);

const problems = [...violations];
for (const f of outside.slice(0, 20)) {
  problems.push(
    `error outside every window at +${((f.start - t0) / 1000).toFixed(2)} s: ${f.what} ${f.status} ${f.detail}`,
  );
}
if (stats.rateLimited) problems.push(`${stats.rateLimited} requests were rate limited: clients share a bucket?`);
if (kills < 3) problems.push(`only ${kills} kills happened (the pass is too short)`);
if (pgRestarts !== 1) problems.push('PostgreSQL was not restarted');
if (stats.signIns < clients) problems.push(`only ${stats.signIns} sign-ins were acknowledged`);
if (stats.replaysRefused + stats.replaysUndelivered !== stats.signIns) {
  problems.push(`${stats.signIns} sign-ins but ${stats.replaysRefused} replays refused`);
}
if (problems.length) {
  for (const p of problems.slice(0, 40)) console.error(`load-balancer ${pass}: FAIL ${p}`);
  process.exit(1);
}
console.log(
  `load-balancer ${pass}: ok: ${acknowledged} operations acknowledged in ${loadSeconds.toFixed(0)} s, ${kills} kills, ` +
    `${pgRestarts} PostgreSQL restart, ${failures.length} errors all inside ${windows.length} windows ` +
    `(${(windowMs / 1000).toFixed(1)} s in all), ${stats.replaysRefused} replays refused, nothing lost`,
);
process.exit(0);
