// Hand-written types of the `kavachos` public API. The napi-generated declarations of the
// private native module are in ../native/index.d.ts and are not part of this API.

import type { IncomingMessage, ServerResponse } from 'node:http';

// ---------------------------------------------------------------- configuration (docs/configuration.md)

export type UserVerification = 'required' | 'preferred' | 'discouraged';
/**
 * A signature algorithm kavach verifies, by its IANA COSE name (COSE id in brackets): EdDSA (-8),
 * Ed25519 (-19), ES256 (-7), ES384 (-35), ES512 (-36), PS256 (-37), PS384 (-38), PS512 (-39),
 * RS256 (-257), ML-DSA-44 (-48), ML-DSA-65 (-49), ML-DSA-87 (-50). See docs/algorithms.md.
 */
export type AlgorithmName =
  | 'EdDSA'
  | 'Ed25519'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'RS256'
  | 'ML-DSA-44'
  | 'ML-DSA-65'
  | 'ML-DSA-87';
export type AttestationConveyance = 'none' | 'indirect' | 'direct';

export interface PasskeyOptions {
  /** Shown by the browser when creating a passkey. */
  rpName: string;
  /** The RP ID: a registrable suffix of every allowed origin's host (e.g. 'example.com', 'localhost'). */
  rpId: string;
  /** Allowed origins; default: the origin of `baseUrl`. */
  origin?: string | string[];
  /** Ceremony timeout in milliseconds, 1000..600000. Default 60000. */
  timeout?: number;
  /** Default 'none'. */
  attestation?: AttestationConveyance;
  /** Default 'preferred'. */
  userVerification?: UserVerification;
  /** Let every user delete their last passkey (the host has other ways in). Default false. */
  allowDeletingLastPasskey?: boolean;
  /**
   * @deprecated No effect: challenges are stateless, options requests store nothing (use
   * `rateLimit` against floods). Still accepted, with a warning at start-up.
   */
  maxOutstandingChallenges?: number;
  /**
   * Which attestation a registration must carry. Default: any (including none). Needs
   * `attestation: 'direct'` (or 'indirect').
   */
  attestationPolicy?: {
    /** 'verified': a certificate chain to a trusted root. Default 'any'. */
    require?: 'any' | 'verified';
    /**
     * Only these authenticator models (dashed-hex AAGUIDs) may register, and only when the
     * attestation proves the model (a verified chain whose certificate names it, or a FIDO
     * metadata root of that model alone): a model the authenticator merely claims never passes.
     */
    allowedAaguids?: string[];
  };
  /** Extra trust anchors for attestation chains. */
  attestationRoots?: { name: string; format?: string; pem: string }[];
  /** Trust the roots bundled with kavach (Apple, Google, GlobalSign, Microsoft TPM). Default true. */
  bundledAttestationRoots?: boolean;
  /**
   * A FIDO Metadata Service (MDS3) BLOB on disk: names, statuses and roots per AAGUID. A BLOB
   * past its nextUpdate is loaded with a warning (`stale: 'warn'`, the default) or refused at
   * start-up (`stale: 'refuse'`).
   */
  metadata?: { blobPath?: string; stale?: 'warn' | 'refuse' };
  /** android-safetynet: refuse devices whose ctsProfileMatch is false. Default true. */
  androidSafetyNet?: { requireCtsProfileMatch?: boolean };
  /**
   * The algorithms offered in `pubKeyCredParams`, most preferred first; a credential of any other
   * is refused. Default: every algorithm kavach verifies, classic ones first, ML-DSA last. E.g.
   * `['ML-DSA-44', 'ES256', 'EdDSA']` to prefer post-quantum credentials.
   */
  algorithms?: AlgorithmName[];
  /**
   * The pages (https origins) that may embed a ceremony in a cross-origin iframe, checked against
   * `clientDataJSON.topOrigin`. Default none: a ceremony with `crossOrigin: true` is refused.
   */
  topOrigins?: string[];
  /**
   * Which authenticators the browser should lead with, most preferred first, in both options.
   * Default none; a `register/options` or `authenticate/options` body may set its own `hints`.
   */
  hints?: PublicKeyCredentialHint[];
  /**
   * Related Origin Requests: other sites (https origins) whose pages may use this rpId, served in
   * `GET /.well-known/webauthn` with the RP's own origins. At most 5 registrable-domain labels
   * in all (`example.com` and `example.co.uk` are one label, `example`), as browsers count them.
   */
  relatedOrigins?: string[];
  /**
   * Native apps sharing these passkeys. Android: each SHA-256 signing-certificate fingerprint
   * ('AB:CD:...') becomes the accepted origin `android:apk-key-hash:<base64url>` and a
   * `get_login_creds` statement in `/.well-known/assetlinks.json`; a sign-in from an app returns
   * its session token in the body. Apple: `TEAMID.bundle.id` in
   * `/.well-known/apple-app-site-association` (`webcredentials.apps`).
   */
  apps?: {
    android?: { package: string; sha256CertFingerprints: string[] }[];
    ios?: { teamId: string; bundleId: string }[];
  };
  /** Request the PRF extension at registration; `Credential.prfEnabled` records the result. */
  prf?: boolean;
  /** The FIDO U2F AppID of credentials imported from U2F (`credentials.import`), offered as `appid`. */
  appid?: string;
  /**
   * 'strict' (default) refuses a sign-in whose signature counter did not increase; 'flag' accepts
   * it, marks the credential `cloneWarning: true` and logs a warning.
   */
  counterPolicy?: 'strict' | 'flag';
  /**
   * Accept `register/options {mediation: 'conditional'}` (automatic passkey upgrade: the browser
   * creates a passkey without a prompt after a password sign-in). Default true, unless
   * `userVerification` is 'required' (then it must not be set true).
   */
  conditionalCreate?: boolean;
}

