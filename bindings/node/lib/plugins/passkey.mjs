import cjs from './passkey.cjs';

export const { passkey } = cjs;
