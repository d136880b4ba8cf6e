'use strict';
// createKavach and the Kavach instance: every method converts its arguments, calls the native
// operation (which runs on the libuv pool) and converts the result. No behaviour lives here.

const native = require('./native.cjs');
const { KavachError, kavachError, call, fromNative } = require('./errors.cjs');
const args = require('./args.cjs');
const { fetchHandler } = require('./adapters/fetch.cjs');
const { expressMiddleware } = require('./adapters/express.cjs');
const { fastifyPlugin } = require('./adapters/fastify.cjs');
const verify = require('./verify.cjs');

const parse = (text) => JSON.parse(text);

/**
 * Validates the configuration and opens the database (migrations run on the libuv pool).
 * Rejects with KavachError INVALID_CONFIG and the core's message when the configuration is wrong.
 */
async function createKavach(options) {
  const config = args.json(options, 'options', 'INVALID_CONFIG');
  const inner = await call(() => native.open(config));
  return new Kavach(inner);
}

class Kavach {
  #native;

  constructor(inner) {
    if (!(inner instanceof native.KavachNative)) {
      throw new TypeError('use createKavach(options) to create a Kavach instance');
    }
    this.#native = inner;
    this.handler = this.handler.bind(this);
    const n = inner;
    this.users = Object.freeze({
      create: async (user) => {
        if (user === null || typeof user !== 'object') {
          throw kavachError('INVALID_REQUEST', 'users.create takes {email, name?}');
        }
        const email = args.string(user.email, 'email');
        const name = args.optionalString(user.name, 'name');
        return parse(await call(() => n.createUser(email, name)));
      },
      get: async (id) => parse(await call(() => n.getUser(args.string(id, 'id')))),
      findByEmail: async (email) => parse(await call(() => n.findUserByEmail(args.string(email, 'email')))),
      setHasOtherSignIn: async (id, value) => {
        const userId = args.string(id, 'id');
        const flag = args.boolean(value, 'value');
        await call(() => n.setUserHasOtherSignIn(userId, flag));
      },
    });
    this.sessions = Object.freeze({
      create: async (userId) => parse(await call(() => n.createSession(args.string(userId, 'userId')))),
      get: async (tokenOrCookieHeader) =>
        parse(await call(() => n.getSession(args.string(tokenOrCookieHeader, 'tokenOrCookieHeader')))),
      revoke: async (id) => parse(await call(() => n.revokeSession(args.string(id, 'id')))),
      requireRecentAuth: async (tokenOrCookieHeader, seconds) => {
        const ref = args.string(tokenOrCookieHeader, 'tokenOrCookieHeader');
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff) {
          throw kavachError('INVALID_REQUEST', 'seconds must be a whole number of seconds');
        }
        await call(() => n.requireRecentAuth(ref, seconds));
      },
    });
    this.credentials = Object.freeze({
      import: async (credential) => parse(await call(() => n.importCredential(args.json(credential, 'credential')))),
    });
    const wellKnown = (document, extra) => {
      const json = extra === undefined || extra === null ? '' : args.json(extra, 'extra');
      try {
        return parse(n.wellKnown(document, json));
      } catch (err) {
        throw fromNative(err);
      }
    };
    this.wellKnown = Object.freeze({
      webauthn: () => wellKnown('webauthn'),
      assetLinks: (extra) => wellKnown('assetlinks.json', extra),
      appleAppSiteAssociation: (extra) => wellKnown('apple-app-site-association', extra),
    });
    this.attestation = Object.freeze({
      loadMetadata: async (blob) => {
        const text = Buffer.isBuffer(blob) || blob instanceof Uint8Array ? Buffer.from(blob).toString('utf8') : blob;
        return parse(await call(() => n.loadMetadata(args.string(text, 'blob'))));
      },
    });
  }

  /** The route prefix every endpoint lives under, e.g. '/auth'. */
  get basePath() {
    return this.#native.basePath;
  }

  /** Whether a request path (query string allowed) is kavach's: basePath or below. */
  handlesPath(path) {
    return this.#native.handlesPath(args.string(path, 'path'));
  }

  /**
   * Routes one request through the core: `{method, path, headers?, body?, client?}` in,
   * `{status, headers, body}` out. `client` is the host's key for the client (its IP as the
   * host's proxy setup resolves it); only the optional per-client rate limit reads it.
   */
  async handle(request) {
    if (request === null || typeof request !== 'object') {
      throw kavachError('INVALID_REQUEST', 'handle takes {method, path, headers?, body?, client?}');
    }
    const method = args.string(request.method, 'method');
    const path = args.string(request.path, 'path');
    const headers = args.headerPairs(request.headers);
    const body = args.bytes(request.body, 'body');
    const client = args.optionalString(request.client, 'client');
    const res = await call(() => this.#native.handle(method, path, headers, body, client));
    return { status: res.status, headers: args.tuples(res.headers), body: res.body };
  }

  /**
   * A Fetch API handler (Hono, Next.js route handlers, Bun, Deno). Bound to this instance, so
   * `export const POST = kavach.handler` works. `options.client` is the host's key for the
   * client (Fetch requests carry no peer address); a non-string is ignored, because frameworks
   * that call the handler directly pass their own second argument (Next.js its context, Bun its
   * server, Workers their env).
   */
  handler(request, options) {
    return fetchHandler(this, request, options);
  }

  /**
   * Express 4/5 (or plain node:http) middleware for everything under basePath. The client key
   * is `req.ip` (Express's 'trust proxy' setting applies), else the socket's peer address.
   */
  express() {
    return expressMiddleware(this.#native);
  }

  /**
   * A Fastify 4/5 plugin answering every method on basePath and below:
   * `fastify.register(kavach.fastify())` (without a prefix). The body reaches the core raw (a
   * content-type parser scoped to the plugin); the client key is derived by the core from the
   * socket's peer address and `trustedProxies` (Fastify's trustProxy is not used).
   */
  fastify() {
    return fastifyPlugin(this.#native);
  }

  async registerOptions(session, body) {
    const token = args.string(session, 'session');
    const json = args.json(body, 'body');
    return parse(await call(() => this.#native.registerOptions(token, json)));
  }

  async registerVerify(session, body) {
    const token = args.string(session, 'session');
    const json = args.json(body, 'body');
    return parse(await call(() => this.#native.registerVerify(token, json)));
  }

  async authenticateOptions(options) {
    const request = {};
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object' || Array.isArray(options)) {
        throw kavachError('INVALID_REQUEST', 'authenticateOptions takes {email?, prf?}');
      }
      request.email = args.optionalString(options.email, 'email');
      if (options.prf !== undefined && options.prf !== null) request.prf = options.prf;
    }
    const json = args.json(request, 'options');
    return parse(await call(() => this.#native.authenticateOptions(json)));
  }

  async authenticateVerify(body) {
    const json = args.json(body, 'body');
    return parse(await call(() => this.#native.authenticateVerify(json)));
  }

  async listCredentials(session) {
    const token = args.string(session, 'session');
    return parse(await call(() => this.#native.listCredentials(token)));
  }

  async renameCredential(session, id, name) {
    const token = args.string(session, 'session');
    const credentialId = args.string(id, 'id');
    const newName = args.string(name, 'name');
    return parse(await call(() => this.#native.renameCredential(token, credentialId, newName)));
  }

  async deleteCredential(session, id) {
    const token = args.string(session, 'session');
    const credentialId = args.string(id, 'id');
    await call(() => this.#native.deleteCredential(token, credentialId));
  }

  verifyRegistrationResponse(options) {
    return verify.verifyRegistrationResponse(options);
  }

  verifyAuthenticationResponse(options) {
    return verify.verifyAuthenticationResponse(options);
  }
}

module.exports = { createKavach, Kavach, KavachError };