/** What `passkey(...)` returns: the options tagged for `plugins`. */
export interface PasskeyPlugin extends PasskeyOptions {
  id: 'passkey';
}

export interface KavachOptions {
  /** Default `{ provider: 'sqlite', url: 'file:kavach.db' }`. */
  database?: { provider?: 'sqlite' | 'postgres'; url?: string };
  /** At least 32 bytes. Keys the challenge MACs (challenges are stateless). */
  secret: string;
  /**
   * Earlier secrets, still accepted for challenges issued under them, never used to issue
   * (rotation: move `secret` here and set a new one). Each at least 32 bytes.
   */
  previousSecrets?: string[];
  /** Public URL of the auth server: default allowed origin; https turns on Secure cookies. */
  baseUrl: string;
  /** Route prefix. Default '/auth'. */
  basePath?: string;
  /** Session lifetime in seconds (default 7 days). */
  session?: { maxAge?: number };
  /**
   * Rate limit, off unless given: at most `max` requests (default 30) per `window` seconds
   * (default 60) on the sign-in routes (authenticate/options, authenticate/verify) from one client
   * key, and on register/options and register/verify from one session; then 429 `RATE_LIMITED`
   * with Retry-After. The client key is derived by the core from the peer the adapter passes
   * (the socket's address for `express()`, `options.client` for `handler()`, `client` for
   * `handle()`) and, behind `trustedProxies`, X-Forwarded-For; requests without a peer are not
   * limited on the sign-in routes. IPv6 clients count by /64, /56 and /48. `storage`:
   * 'memory' (default; each instance counts alone, so N instances allow N x max) or
   * 'database' (the buckets live in the database: every instance on it shares one budget, for
   * one write per limited request).
   */
  rateLimit?: { enabled?: boolean; window?: number; max?: number; storage?: 'memory' | 'database' };
  /**
   * The reverse proxies (IP addresses or CIDR networks, e.g. ['10.0.0.0/8', '2001:db8::/32'])
   * whose X-Forwarded-For is believed. When the request's peer is one of them, the client key
   * is the rightmost X-Forwarded-For entry that is not; otherwise the peer. Default: none.
   */
  trustedProxies?: string[];
  plugins: PasskeyPlugin[];
  /** The audit log (`kavach_events`): on by default, rows kept `retentionDays` (default 90). */
  audit?: { enabled?: boolean; retentionDays?: number };
  /** `kavach.metrics()`: on by default. */
  metrics?: { enabled?: boolean };
  /**
   * Receives every security event after its change commits, on the main thread, off the request
   * path (a bounded queue inside kavach; events it had to drop are counted in
   * `kavach_events_dropped_total`). A throw or a rejected promise is reported on stderr and
   * otherwise ignored: it never affects a ceremony. Pending events never keep the process alive;
   * `kavach.close()` delivers them. Not part of the JSON configuration.
   */
  onEvent?: (event: KavachEvent) => void | Promise<void>;
}

