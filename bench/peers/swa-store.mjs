// The peer relying party for the Node benchmarks: @simplewebauthn/server 14 + better-sqlite3 12,
// doing the same work as kavach's sign-in per request, written the way its docs suggest and
// without handicaps (prepared statements, one transaction per write, WAL):
//   options(email): user by email, their credentials, generateAuthenticationOptions, store the
//                   challenge (with a bounded sweep of expired ones, like kavach).
//   verify(body):   consume the challenge (DELETE ... RETURNING), load the credential and its
//                   owner, verifyAuthenticationResponse, then in one transaction compare-and-set
//                   the counter and insert a session (SHA-256 of a random token).
// Durability: BENCH_SYNC (FULL by default, kavach's default), journal_mode WAL.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import Database from 'better-sqlite3';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';

const TIMEOUT_MS = 300_000;
const b64u = (buf) => Buffer.from(buf).toString('base64url');

export class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function openPeer({ file, rpId, rpName = 'bench', origin, synchronous = process.env.BENCH_SYNC ?? 'FULL' }) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS users (
      id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, webauthn_user_id BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS credentials (
      id BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, public_key BLOB NOT NULL,
      counter INTEGER NOT NULL, transports TEXT NOT NULL, backed_up INTEGER NOT NULL, created_at INTEGER NOT NULL,
      last_used_at INTEGER);
    CREATE INDEX IF NOT EXISTS credentials_user_id ON credentials(user_id);
    CREATE TABLE IF NOT EXISTS challenges (
      challenge TEXT PRIMARY KEY, kind TEXT NOT NULL, user_id TEXT, expires_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS challenges_expires_at ON challenges(expires_at);
    CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS sessions_user_id ON sessions(user_id);
  `);
  const q = {
    userByEmail: db.prepare('SELECT id, webauthn_user_id FROM users WHERE email = ?'),
    userById: db.prepare('SELECT id, email, webauthn_user_id FROM users WHERE id = ?'),
    insertUser: db.prepare('INSERT INTO users (id, email, webauthn_user_id, created_at) VALUES (?, ?, ?, ?)'),
    credsOfUser: db.prepare('SELECT id, transports FROM credentials WHERE user_id = ?'),
    credById: db.prepare('SELECT id, user_id, public_key, counter, transports FROM credentials WHERE id = ?'),
    insertCred: db.prepare(
      'INSERT INTO credentials (id, user_id, public_key, counter, transports, backed_up, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    insertChallenge: db.prepare('INSERT INTO challenges (challenge, kind, user_id, expires_at) VALUES (?, ?, ?, ?)'),
    sweep: db.prepare(
      'DELETE FROM challenges WHERE rowid IN (SELECT rowid FROM challenges WHERE expires_at <= ? LIMIT 16)',
    ),
    takeChallenge: db.prepare('DELETE FROM challenges WHERE challenge = ? RETURNING kind, user_id, expires_at'),
    casCounter: db.prepare(
      'UPDATE credentials SET counter = ?, backed_up = ?, last_used_at = ? WHERE id = ? AND counter = ?',
    ),
    userByTokenHash: db.prepare('SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?'),
    insertSession: db.prepare(
      'INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    ),
  };
  const issue = db.transaction((challenge, kind, userId, now) => {
    q.insertChallenge.run(challenge, kind, userId, now + TIMEOUT_MS);
    q.sweep.run(now);
  });
  const take = (challenge, kind, now) => {
    const row = q.takeChallenge.get(challenge);
    if (!row || row.kind !== kind || row.expires_at <= now) {
      throw new HttpError(400, 'CHALLENGE_INVALID', 'the challenge is unknown, expired or already used');
    }
    return row;
  };
  const finish = db.transaction((credId, expected, counter, backedUp, userId, now) => {
    if (q.casCounter.run(counter, backedUp ? 1 : 0, now, credId, expected).changes !== 1) {
      throw new HttpError(400, 'COUNTER_REGRESSION', 'signature counter did not increase');
    }
    const token = randomBytes(32).toString('base64url');
    const sessionId = randomUUID();
    const tokenHash = createHash('sha256').update(token).digest();
    q.insertSession.run(sessionId, tokenHash, userId, now, now + 7 * 86_400_000);
    return { sessionId, token };
  });
  const cookie = (token) => `session=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=604800`;
  const challengeOf = (response) => {
    try {
      return JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8')).challenge;
    } catch {
      throw new HttpError(400, 'INVALID_REQUEST', 'malformed clientDataJSON');
    }
  };

  return {
    db,
    signup(email) {
      const id = randomUUID();
      q.insertUser.run(id, email, randomBytes(32), Date.now());
      const { token } = finishSessionOnly(id);
      return { user: { id, email }, token, setCookie: cookie(token) };
    },
    userByToken(token) {
      return q.userByTokenHash.get(createHash('sha256').update(token).digest(), Date.now())?.user_id ?? null;
    },
    async registerOptions(userId) {
      const user = q.userById.get(userId);
      const options = await generateRegistrationOptions({
        rpName,
        rpID: rpId,
        userName: user.email,
        userID: new Uint8Array(user.webauthn_user_id),
        attestationType: 'none',
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
        supportedAlgorithmIDs: [-7, -257],
      });
      issue(options.challenge, 'registration', userId, Date.now());
      return options;
    },
    async registerVerify(userId, body) {
      const now = Date.now();
      const row = take(challengeOf(body), 'registration', now);
      if (row.user_id !== userId) throw new HttpError(400, 'CHALLENGE_INVALID', 'not your challenge');
      const v = await verifyRegistrationResponse({
        response: body,
        expectedChallenge: (c) => c.length > 0,
        expectedOrigin: origin,
        expectedRPID: rpId,
        requireUserVerification: false,
      });
      if (!v.verified) throw new HttpError(400, 'VERIFICATION_FAILED', 'registration failed');
      const c = v.registrationInfo.credential;
      q.insertCred.run(
        Buffer.from(c.id, 'base64url'),
        userId,
        Buffer.from(c.publicKey),
        c.counter,
        JSON.stringify(c.transports ?? []),
        v.registrationInfo.credentialBackedUp ? 1 : 0,
        now,
      );
      return { verified: true, credential: { id: c.id } };
    },
    async authenticateOptions(email) {
      const user = email ? q.userByEmail.get(email) : undefined;
      const allowCredentials = user
        ? q.credsOfUser.all(user.id).map((c) => ({ id: b64u(c.id), transports: JSON.parse(c.transports) }))
        : [];
      const options = await generateAuthenticationOptions({ rpID: rpId, allowCredentials, userVerification: 'preferred' });
      issue(options.challenge, 'authentication', user?.id ?? null, Date.now());
      return options;
    },
    async authenticateVerify(body) {
      const now = Date.now();
      const row = take(challengeOf(body), 'authentication', now);
      const cred = q.credById.get(Buffer.from(String(body.id), 'base64url'));
      if (!cred || (row.user_id && row.user_id !== cred.user_id)) {
        throw new HttpError(400, 'UNKNOWN_CREDENTIAL', 'this passkey is not registered here');
      }
      const v = await verifyAuthenticationResponse({
        response: body,
        expectedChallenge: (c) => c.length > 0, // already consumed above: it exists and is ours
        expectedOrigin: origin,
        expectedRPID: rpId,
        credential: { id: b64u(cred.id), publicKey: new Uint8Array(cred.public_key), counter: cred.counter },
        requireUserVerification: false,
      });
      if (!v.verified) throw new HttpError(400, 'VERIFICATION_FAILED', 'sign-in failed');
      const info = v.authenticationInfo;
      const s = finish(cred.id, cred.counter, info.newCounter, info.credentialBackedUp, cred.user_id, now);
      return { userId: cred.user_id, sessionId: s.sessionId, token: s.token, setCookie: cookie(s.token) };
    },
    close() {
      db.close();
    },
  };

  function finishSessionOnly(userId) {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    q.insertSession.run(randomUUID(), createHash('sha256').update(token).digest(), userId, now, now + 7 * 86_400_000);
    return { token };
  }
}
