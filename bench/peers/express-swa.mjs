// The Express peer of the HTTP benchmark: Express 5 + @simplewebauthn/server 14 + better-sqlite3 12,
// serving the same routes as the kavach Express demo with the same work per request
// (swa-store.mjs): POST /demo/signup, /auth/passkey/register/{options,verify},
// /auth/passkey/authenticate/{options,verify}. Environment: PORT, DATABASE (file path).
import express from 'express';

import { HttpError, openPeer } from './swa-store.mjs';

const port = Number(process.env.PORT ?? 3000);
const origin = `http://localhost:${port}`;
const peer = openPeer({ file: process.env.DATABASE ?? 'peer.db', rpId: 'localhost', origin });

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '64kb' }));

// Same CSRF rule as kavach: a present Origin must be ours.
app.use((req, res, next) => {
  if (req.method !== 'GET' && req.headers.origin && req.headers.origin !== origin) {
    throw new HttpError(403, 'FORBIDDEN_ORIGIN', 'requests from this origin are not allowed');
  }
  next();
});

const signedIn = (req) => {
  const token = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const userId = token && peer.userByToken(token);
  if (!userId) throw new HttpError(401, 'UNAUTHORIZED', 'sign in first');
  return userId;
};
const send = (res, body, cookie) => {
  res.set('Cache-Control', 'no-store');
  if (cookie) res.append('Set-Cookie', cookie);
  res.json(body);
};

app.post('/demo/signup', (req, res) => {
  const s = peer.signup(String(req.body?.email ?? ''));
  send(res, { user: s.user }, s.setCookie);
});
app.post('/auth/passkey/register/options', async (req, res) => send(res, await peer.registerOptions(signedIn(req))));
app.post('/auth/passkey/register/verify', async (req, res) =>
  send(res, await peer.registerVerify(signedIn(req), req.body)),
);
app.post('/auth/passkey/authenticate/options', async (req, res) =>
  send(res, await peer.authenticateOptions(typeof req.body?.email === 'string' ? req.body.email : null)),
);
app.post('/auth/passkey/authenticate/verify', async (req, res) => {
  const out = await peer.authenticateVerify(req.body);
  send(res, { userId: out.userId, sessionId: out.sessionId }, out.setCookie);
});

app.use((err, req, res, _next) => {
  const status = err instanceof HttpError ? err.status : 400;
  res.status(status).json({ error: err.message, code: err.code ?? 'VERIFICATION_FAILED' });
});

app.listen(port, '127.0.0.1', () => console.error(`express-swa peer on ${origin}`));