/** The type of a security event (docs/operations.md). */
export type KavachEventType =
  | 'user.created'
  | 'passkey.registered'
  | 'passkey.renamed'
  | 'passkey.deleted'
  | 'signin.succeeded'
  | 'signin.failed'
  | 'session.created'
  | 'session.revoked'
  | 'session.renewed'
  | 'stepup.succeeded'
  | 'counter.regression'
  | 'rate.limited'
  | 'metadata.stale'
  | 'credential.imported';

/** A security event: never a token, challenge, key or PRF value. */
export interface KavachEvent {
  type: KavachEventType;
  /** ISO-8601 UTC. */
  at: string;
  userId?: string;
  credentialId?: string;
  sessionId?: string;
  /** The client key of the request (its IP as the core derived it). */
  client?: string;
  /** The error code of a refusal (`signin.failed`). */
  code?: string;
  /** How many it stands for, when above 1 (aggregated failed sign-ins, revoked sessions). */
  count?: number;
}

/** A page of security activity, newest first. */
export interface ActivityPage {
  events: KavachEvent[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** Which page of activity: `before` a cursor (exclusive), `limit` events (default 50, at most 200). */
export interface ActivityOptions {
  before?: string | null;
  limit?: number | null;
}

// ---------------------------------------------------------------- data shapes (docs/http.md)

export interface User {
  id: string;
  email: string;
  name: string | null;
}

export interface Session {
  id: string;
  userId: string;
  /** ISO-8601 UTC. */
  expiresAt: string;
  /** When a passkey last verified the user (a passkey sign-in), ISO-8601 UTC; null for `sessions.create`. */
  authenticatedAt: string | null;
}

/** `GET /sessions`: one of the signed-in user's sessions. */
export interface SessionListing {
  id: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** The last request seen with it (to the minute), ISO-8601 UTC. */
  lastSeenAt: string;
  /** ISO-8601 UTC. */
  expiresAt: string;
  authenticatedAt: string | null;
  /** The session making the request. */
  current: boolean;
}

export interface NewSession {
  /** The bearer token (also inside `setCookie`); shown only here. */
  token: string;
  /** The `Set-Cookie` header value. */
  setCookie: string;
  session: Session;
}

export interface Credential {
  /** WebAuthn credential ID, base64url. */
  id: string;
  name: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** ISO-8601 UTC; null until first use. */
  lastUsedAt: string | null;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  transports: string[];
  aaguid: string;
  /** What the authenticator's attestation proved at registration. */
  attestation: {
    format: 'none' | 'packed' | 'fido-u2f' | 'tpm' | 'android-key' | 'android-safetynet' | 'apple' | 'compound';
    trust: 'none' | 'self' | 'unverified' | 'verified';
    /** With 'verified': the trust anchor's name; otherwise null. */
    root: string | null;
    /** With 'verified': where that anchor came from; otherwise null. */
    source: 'bundled' | 'configured' | 'mds' | null;
    /** Whether the attestation proves `aaguid` (rather than the authenticator claiming it). */
    aaguidAttested: boolean;
  };
  /** Whether it signs in without an email (credProps.rk at registration); null when unknown. */
  discoverable: boolean | null;
  /** The authenticator enabled PRF for it (`prf: true`). */
  prfEnabled: boolean;
  /** A sign-in saw its counter go backwards (`counterPolicy: 'flag'`): it may have been cloned. */
  cloneWarning: boolean;
  /** 'conditional': made by an automatic passkey upgrade; 'import': by `credentials.import`. */
  createdBy: 'registration' | 'conditional' | 'import';
}

/** `credentials.import`: a credential registered elsewhere (U2F or another WebAuthn server). */
export interface ImportedCredential {
  userId: string;
  /** The credential ID (U2F: the key handle), base64url. */
  credentialId: string;
  /** 'webauthn': the COSE key, base64url. 'u2f': the 65-byte uncompressed P-256 point, base64url. */
  publicKey: string;
  /** The last signature counter seen. Default 0. */
  counter?: number;
  format: 'u2f' | 'webauthn';
  /** Default 'Security key' (U2F) or 'Passkey'. */
  name?: string;
  transports?: string[];
  /** 'webauthn': the user handle (user.id, base64url) it was created with on the other server. */
  userHandle?: string;
  /** 'webauthn': a synced passkey (BE flag at its registration); every sign-in must show the same. */
  backupEligible?: boolean;
}

/** PRF salts for `authenticateOptions` (base64url), for all credentials or per credential ID. */
export interface PrfInputs {
  eval?: { first: string; second?: string };
  evalByCredential?: Record<string, { first: string; second?: string }>;
}

export interface PublicKeyCredentialDescriptorJSON {
  id: string;
  type: 'public-key';
  /** Always present (empty when the client reported none). */
  transports: string[];
}

/** The options `startRegistration({ optionsJSON })` takes. */
export interface PublicKeyCredentialCreationOptionsJSON {
  rp: { name: string; id: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { type: 'public-key'; alg: number }[];
  timeout: number;
  excludeCredentials: PublicKeyCredentialDescriptorJSON[];
  authenticatorSelection: {
    authenticatorAttachment?: 'platform' | 'cross-platform';
    residentKey: string;
    requireResidentKey: boolean;
    userVerification: UserVerification;
  };
  attestation: AttestationConveyance;
  /** `prf: {}` when the `prf` option is on. */
  extensions: { credProps: boolean; prf?: Record<string, never> };
  /** Present when hints were configured or asked for. */
  hints?: PublicKeyCredentialHint[];
}

/** The options `startAuthentication({ optionsJSON })` takes. */
export interface PublicKeyCredentialRequestOptionsJSON {
  challenge: string;
  timeout: number;
  rpId: string;
  allowCredentials: PublicKeyCredentialDescriptorJSON[];
  userVerification: UserVerification;
  /** Present when hints were configured. */
  hints?: PublicKeyCredentialHint[];
  /** `appid` (when configured) and PRF salts (when the host passed them); absent otherwise. */
  extensions?: { appid?: string; prf?: PrfInputs };
}

/** What `startRegistration` returns (passed through to the core as is). */
export interface RegistrationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: {
    clientDataJSON: string;
    attestationObject: string;
    transports?: string[];
    [key: string]: unknown;
  };
  clientExtensionResults?: Record<string, unknown>;
  authenticatorAttachment?: string | null;
}

/** What `startAuthentication` returns (passed through to the core as is). */
export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle?: string | null;
  };
  clientExtensionResults?: Record<string, unknown>;
  authenticatorAttachment?: string | null;
}

