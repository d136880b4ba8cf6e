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
  const level3 = await kavachos.createKavach({
    secret: 'x'.repeat(32),
    baseUrl: 'https://example.com',
    plugins: [
      plugin.passkey({
        rpName: 'Demo',
        rpId: 'example.com',
        relatedOrigins: ['https://example.co.uk'],
        apps: { android: [{ package: 'com.example.app', sha256CertFingerprints: ['AB:CD'] }], ios: [] },
        prf: true,
        appid: 'https://example.com/app-id.json',
        counterPolicy: 'flag',
        conditionalCreate: false,
      }),
    ],
  });
  const options = await level3.authenticateOptions({ email: null, prf: { eval: { first: 'c2FsdA' } } });
  console.log(options.extensions?.prf?.eval?.first, level3.wellKnown.webauthn().origins.length);
  const imported = await level3.credentials.import({ userId: 'u', credentialId: 'a', publicKey: 'b', format: 'u2f' });
  const created: 'registration' | 'conditional' | 'import' = imported.createdBy;
  console.log(created, imported.discoverable, imported.prfEnabled, imported.cloneWarning);
  await level3.registerOptions('token', { mediation: 'conditional' });
}
