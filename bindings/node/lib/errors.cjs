'use strict';
// KavachError: the core's stable error (code, HTTP status, safe message) as a JS exception.

const native = require('./native.cjs');

class KavachError extends Error {
  /**
   * @param {string} code stable code, e.g. 'CHALLENGE_INVALID'
   * @param {number} status HTTP status the router answers with
   * @param {string} message safe, human-readable message
   * @param {number} [retryAfter] seconds after which a retry may succeed (RATE_LIMITED)
   * @param {object} [signal] a WebAuthn Signal API payload for the page (`{unknownCredential}`)
   */
  constructor(code, status, message, retryAfter, signal) {
    super(message);
    this.name = 'KavachError';
    this.code = code;
    this.status = status;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
    if (signal !== undefined) this.signal = signal;
  }

  /** Who the error is about: 'request' (the client's input), 'caller' (the host) or 'internal'. */
  get family() {
    return familyOf.get(this.code) ?? 'internal';
  }

  /** The core's error body, `{error, code, status, retryAfter?, signal?}`: what every kavach route answers. */
  toJSON() {
    const body = { error: this.message, code: this.code, status: this.status };
    if (this.retryAfter !== undefined) body.retryAfter = this.retryAfter;
    if (this.signal !== undefined) body.signal = this.signal;
    return body;
  }
}

/** Every stable code, its default status and family, straight from the core's `ErrorCode::ALL`. */
KavachError.codes = Object.freeze(
  native.errorCodes().map(({ code, status, family }) => Object.freeze({ code, status, family })),
);

const familyOf = new Map(KavachError.codes.map(({ code, family }) => [code, family]));

const statusOf = new Map(KavachError.codes.map(({ code, status }) => [code, status]));

/** A KavachError with the core's default status for `code`. */
function kavachError(code, message) {
  return new KavachError(code, statusOf.get(code) ?? 500, message);
}

/**
 * A native rejection as a KavachError. Core errors arrive as the core's error JSON
 * `{"error","code","status","retryAfter"?,"signal"?}`; napi's own argument conversion errors are the caller's
 * mistake (INVALID_REQUEST). Anything else is rethrown untouched.
 */
function fromNative(err) {
  if (err instanceof KavachError) return err;
  if (err && typeof err.message === 'string' && err.message.startsWith('{')) {
    try {
      const { error, code, status, retryAfter, signal } = JSON.parse(err.message);
      if (typeof code === 'string' && typeof status === 'number') {
        return new KavachError(
          code,
          status,
          String(error),
          typeof retryAfter === 'number' ? retryAfter : undefined,
          signal && typeof signal === 'object' ? signal : undefined,
        );
      }
    } catch {
      // not one of ours
    }
  }
  if (err && (err.code === 'InvalidArg' || /expected|convert/i.test(String(err.message)))) {
    return kavachError('INVALID_REQUEST', String(err.message));
  }
  return err;
}

/** Calls a native operation, turning both synchronous throws and rejections into KavachErrors. */
async function call(fn) {
  try {
    return await fn();
  } catch (err) {
    throw fromNative(err);
  }
}

module.exports = { KavachError, kavachError, fromNative, call };