export interface RegisterOptionsBody {
  /** A name for the new passkey. */
  name?: string;
  authenticatorAttachment?: 'platform' | 'cross-platform';
  /** Hints for this request instead of the configured `hints`. */
  hints?: PublicKeyCredentialHint[];
  /** 'conditional': options for an automatic passkey upgrade (`conditionalCreate`). */
  mediation?: 'conditional';
}

/** Which kind of authenticator the browser should lead with (WebAuthn Level 3). */
export type PublicKeyCredentialHint = 'security-key' | 'client-device' | 'hybrid';

export interface SignIn {
  userId: string;
  sessionId: string;
  /** The new session's bearer token. */
  token: string;
  /** The `Set-Cookie` header value for the new session. */
  setCookie: string;
  /** ISO-8601 UTC. */
  expiresAt: string;
}

// ---------------------------------------------------------------- stateless verifiers

export interface VerifyRegistrationOptions {
  response: RegistrationResponseJSON;
  expectedChallenge: string;
  expectedOrigin: string | string[];
  expectedRPID: string;
  /** Default true (as SimpleWebAuthn); pass false when your options said `userVerification: 'preferred'`. */
  requireUserVerification?: boolean;
  /** The algorithms the registration offered; default: every algorithm kavach verifies. */
  expectedAlgorithms?: AlgorithmName[];
  /** The pages that may embed the ceremony in a cross-origin iframe; default none (refused). */
  expectedTopOrigins?: string[];
  /** Default true; false only for a conditional create (automatic passkey upgrade). */
  requireUserPresence?: boolean;
}

