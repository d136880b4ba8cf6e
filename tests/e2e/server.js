// Starts and stops an example server for the browser tests, following the server contract in
// README.md: E2E_SERVER_CMD run from the repository root with PORT, DATABASE_URL pointing at a
// fresh SQLite file, KAVACH_SECRET and KAVACH_USER_VERIFICATION.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const SERVER_CMD = process.env.E2E_SERVER_CMD || 'examples/rust-server/run.sh';
// run.sh may have to compile first: allow for a clean release build on a 2-core machine.
const START_TIMEOUT_MS = Number(process.env.E2E_START_TIMEOUT_MS || 600_000);

const running = new Set();
// Last resort if the test process dies without running its `after` hooks.
process.on('exit', () => {
  for (const server of running) server.killNow();
});

/** A port that was free a moment ago on 127.0.0.1 (also used by scripts/snippets.mjs). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The server contract's environment: PORT, a fresh SQLite file in `dataDir`, the test secret, and
 * the optional variables only when a test asks (never inherited from the shell that runs the suite).
 */
function serverEnv(port, dataDir, { userVerification = 'preferred', attestation, passkeyOptions, metricsToken } = {}) {
  const inherited = { ...process.env };
  for (const name of [
    'KAVACH_ATTESTATION',
    'KAVACH_PASSKEY_OPTIONS_JSON',
    'KAVACH_OPTIONS_JSON',
    'KAVACH_METRICS_TOKEN',
  ]) {
    delete inherited[name];
  }
  return {
    ...inherited,
    PORT: String(port),
    DATABASE_URL: `file:${path.join(dataDir, 'kavach.db')}`,
    KAVACH_SECRET: 'e2e-test-secret-that-is-long-enough-0123456789',
    KAVACH_USER_VERIFICATION: userVerification,
    // Optional (servers that do not know it ignore it): the passkey plugin's `attestation`.
    ...(attestation ? { KAVACH_ATTESTATION: attestation } : {}),
    // A JSON object merged over the example's passkey options (a string is passed as is,
    // for the tests of a malformed value).
    ...(passkeyOptions === undefined
      ? {}
      : {
          KAVACH_PASSKEY_OPTIONS_JSON:
            typeof passkeyOptions === 'string' ? passkeyOptions : JSON.stringify(passkeyOptions),
        }),
    // When set, GET /metrics wants `Authorization: Bearer <it>`.
    ...(metricsToken ? { KAVACH_METRICS_TOKEN: metricsToken } : {}),
  };
}

/**
 * Starts `E2E_SERVER_CMD` on `port` (default: a free one) with a fresh database and waits until it
 * answers. Returns `{ baseUrl, port, stop(), log() }`.
 */
export async function startServer({
  userVerification = 'preferred',
  attestation,
  passkeyOptions,
  metricsToken,
  port,
} = {}) {
  port ??= await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kavach-e2e-db-'));
  const env = serverEnv(port, dataDir, { userVerification, attestation, passkeyOptions, metricsToken });
  const started = Date.now();
  // detached: the server (and anything run.sh starts) gets its own process group, killed as one.
  const child = spawn('bash', ['-c', SERVER_CMD], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));

  const server = {
    port,
    baseUrl: `http://localhost:${port}`,
    log: () => output,
    killNow() {
      if (exited) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
    async stop() {
      running.delete(server);
      if (!exited) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        const deadline = Date.now() + 5000;
        while (!exited && Date.now() < deadline) await sleep(50);
        server.killNow();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  running.add(server);

  // Ready when it answers HTTP at all (GET /auth/session without a cookie is a 401).
  while (true) {
    if (exited) {
      await server.stop();
      throw new Error(`server command exited (${JSON.stringify(exited)}) before answering:\n${output}`);
    }
    if (Date.now() - started > START_TIMEOUT_MS) {
      await server.stop();
      throw new Error(`server did not answer within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    // The browser uses "localhost", which may be 127.0.0.1 or ::1: either will do.
    const probes = ['127.0.0.1', '[::1]'].map((host) =>
      fetch(`http://${host}:${port}/auth/session`, { signal: AbortSignal.timeout(1000) }),
    );
    const answered = await Promise.any(probes).catch(() => null);
    if (answered) {
      server.host = (await Promise.allSettled(probes))[0].status === 'fulfilled' ? '127.0.0.1' : '[::1]';
      break;
    }
    await sleep(100);
  }
  console.log(
    `timing: server (${SERVER_CMD}, userVerification ${userVerification}) ready on ${server.baseUrl} in ${Date.now() - started} ms`,
  );
  return server;
}

/**
 * Runs E2E_SERVER_CMD with PORT=`port` (expected to be taken) and waits for it to exit: returns
 * `{code, output}`; fails if it is still running after `timeoutMs`.
 */
export async function runUntilExit({ port, timeoutMs = START_TIMEOUT_MS, passkeyOptions }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kavach-e2e-db-'));
  const env = serverEnv(port, dataDir, { passkeyOptions });
  const child = spawn('bash', ['-c', SERVER_CMD], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  try {
    const code = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${output}`)), timeoutMs);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(code ?? signal);
      });
    });
    return { code, output };
  } finally {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // exited
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
