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
  let onEvent;
  let config = options;
  if (options !== null && typeof options === 'object' && !Array.isArray(options) && 'onEvent' in options) {
    ({ onEvent, ...config } = options);
    if (onEvent !== undefined && onEvent !== null && typeof onEvent !== 'function') {
      throw kavachError('INVALID_CONFIG', 'onEvent must be a function');
    }
  }
  const inner = await call(() => native.open(args.json(config, 'options', 'INVALID_CONFIG')));
  if (typeof onEvent === 'function') {
    try {
      inner.setEventHandler(deliverTo(onEvent, 'onEvent'));
    } catch (err) {
      throw fromNative(err);
    }
  }
  return new Kavach(inner);
}

/**
 * What the native threadsafe function calls on the main thread: the JSON text of an event or log
 * line (or null, the marker `close()` waits for). The host's function must never throw into
 * napi (that would be an uncaught exception, taking the process down) nor affect a ceremony
 * (which finished long before): a throw or a rejected promise is reported on stderr and
 * otherwise ignored.
 */
function deliverTo(fn, name, parse = JSON.parse) {
  const report = (err) => {
    try {
      console.error(`kavach: the ${name} handler failed (ignored):`, err);
    } catch {
      // stderr itself failed: nothing left to tell.
    }
  };
  return (text) => {
    if (typeof text !== 'string') return;
    try {
      const result = fn(parse(text));
      if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
        result.then(undefined, report);
      }
    } catch (err) {
      report(err);
    }
  };
}

/**
 * Sends every log line (one JSON object per line, as a string) to `hook` on the main thread
 * instead of stderr. Process-wide: lines also come from places that belong to no instance.
 * Replaces an earlier hook.
 */
function setLogHook(hook) {
  if (typeof hook !== 'function') {
    throw kavachError('INVALID_REQUEST', 'setLogHook takes a function (line: string) => void');
  }
  native.setLogHook(deliverTo(hook, 'log hook', (line) => line));
}

/** Removes the log hook: lines go to stderr again. */
function clearLogHook() {
  native.clearLogHook();
}

/** `{before?, limit?}` of an activity page, as the native call takes them. */
function page(options) {
  if (options === undefined || options === null) return [null, null];
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw kavachError('INVALID_REQUEST', 'activity takes {before?, limit?}');
  }
  const before = args.optionalString(options.before, 'before');
  let limit = null;
  if (options.limit !== undefined && options.limit !== null) {
    if (!Number.isInteger(options.limit) || options.limit < 0 || options.limit > 0xffffffff) {
      throw kavachError('INVALID_REQUEST', 'limit must be between 1 and 200');
    }
    limit = options.limit;
  }
  return [before, limit];
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
      update: async (id, changes) => {
        const userId = args.string(id, 'id');
        if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) {
          throw kavachError('INVALID_REQUEST', 'users.update takes (id, {email?, name?})');
        }
        return parse(await call(() => n.updateUser(userId, args.json(changes, 'changes'))));
      },
      delete: async (id) => {
        const userId = args.string(id, 'id');
        await call(() => n.deleteUser(userId));
      },
      listCredentials: async (id) => parse(await call(() => n.userCredentials(args.string(id, 'id')))),
      revokeCredential: async (id, credentialId) => {
        const userId = args.string(id, 'id');
        const credential = args.string(credentialId, 'credentialId');
        await call(() => n.revokeUserCredential(userId, credential));
      },
      listSessions: async (id) => parse(await call(() => n.userSessions(args.string(id, 'id')))),
      revokeSessions: async (id) => parse(await call(() => n.revokeUserSessions(args.string(id, 'id')))),
      activity: async (id, options) => {
        const userId = args.string(id, 'id');
        const [before, limit] = page(options);
        return parse(await call(() => n.userActivity(userId, before, limit)));
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

  /**
   * The signed-in user's own security activity, newest first: `{events, nextCursor}`; pass
   * `nextCursor` as `before` for the next (older) page. `limit` defaults to 50, at most 200.
   */
  async activity(session, options) {
    const token = args.string(session, 'session');
    const [before, limit] = page(options);
    return parse(await call(() => this.#native.activity(token, before, limit)));
  }

  /**
   * The Prometheus text exposition (format 0.0.4) of this instance's counters, histograms and
   * gauges. Synchronous: rendering reads in-memory counters only (no I/O). Serve it to your
   * scraper only.
   */
  metrics() {
    try {
      return this.#native.metrics();
    } catch (err) {
      throw fromNative(err);
    }
  }

  /**
   * Call at shutdown: delivers pending events to `onEvent` (the promise resolves after their
   * handlers ran), stores pending failed sign-ins and flushes the log hook. Resolves to false
   * when that took longer than 5 s. The instance still answers afterwards, but its events reach
   * no handler.
   */
  async close() {
    return call(() => this.#native.close());
  }

  verifyRegistrationResponse(options) {
    return verify.verifyRegistrationResponse(options);
  }

  verifyAuthenticationResponse(options) {
    return verify.verifyAuthenticationResponse(options);
  }
}

module.exports = { createKavach, Kavach, KavachError, setLogHook, clearLogHook };
