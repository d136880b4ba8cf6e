'use strict';
// Public entry point of `kavachos` (CommonJS; index.mjs re-exports the same objects for ESM).

const { createKavach, Kavach, setLogHook, clearLogHook } = require('./kavach.cjs');
const { KavachError } = require('./errors.cjs');
const {
  verifyRegistrationResponse,
  verifyAuthenticationResponse,
  verifyRegistrationResponseSync,
  verifyAuthenticationResponseSync,
} = require('./verify.cjs');
const { passkey } = require('./plugins/passkey.cjs');
const { version } = require('../package.json');

module.exports = {
  createKavach,
  Kavach,
  KavachError,
  verifyRegistrationResponse,
  verifyAuthenticationResponse,
  verifyRegistrationResponseSync,
  verifyAuthenticationResponseSync,
  passkey,
  setLogHook,
  clearLogHook,
  version,
};
