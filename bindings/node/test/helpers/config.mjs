// Shared test configuration.
import { passkey } from 'kavachos/plugins/passkey';

export const SECRET = 'test-secret-test-secret-test-secret-123';
export const ORIGIN = 'http://localhost:3000';

export function options(overrides = {}, passkeyOverrides = {}) {
  return {
    database: { provider: 'sqlite', url: ':memory:' },
    secret: SECRET,
    baseUrl: ORIGIN,
    plugins: [passkey({ rpName: 'Test', rpId: 'localhost', ...passkeyOverrides })],
    ...overrides,
  };
}
