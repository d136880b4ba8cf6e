export * from './passkey.cjs';
