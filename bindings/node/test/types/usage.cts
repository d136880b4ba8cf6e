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

  const operated = await kavachos.createKavach({
    secret: 'x'.repeat(32),
    baseUrl: 'http://localhost:3000',
    plugins: [plugin.passkey({ rpName: 'Demo', rpId: 'localhost' })],
    audit: { retentionDays: 30 },
    metrics: { enabled: true },
    onEvent: async (event: kavachos.KavachEvent) => {
      const type: kavachos.KavachEventType = event.type;
      console.log(type, event.userId, event.code, event.count);
    },
  });
  kavachos.setLogHook((line: string) => console.log(JSON.parse(line)));
  kavachos.clearLogHook();
  const text: string = operated.metrics();
  const page = await operated.activity('token', { limit: 10 });
  const older = await operated.users.activity('user-id', { before: page.nextCursor });
  console.log(text.length, older.events[0]?.at);
  const user = await operated.users.update('user-id', { name: null });
  const sessions = await operated.users.listSessions(user.id);
  const { revoked }: { revoked: number } = await operated.users.revokeSessions(user.id);
  const credentials = await operated.users.listCredentials(user.id);
  await operated.users.revokeCredential(user.id, credentials[0].id);
  await operated.users.delete(user.id);
  const closed: boolean = await operated.close();
  console.log(sessions[0]?.lastSeenAt, revoked, closed);
}
