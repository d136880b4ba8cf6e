'use strict';
// The stateless verifiers (no database): the options go to the core as JSON, the verified facts
// come back as JSON.

const native = require('./native.cjs');
const { call, fromNative } = require('./errors.cjs');
const args = require('./args.cjs');

/** `{response, expectedChallenge, expectedOrigin, expectedRPID, requireUserVerification?}`. */
async function verifyRegistrationResponse(options) {
  const input = args.json(options, 'options');
  return JSON.parse(await call(() => native.verifyRegistrationResponse(input)));
}

/** The same plus `credential: {publicKey, counter, id?}`. */
async function verifyAuthenticationResponse(options) {
  const input = args.json(options, 'options');
  return JSON.parse(await call(() => native.verifyAuthenticationResponse(input)));
}

/**
 * The synchronous twins: the same verification on the calling thread, without the hop to the
 * libuv pool. Pure CPU, no I/O: about 16-40 us for RS256/PS256/EdDSA/ES256, up to 250 us for
 * ES512. Use them where that much blocking is acceptable and the pool hop is not.
 */
function verifyRegistrationResponseSync(options) {
  const input = args.json(options, 'options');
  return JSON.parse(callSync(() => native.verifyRegistrationResponseSync(input)));
}

function verifyAuthenticationResponseSync(options) {
  const input = args.json(options, 'options');
  return JSON.parse(callSync(() => native.verifyAuthenticationResponseSync(input)));
}

function callSync(fn) {
  try {
    return fn();
  } catch (err) {
    throw fromNative(err);
  }
}

module.exports = {
  verifyRegistrationResponse,
  verifyAuthenticationResponse,
  verifyRegistrationResponseSync,
  verifyAuthenticationResponseSync,
};