export interface AuthenticatorFlags {
  userPresent: boolean;
  userVerified: boolean;
  backupEligible: boolean;
  backedUp: boolean;
}

export interface VerifiedRegistration {
  credentialId: string;
  /** COSE public key, base64url: store it. */
  publicKey: string;
  /** COSE algorithm id, e.g. -7 (ES256), -48 (ML-DSA-44). */
  algorithm: number;
  counter: number;
  flags: AuthenticatorFlags;
  aaguid: string;
  attestationFormat: string;
  attestationTrust: string;
  /** With 'verified' trust: the trust anchor's name. */
  attestationRoot: string | null;
  /** With 'verified' trust: 'bundled', 'configured' or 'mds'. */
  attestationSource: 'bundled' | 'configured' | 'mds' | null;
  /** Whether the attestation proves `aaguid`. */
  aaguidAttested: boolean;
  transports: string[];
  discoverable: boolean | null;
  /** The client reported `prf.enabled`. */
  prfEnabled: boolean;
  deviceType: 'singleDevice' | 'multiDevice';
}

export interface VerifyAuthenticationOptions {
  response: AuthenticationResponseJSON;
  expectedChallenge: string;
  expectedOrigin: string | string[];
  expectedRPID: string;
  /** Default true (as SimpleWebAuthn); pass false when your options said `userVerification: 'preferred'`. */
  requireUserVerification?: boolean;
  /** The stored credential: COSE public key (base64url), last counter, optionally its id. */
  credential: { publicKey: string; counter: number; id?: string; transports?: string[] };
  /** The pages that may embed the ceremony in a cross-origin iframe; default none (refused). */
  expectedTopOrigins?: string[];
  /**
   * The FIDO U2F AppID your options offered (`extensions.appid`). Pass it only for a credential
   * registered with U2F: with it, an assertion signed for the AppID's hash is accepted.
   */
  expectedAppId?: string;
}

export interface VerifiedAuthentication {
  credentialId: string;
  /** Store this as the credential's new counter. */
  counter: number;
  flags: AuthenticatorFlags;
  userHandle: string | null;
}

export function verifyRegistrationResponse(options: VerifyRegistrationOptions): Promise<VerifiedRegistration>;
export function verifyAuthenticationResponse(options: VerifyAuthenticationOptions): Promise<VerifiedAuthentication>;
/** The same verification on the calling thread (pure CPU, no I/O: 16-250 us by algorithm). */
export function verifyRegistrationResponseSync(options: VerifyRegistrationOptions): VerifiedRegistration;
/** The same verification on the calling thread (pure CPU, no I/O: 16-250 us by algorithm). */
export function verifyAuthenticationResponseSync(options: VerifyAuthenticationOptions): VerifiedAuthentication;

// ---------------------------------------------------------------- errors

import type { ErrorCode, ErrorFamily } from './error-codes.cjs';
/** The stable codes, generated from the core's table (`error-codes.d.cts`). */
export type { ErrorCode, ErrorFamily };

