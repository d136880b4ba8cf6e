'use strict';
// The stateless verifiers (no database): the options go to the core as JSON, the verified facts
// come back as JSON.

const native = require('./native.cjs');
const { call } = require('./errors.cjs');
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

module.exports = { verifyRegistrationResponse, verifyAuthenticationResponse };
