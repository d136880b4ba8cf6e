import type { PasskeyOptions, PasskeyPlugin } from '../index.cjs';

/** The passkey plugin for `createKavach({ plugins: [passkey({ rpName, rpId })] })`. */
export function passkey(options: PasskeyOptions): PasskeyPlugin;
