// Compile-only check that the hand-written declarations describe the documented usage (ESM).
import {
  createKavach,
  KavachError,
  verifyAuthenticationResponse,
  verifyAuthenticationResponseSync,
  verifyRegistrationResponse,
  type AlgorithmName,
  type Credential,
  type User,
  type VerifiedAuthentication,
} from 'kavachos';
import { passkey } from 'kavachos/plugins/passkey';
import Fastify from 'fastify';

const kavach = await createKavach({
  database: { provider: 'sqlite', url: 'file:kavach.db' },
  secret: 'x'.repeat(32),
  baseUrl: 'https://auth.example.com',
  basePath: '/auth',
  session: { maxAge: 604800 },
  rateLimit: { window: 60, max: 30 },
  plugins: [
    passkey({
      rpName: 'My App',
      rpId: 'example.com',
      origin: ['https://app.example.com'],
      userVerification: 'preferred',
      attestationPolicy: { require: 'verified', allowedAaguids: ['ee882879-721c-4913-9775-3dfcce97072a'] },
      metadata: { blobPath: 'mds3.jwt' },
      algorithms: ['ML-DSA-44', 'ES256', 'EdDSA'],
      topOrigins: ['https://portal.example.com'],
    }),
  ],
});
const user: User = await kavach.users.create({ email: 'a@example.com', name: 'A' });
const { token, setCookie } = await kavach.sessions.create(user.id);
const options = await kavach.registerOptions(token, { name: 'Laptop' });
const challenge: string = options.challenge;
const credentials: Credential[] = await kavach.listCredentials(`Bearer ${token}`);
const trusted: boolean = credentials.some((c) => c.attestation.trust === 'verified' && c.attestation.root !== null);
const res: Response = await kavach.handler(new Request('https://auth.example.com/auth/session'));
const limited: Response = await kavach.handler(new Request('https://auth.example.com/auth/session'), {
  client: '203.0.113.7',
});
const out = await kavach.handle({ method: 'GET', path: '/auth/session', headers: { cookie: setCookie } });
await kavach.handle({ method: 'POST', path: '/auth/passkey/authenticate/options', client: '203.0.113.7' });
const status: number = out.status;
const middleware = kavach.express();
// The plugin type is assignable to Fastify's own plugin types.
const fastifyApp = Fastify();
await fastifyApp.register(kavach.fastify());
fastifyApp.register(kavach.fastify()).after(() => undefined);
try {
  await verifyAuthenticationResponse({
    response: {
      id: '',
      rawId: '',
      type: 'public-key',
      response: { clientDataJSON: '', authenticatorData: '', signature: '' },
    },
    expectedChallenge: challenge,
    expectedOrigin: 'https://app.example.com',
    expectedRPID: 'example.com',
    credential: { publicKey: '', counter: 0 },
  });
} catch (err) {
  if (err instanceof KavachError && err.code === 'VERIFICATION_FAILED') console.log(err.status);
}
const verifiedNow: VerifiedAuthentication = verifyAuthenticationResponseSync({
  response: {
    id: '',
    rawId: '',
    type: 'public-key',
    response: { clientDataJSON: '', authenticatorData: '', signature: '' },
  },
  expectedChallenge: challenge,
  expectedOrigin: 'https://app.example.com',
  expectedRPID: 'example.com',
  credential: { publicKey: '', counter: 0 },
});
console.log(verifiedNow.counter);
console.log(credentials, trusted, res, limited, status, middleware, KavachError.codes[0].code);

const classic: AlgorithmName[] = ['ES256', 'EdDSA', 'RS256'];
// @ts-expect-error: algorithms are named, not numbered (docs/algorithms.md)
const numbered: AlgorithmName[] = [-7];
await verifyRegistrationResponse({
  response: {
    id: '',
    rawId: '',
    type: 'public-key',
    response: { clientDataJSON: '', attestationObject: '' },
  },
  expectedChallenge: challenge,
  expectedOrigin: 'https://app.example.com',
  expectedRPID: 'example.com',
  expectedAlgorithms: classic,
  expectedTopOrigins: ['https://portal.example.com'],
}).catch(() => numbered);
