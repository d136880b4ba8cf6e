// The floor of the HTTP benchmark: Express 5 alone, no WebAuthn and no database. It answers the
// routes load.mjs calls (POST /demo/signup, /auth/passkey/register/{options,verify},
// /auth/passkey/authenticate/{options,verify}) the way the Express peer does (express.json() body,
// the same Origin check, Cache-Control + Set-Cookie + res.json) with small fixed-shape JSON and a
// random challenge. Its CPU per pair is what a JSON API on Express costs on this machine before any
// passkey work: the part of both Express rows no WebAuthn library can remove. Environment: PORT.
import { randomBytes } from 'node:crypto';

import express from 'express';

const port = Number(process.env.PORT ?? 3000);
const origin = `http://localhost:${port}`;
const challenge = () => randomBytes(32).toString('base64url');
const cookie = () => `session=${randomBytes(32).toString('base64url')}; HttpOnly; SameSite=Lax; Path=/; Max-Age=604800`;

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '64kb' }));

app.use((req, res, next) => {
  if (req.method !== 'GET' && req.headers.origin && req.headers.origin !== origin) {
    return res.status(403).json({
      error: 'requests from this origin are not allowed',
      code: 'FORBIDDEN_ORIGIN',
    });
  }
  next();
});

const send = (res, body, setCookie) => {
  res.set('Cache-Control', 'no-store');
  if (setCookie) res.append('Set-Cookie', setCookie);
  res.json(body);
};

app.post('/demo/signup', (req, res) => send(res, { user: { id: 'u1', email: String(req.body?.email) } }, cookie()));
app.post('/auth/passkey/register/options', (req, res) =>
  send(res, {
    challenge: challenge(),
    user: { id: randomBytes(16).toString('base64url') },
  }),
);
app.post('/auth/passkey/register/verify', (req, res) => send(res, { verified: true }));
app.post('/auth/passkey/authenticate/options', (req, res) =>
  send(res, {
    challenge: challenge(),
    timeout: 60000,
    rpId: 'localhost',
    allowCredentials: [],
    email: req.body?.email,
  }),
);
app.post('/auth/passkey/authenticate/verify', (req, res) =>
  send(res, { userId: 'u1', sessionId: String(req.body?.id).slice(0, 22) }, cookie()),
);

app.listen(port, '127.0.0.1', () => console.error(`express-bare floor on ${origin}`));
