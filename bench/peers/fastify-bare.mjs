// The Fastify floor of the HTTP benchmark: Fastify 5 alone, no WebAuthn and no database,
// answering the routes load.mjs calls the way peers/express-bare.mjs does for Express (JSON body,
// the same Origin check, Cache-Control + Set-Cookie, small fixed-shape JSON with a random
// challenge). Its CPU per pair is what a JSON API on Fastify costs on this machine before any
// passkey work: the part of the kavach Fastify row no library can remove. Environment: PORT.
import { randomBytes } from 'node:crypto';

import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 3000);
const origin = `http://localhost:${port}`;
const challenge = () => randomBytes(32).toString('base64url');
const cookie = () => `session=${randomBytes(32).toString('base64url')}; HttpOnly; SameSite=Lax; Path=/; Max-Age=604800`;

const app = Fastify({ bodyLimit: 64 * 1024 });

app.addHook('onRequest', async (request, reply) => {
  if (request.method !== 'GET' && request.headers.origin && request.headers.origin !== origin) {
    return reply.code(403).send({ error: 'requests from this origin are not allowed', code: 'FORBIDDEN_ORIGIN' });
  }
});

const send = (reply, body, setCookie) => {
  reply.header('cache-control', 'no-store');
  if (setCookie) reply.header('set-cookie', setCookie);
  return body;
};

app.post('/demo/signup', async (request, reply) =>
  send(reply, { user: { id: 'u1', email: String(request.body?.email) } }, cookie()),
);
app.post('/auth/passkey/register/options', async (request, reply) =>
  send(reply, { challenge: challenge(), user: { id: randomBytes(16).toString('base64url') } }),
);
app.post('/auth/passkey/register/verify', async (request, reply) => send(reply, { verified: true }));
app.post('/auth/passkey/authenticate/options', async (request, reply) =>
  send(reply, {
    challenge: challenge(),
    timeout: 60000,
    rpId: 'localhost',
    allowCredentials: [],
    email: request.body?.email,
  }),
);
app.post('/auth/passkey/authenticate/verify', async (request, reply) =>
  send(reply, { userId: 'u1', sessionId: String(request.body?.id).slice(0, 22) }, cookie()),
);

await app.listen({ port, host: '127.0.0.1' });
console.error(`fastify-bare floor on ${origin}`);
