// ESM entry point: the same objects as the CommonJS one (one KavachError class for both).
import cjs from './index.cjs';

export const {
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
} = cjs;
