#!/usr/bin/env node
// Differential peer: @simplewebauthn/server (exact pin in package.json / package-lock.json).
//
// Usage: node swa_verify.mjs CASES.jsonl > verdicts.jsonl
//
// One verdict per non-blank input line, same order:
//   {"id": ..., "verdict": "pass"|"fail", "error": "<Name: message>"|null}
// Verdict is "pass" iff the verify call resolves with verified === true. A resolved
// verified:false becomes error "verified=false". Anything thrown becomes a "fail".
import { readFileSync } from 'node:fs';
import {
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';

const SUPPORTED_ALGS = [-8, -7, -35, -36, -37, -257];
const CASE_TIMEOUT_MS = Number(process.env.SWA_CASE_TIMEOUT_MS || 10000);
const MAX_ERR = 300;

// A stray rejection inside the library must not kill the run.
process.on('unhandledRejection', (e) => {
  process.stderr.write(`swa_verify: unhandled rejection: ${String(e && e.message || e)}\n`);
});

function shortError(e) {
  let out;
  if (e instanceof Error) {
    const msg = String(e.message ?? '').split(/\s+/).join(' ').trim();
    out = msg ? `${e.name}: ${msg}` : e.name;
  } else {
    out = `thrown: ${String(e)}`;
  }
  return out.length <= MAX_ERR ? out : out.slice(0, MAX_ERR - 3) + '...';
}

function withTimeout(p, ms) {
  let t;
  const timeout = new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

async function verifyCase(c) {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) {
    throw new TypeError('case is not a JSON object');
  }
  const common = {
    response: c.response,
    expectedChallenge: c.expectedChallenge,
    expectedOrigin: c.expectedOrigin,
    expectedRPID: c.expectedRPID,
    requireUserVerification: Boolean(c.requireUserVerification ?? false),
  };
  if (c.kind === 'registration') {
    return verifyRegistrationResponse({ ...common, supportedAlgorithmIDs: SUPPORTED_ALGS });
  }
  if (c.kind === 'authentication') {
    if (typeof c.credentialPublicKey !== 'string') {
      throw new TypeError('credentialPublicKey missing or not a string');
    }
    const credential = {
      id: c.credentialId ?? c.response?.id,
      publicKey: isoBase64URL.toBuffer(c.credentialPublicKey),
      counter: Number(c.counter ?? 0),
    };
    return verifyAuthenticationResponse({ ...common, credential });
  }
  throw new Error(`unknown kind ${JSON.stringify(c.kind)}`);
}

async function main() {
  const path = process.argv[2];
  if (!path || process.argv.length !== 3) {
    process.stderr.write('usage: swa_verify.mjs CASES.jsonl\n');
    process.exit(2);
  }
  const lines = readFileSync(path, 'utf8').split('\n');
  const out = [];
  const flush = () => { if (out.length) { process.stdout.write(out.join('')); out.length = 0; } };
  for (const line of lines) {
    if (!line.trim()) continue;
    let id = null;
    let verdict;
    try {
      const c = JSON.parse(line);
      if (c && typeof c === 'object' && !Array.isArray(c)) id = c.id ?? null;
      const res = await withTimeout(Promise.resolve().then(() => verifyCase(c)), CASE_TIMEOUT_MS);
      verdict = res && res.verified === true
        ? { id, verdict: 'pass', error: null }
        : { id, verdict: 'fail', error: 'verified=false' };
    } catch (e) {
      verdict = { id, verdict: 'fail', error: shortError(e) };
    }
    out.push(JSON.stringify(verdict) + '\n');
    if (out.length >= 256) flush();
  }
  flush();
}

main().catch((e) => {
  process.stderr.write(`swa_verify: fatal: ${shortError(e)}\n`);
  process.exit(1);
});
