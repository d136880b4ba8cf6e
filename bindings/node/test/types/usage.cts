// Compile-only check of the CommonJS declarations.
import kavachos = require('kavachos');
import plugin = require('kavachos/plugins/passkey');

export async function main(): Promise<void> {
  const kavach = await kavachos.createKavach({
    secret: 'x'.repeat(32),
    baseUrl: 'http://localhost:3000',
    plugins: [plugin.passkey({ rpName: 'Demo', rpId: 'localhost' })],
  });
  const session = await kavach.sessions.get('token');
  if (session) console.log(session.user.email, session.session.expiresAt);
  const signIn = await kavach.authenticateVerify('{}');
  console.log(signIn.userId, signIn.setCookie, new kavachos.KavachError('X', 400, 'm').code);
}
