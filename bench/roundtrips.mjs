// Statements and round trips to PostgreSQL per HTTP operation. pg-bench.sh turns on
// `log_statement = 'all'` for the kavach role; this script starts the Express demo with its
// DATABASE_URL pointed at a small TCP relay in front of PostgreSQL, warms the demo up (prepared
// statements are cached per connection), then runs each operation N times from one client, one
// at a time, and counts in between:
//   - statements: what the server logged (a `BEGIN; SET LOCAL ...` batch is one simple query);
//   - round trips: at the relay, each time kavach sends after the server has answered (requests
//     kavach pipelines, sent before reading any answer, are one round trip).
//
//   node roundtrips.mjs --database-url URL --log PATH_TO_SERVER_LOG [--n 20] [--options JSON]
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, statSync } from 'node:fs';

import { assert, attest, newCredential } from './lib/authn.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const logPath = opt('log');
const n = Number(opt('n', 20));
const databaseUrl = new URL(opt('database-url'));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The relay: counts turns (kavach sends after the server spoke).
let turns = 0;
const relay = net.createServer((client) => {
  const server = net.connect(Number(databaseUrl.port || 5432), databaseUrl.hostname);
  let serverSpoke = true;
  client.on('data', (chunk) => {
    if (serverSpoke) turns += 1;
    serverSpoke = false;
    server.write(chunk);
  });
  server.on('data', (chunk) => {
    serverSpoke = true;
    client.write(chunk);
  });
  const close = () => {
    client.destroy();
    server.destroy();
  };
  client.on('error', close).on('close', close);
  server.on('error', close).on('close', close);
});
await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
const relayed = new URL(databaseUrl);
relayed.port = String(relay.address().port);
const port = await new Promise((resolve) => {
  const probe = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});
const demo = spawn('node', ['server.js'], {
  cwd: path.join(root, 'examples/express'),
  env: {
    ...process.env,
    PORT: String(port),
    DATABASE_URL: relayed.toString(),
    KAVACH_OPTIONS_JSON: opt('options', ''),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
process.on('exit', () => demo.kill());
for (let i = 0; ; i++) {
  const up = await new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket.end() && true));
    socket.on('error', () => resolve(false));
  });
  if (up) break;
  if (i > 200) throw new Error('the demo did not start');
  await new Promise((r) => setTimeout(r, 50));
}
const origin = `http://localhost:${port}`;
const rpId = 'localhost';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, path, body, cookie) {
  const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
  const headers = { origin, host: `localhost:${port}` };
  if (data) Object.assign(headers, { 'content-type': 'application/json', 'content-length': data.length });
  if (cookie) headers.cookie = cookie;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new Error(`${path}: ${res.statusCode} ${text.slice(0, 200)}`));
        resolve({ body: JSON.parse(text), cookie: res.headers['set-cookie']?.[0].split(';')[0] });
      });
    });
    req.on('error', reject);
    req.end(data ?? undefined);
  });
}

let users = 0;
async function newUser() {
  const email = `rt${process.pid}-${++users}@bench.example`;
  const { body, cookie } = await call('POST', '/demo/signup', { email });
  return { email, id: body.user.id, cookie };
}
async function register(user) {
  const cred = newCredential();
  const options = await call('POST', '/auth/passkey/register/options', {}, user.cookie);
  await call('POST', '/auth/passkey/register/verify', attest(cred, options.body, origin, rpId), user.cookie);
  return cred;
}
async function signIn(user, cred) {
  const options = await call('POST', '/auth/passkey/authenticate/options', { email: user.email });
  return call('POST', '/auth/passkey/authenticate/verify', assert(cred, options.body.challenge, origin, rpId));
}

// Statements logged from `offset` on (the server appends to its log as it goes).
const size = () => statSync(logPath).size;
const statementsSince = (offset) =>
  readFileSync(logPath, 'utf8')
    .slice(offset)
    .split('\n')
    .filter((line) => /LOG: {2}(statement|execute [^:]*):/.test(line)).length;
const settle = () => new Promise((r) => setTimeout(r, 300)); // let the log writer catch up

async function count(label, fn) {
  for (let i = 0; i < 3; i++) await fn(); // warm (prepared statements)
  await settle();
  const from = size();
  const turnsBefore = turns;
  for (let i = 0; i < n; i++) await fn();
  await settle();
  const statements = statementsSince(from) / n;
  const roundTrips = (turns - turnsBefore) / n;
  console.log(
    `${label.padEnd(52)} ${statements.toFixed(1).padStart(5)} statements ${roundTrips.toFixed(1).padStart(5)} round trips`,
  );
  return { statements, roundTrips };
}

const user = await newUser();
const cred = await register(user);
const results = {};
results.signup = await count('POST /demo/signup (users.create + sessions.create)', async () => {
  await newUser();
});
results.registerPair = await count('registration pair (register/options + verify)', async () => {
  await register(user);
});
results.authenticateOptions = await count('authenticate/options {email}', async () => {
  await call('POST', '/auth/passkey/authenticate/options', { email: user.email });
});
results.signInPair = await count('sign-in pair (authenticate/options + verify)', async () => {
  await signIn(user, cred);
});
const session = (await signIn(user, cred)).cookie;
results.session = await count('GET /auth/session', async () => {
  await call('GET', '/auth/session', undefined, session);
});
console.log(JSON.stringify(results));
agent.destroy();
demo.kill();
relay.close();
process.exit(0);