/** Every failure of kavach: a stable code, the HTTP status, a message safe to show. */
/**
 * WebAuthn Signal API payloads kavach adds to its answers, each the argument of the
 * `PublicKeyCredential.signal*` method of the same name.
 */
export interface KavachSignal {
  unknownCredential?: { rpId: string; credentialId: string };
  allAcceptedCredentials?: { rpId: string; userId: string; allAcceptedCredentialIds: string[] };
  currentUserDetails?: { rpId: string; userId: string; name: string; displayName: string };
}

export class KavachError extends Error {
  constructor(code: ErrorCode | string, status: number, message: string, retryAfter?: number, signal?: KavachSignal);
  readonly name: 'KavachError';
  /** Stable machine-readable code; branch on this. */
  code: ErrorCode;
  /** The HTTP status the router answers this error with. */
  status: number;
  /** For 'RATE_LIMITED': seconds after which a retry may succeed; otherwise undefined. */
  retryAfter?: number;
  /**
   * A WebAuthn Signal API payload for the page: `{unknownCredential: {rpId, credentialId}}` when a
   * usernameless sign-in used a passkey kavach does not know (pass it to
   * `PublicKeyCredential.signalUnknownCredential`).
   */
  signal?: KavachSignal;
  /** Who the error is about: the client's request, the host's own call or configuration, or nobody. */
  readonly family: ErrorFamily;
  /** The core's error body: what every kavach route answers, for a host's own routes to send. */
  toJSON(): { error: string; code: ErrorCode; status: number; retryAfter?: number; signal?: KavachSignal };
  /** Every code with its default status and family, from the core. */
  static readonly codes: ReadonlyArray<{
    readonly code: ErrorCode;
    readonly status: number;
    readonly family: ErrorFamily;
  }>;
}

// ---------------------------------------------------------------- the instance

/**
 * `session` arguments take a session token, a `Cookie` header value, or `'Bearer <token>'`.
 * Every method returns a Promise; the work runs on the libuv thread pool.
 */
export type SessionRef = string;

export type HeadersInit = Headers | [string, string][] | Record<string, string | string[] | undefined>;

/** What `attestation.loadMetadata` installed. */
export interface MetadataInfo {
  /** The BLOB's serial number (`no`). */
  number: number;
  /** Its nextUpdate date (YYYY-MM-DD). */
  nextUpdate: string;
  /** Past nextUpdate: loaded with a warning (refused under `stale: 'refuse'`). */
  stale: boolean;
}

export interface KavachRequest {
  method: string;
  /** Full path including basePath, optionally with a query string. */
  path: string;
  headers?: HeadersInit;
  body?: Buffer | Uint8Array | ArrayBuffer | string | object | null;
  /**
   * The peer of the connection the request came on (its IP address, as your server's socket
   * reports it). The core derives the rate-limit client key from it and, when it is one of
   * `trustedProxies`, from the X-Forwarded-For among `headers`. Never a value taken from a
   * header. Only the optional `rateLimit` reads it; a request without one is never rate-limited.
   */
  client?: string | null;
}

export interface HandlerOptions {
  /**
   * The peer address (see `KavachRequest.client`): a Fetch `Request` carries none, so the host
   * passes it, e.g. Bun's `server.requestIP(request)?.address`. Anything but a string
   * is ignored, so the handler can still be handed to a framework that passes its own second
   * argument.
   */
  client?: string | null;
}

export interface KavachResponse {
  status: number;
  /** In order; `set-cookie` may repeat. */
  headers: [string, string][];
  body: Buffer;
}

export type NextFunction = (err?: unknown) => void;

/**
 * The plugin `kavach.fastify()` returns, for `fastify.register(...)` (Fastify 4 or 5). Typed
 * structurally so that `kavachos` needs no Fastify types: it is assignable to Fastify's
 * `FastifyPluginCallback`.
 */
export type KavachFastifyPlugin = (instance: unknown, opts: unknown, done: (err?: Error) => void) => void;

