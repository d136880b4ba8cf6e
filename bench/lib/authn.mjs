// A minimal ES256 software authenticator for the benchmarks (node:crypto only): "none"
// attestation for registration, signed assertions for sign-in. Not a test authenticator: it
// produces exactly what a platform authenticator would, with no tweaks.
import { createHash, generateKeyPairSync, randomBytes, sign, createPrivateKey } from 'node:crypto';

export const b64u = (buf) => Buffer.from(buf).toString('base64url');
export const unb64u = (s) => Buffer.from(s, 'base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

// --- a tiny CBOR encoder: unsigned/negative ints, byte and text strings, maps -------------------
function head(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
function cbor(value) {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const s = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, s.length), s]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) {
    const parts = [head(5, value.size)];
    for (const [k, v] of value) parts.push(cbor(k), cbor(v));
    return Buffer.concat(parts);
  }
  throw new TypeError('cbor: unsupported value');
}

/** A fresh ES256 credential: keys, a 16-byte id and its COSE public key. */
export function newCredential() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const cose = cbor(
    new Map([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, unb64u(jwk.x)],
      [-3, unb64u(jwk.y)],
    ]),
  );
  return {
    id: randomBytes(16),
    privateKey,
    pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }),
    cosePublicKey: cose,
    counter: 0,
    userHandle: null,
  };
}

/** A credential from {id, pkcs8, cosePublicKey, userHandle} as stored in the fixtures. */
export function credentialFrom(stored) {
  return {
    id: unb64u(stored.id),
    privateKey: createPrivateKey({ key: unb64u(stored.pkcs8), format: 'der', type: 'pkcs8' }),
    pkcs8: unb64u(stored.pkcs8),
    cosePublicKey: unb64u(stored.cosePublicKey),
    counter: stored.counter ?? 0,
    userHandle: stored.userHandle ? unb64u(stored.userHandle) : null,
  };
}

function clientData(type, challenge, origin) {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
}

/** The RegistrationResponseJSON for creation options (`options.challenge`, `options.user.id`). */
export function attest(cred, options, origin, rpId) {
  cred.userHandle = unb64u(options.user.id);
  const flags = 0x45; // UP | UV | AT
  const idLen = Buffer.alloc(2);
  idLen.writeUInt16BE(cred.id.length);
  const authData = Buffer.concat([
    sha256(rpId),
    Buffer.from([flags]),
    Buffer.alloc(4),
    Buffer.alloc(16), // AAGUID: none
    idLen,
    cred.id,
    cred.cosePublicKey,
  ]);
  const attestationObject = cbor(
    new Map([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', authData],
    ]),
  );
  return {
    id: b64u(cred.id),
    rawId: b64u(cred.id),
    type: 'public-key',
    response: {
      clientDataJSON: b64u(clientData('webauthn.create', options.challenge, origin)),
      attestationObject: b64u(attestationObject),
      transports: ['internal', 'hybrid'],
    },
    clientExtensionResults: {},
    authenticatorAttachment: 'platform',
  };
}

/** The AuthenticationResponseJSON for `challenge`; bumps the signature counter. */
export function assert(cred, challenge, origin, rpId) {
  cred.counter += 1;
  const authData = Buffer.alloc(37);
  sha256(rpId).copy(authData, 0);
  authData[32] = 0x05; // UP | UV
  authData.writeUInt32BE(cred.counter, 33);
  const cdj = clientData('webauthn.get', challenge, origin);
  const signature = sign('sha256', Buffer.concat([authData, sha256(cdj)]), { key: cred.privateKey, dsaEncoding: 'der' });
  const response = {
    clientDataJSON: b64u(cdj),
    authenticatorData: b64u(authData),
    signature: b64u(signature),
  };
  if (cred.userHandle) response.userHandle = b64u(cred.userHandle);
  return {
    id: b64u(cred.id),
    rawId: b64u(cred.id),
    type: 'public-key',
    response,
    clientExtensionResults: {},
    authenticatorAttachment: 'platform',
  };
}

export const randomChallenge = () => b64u(randomBytes(32));