export interface Kavach {
  /** The validated route prefix, e.g. '/auth'. */
  readonly basePath: string;
  /** Whether a request path (query string allowed) is kavach's: basePath or below. */
  handlesPath(path: string): boolean;

  /** The framework-neutral router (docs/http.md). */
  handle(request: KavachRequest): Promise<KavachResponse>;
  /** Fetch API handler (Hono, Next.js, Bun); bound, so it can be passed around. */
  handler(request: Request, options?: HandlerOptions): Promise<Response>;
  /**
   * Express 4/5 or node:http middleware for the paths under basePath (others go to next()). It
   * passes the socket's peer address and every header; the core derives the client key from
   * them and `trustedProxies` (Express's 'trust proxy' setting is not used).
   */
  express(): (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => void;
  /**
   * Fastify 4/5 plugin for every method on basePath and below:
   * `fastify.register(kavach.fastify())`, without a prefix (the routes live under basePath).
   * The raw body (64 KiB limit, 413 past it) reaches the core through a content-type parser
   * scoped to the plugin, so the host's own routes keep Fastify's parsers. It passes the
   * socket's peer address and every header; the core derives the client key from them and
   * `trustedProxies` (Fastify's trustProxy is not used).
   */
  fastify(): KavachFastifyPlugin;

  users: {
    create(user: { email: string; name?: string | null }): Promise<User>;
    get(id: string): Promise<User | null>;
    findByEmail(email: string): Promise<User | null>;
    /** Whether the user can sign in another way (then their last passkey may be deleted). */
    setHasOtherSignIn(id: string, value: boolean): Promise<void>;
    /** Changes the email and/or name (`name: null` clears it); `USER_NOT_FOUND`, `USER_EXISTS`. */
    update(id: string, changes: { email?: string; name?: string | null }): Promise<User>;
    /** Deletes the user and erases their passkeys, sessions and audit rows. */
    delete(id: string): Promise<void>;
    /** The user's passkeys, newest first (admin tools). */
    listCredentials(id: string): Promise<Credential[]>;
    /** Revokes one of the user's passkeys (admin tools: may be the last one). */
    revokeCredential(id: string, credentialId: string): Promise<void>;
    /** The user's live sessions, newest first (admin tools; `current` is always false). */
    listSessions(id: string): Promise<SessionListing[]>;
    /** Signs the user out everywhere. */
    revokeSessions(id: string): Promise<{ revoked: number }>;
    /** The user's security activity, newest first (admin tools). */
    activity(id: string, options?: ActivityOptions): Promise<ActivityPage>;
  };

  sessions: {
    /** Signs a user in (after the host's own sign-up): token + Set-Cookie value. */
    create(userId: string): Promise<NewSession>;
    /** Resolves a token, 'Bearer <token>' or a Cookie header value; null when none is live. */
    /**
     * With `setCookie` when resolving it renewed the session (sliding expiry, `session.updateAge`):
     * send it as the answer's Set-Cookie so the cookie lives as long as the session.
     */
    get(tokenOrCookieHeader: string): Promise<{ user: User; session: Session; setCookie?: string } | null>;
    /** Whether the session existed. */
    revoke(id: string): Promise<boolean>;
    /**
     * Resolves when a passkey verified the session's user within `seconds` (a passkey sign-in or
     * a step-up: `POST /auth/passkey/authenticate/options {stepUp: true}`); rejects with
     * `REAUTH_REQUIRED` (403) otherwise, `UNAUTHORIZED` without a live session. Call it before a
     * sensitive action of your own.
     */
    requireRecentAuth(tokenOrCookieHeader: string, seconds: number): Promise<void>;
  };

  credentials: {
    /**
     * Stores a credential registered elsewhere for an existing user (`USER_NOT_FOUND`,
     * `CREDENTIAL_EXISTS`, `INVALID_REQUEST` for a key kavach cannot verify with). Imported U2F
     * credentials sign in through the `appid` extension when the `appid` option is set.
     */
    import(credential: ImportedCredential): Promise<Credential>;
  };

  /**
   * The well-known documents, for hosts that serve them themselves (kavach mounted at the site
   * root answers them itself). `extra` is the host's own content, kept and merged.
   */
  wellKnown: {
    /** `{origins: [...]}` for `/.well-known/webauthn`. */
    webauthn(): { origins: string[] };
    /** `/.well-known/assetlinks.json`: `extra` is the host's own statements (App Links). */
    assetLinks(extra?: unknown[]): unknown[];
    /** `/.well-known/apple-app-site-association`: `extra` is the host's own document. */
    appleAppSiteAssociation(extra?: Record<string, unknown>): Record<string, unknown>;
  };

  attestation: {
    /**
     * Replaces the FIDO metadata at run time: an MDS3 BLOB (the JWS text from
     * https://mds3.fidoalliance.org/), verified against the FIDO root before use. Rejects with
     * `INVALID_REQUEST`, keeping the BLOB in use, for one that does not verify, one older (a lower
     * serial number) than the one in use, or a stale one under `metadata: { stale: 'refuse' }`.
     */
    loadMetadata(blob: string | Uint8Array): Promise<MetadataInfo>;
  };

  registerOptions(
    session: SessionRef,
    body?: RegisterOptionsBody | string,
  ): Promise<PublicKeyCredentialCreationOptionsJSON>;
  registerVerify(
    session: SessionRef,
    body: RegistrationResponseJSON | { response: RegistrationResponseJSON; name?: string } | string,
  ): Promise<Credential>;
  /** With `prf`, the salts go to the authenticator (`extensions.prf`); outputs stay in the browser. */
  authenticateOptions(options?: {
    email?: string | null;
    prf?: PrfInputs | null;
  }): Promise<PublicKeyCredentialRequestOptionsJSON>;
  authenticateVerify(
    body: AuthenticationResponseJSON | { response: AuthenticationResponseJSON } | string,
  ): Promise<SignIn>;
  /** Newest first. */
  listCredentials(session: SessionRef): Promise<Credential[]>;
  renameCredential(session: SessionRef, id: string, name: string): Promise<Credential>;
  deleteCredential(session: SessionRef, id: string): Promise<void>;

  /**
   * The session user's own security activity, newest first (what `GET /auth/passkey/activity`
   * answers); pass `nextCursor` as `before` for the next page.
   */
  activity(session: SessionRef, options?: ActivityOptions): Promise<ActivityPage>;
  /**
   * Prometheus text exposition (format 0.0.4): serve it with
   * `Content-Type: text/plain; version=0.0.4`, to your scraper only. Synchronous: it reads
   * in-memory counters.
   */
  metrics(): string;
  /**
   * At shutdown: delivers pending events (resolving after `onEvent` ran for them), stores
   * pending failed sign-ins and flushes the log hook; false when that took longer than 5 s.
   */
  close(): Promise<boolean>;

  verifyRegistrationResponse(options: VerifyRegistrationOptions): Promise<VerifiedRegistration>;
  verifyAuthenticationResponse(options: VerifyAuthenticationOptions): Promise<VerifiedAuthentication>;
}

/**
 * Validates the configuration and opens the database. Rejects with KavachError
 * `INVALID_CONFIG` (and the core's message saying which setting is wrong).
 */
export function createKavach(options: KavachOptions): Promise<Kavach>;

export { passkey } from './plugins/passkey.cjs';

/**
 * Sends every kavach log line (a JSON object as a string: `{at, level, kind, ...}`, one per
 * internal error, security-relevant refusal or operator warning) to `hook` on the main thread,
 * instead of stderr. Process-wide; replaces an earlier hook. A throwing hook is reported on
 * stderr and ignored.
 */
export function setLogHook(hook: (line: string) => void): void;
/** Removes the log hook: lines go to stderr again. */
export function clearLogHook(): void;

/** The version of this package (and of the kavach core inside it), e.g. '0.1.0'. */
export const version: string;
