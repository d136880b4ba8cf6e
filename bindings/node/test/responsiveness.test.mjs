// The work runs on the libuv pool, not the event loop: with 100 signature verifications kept
// in flight for half a second, a 1 ms interval keeps ticking with small gaps. Were the work
// done on the main thread, the chain of resolutions would starve the timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createKavach, verifyAuthenticationResponse, verifyRegistrationResponse } from 'kavachos';
import { options, ORIGIN } from './helpers/config.mjs';
import { randomChallenge, SoftAuthenticator } from './helpers/authenticator.mjs';

async function measure(work, { inFlight = 100, durationMs = 500 } = {}) {
  let ticks = 0;
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks += 1;
  }, 1);
  const end = performance.now() + durationMs;
  let done = 0;
  const lane = async () => {
    while (performance.now() < end) {
      await work();
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  clearInterval(timer);
  return { ticks, maxGap, done };
}

test('100 stateless verifications in flight do not block the event loop', async (t) => {
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  const regChallenge = randomChallenge();
  const { publicKey } = await verifyRegistrationResponse({
    response: authenticator.register({ rp: { id: 'localhost' }, user: { id: 'dXNlcg' }, challenge: regChallenge }),
    expectedChallenge: regChallenge,
    expectedOrigin: ORIGIN,
    expectedRPID: 'localhost',
  });
  const challenge = randomChallenge();
  const input = {
    response: authenticator.authenticate({ challenge, rpId: 'localhost' }),
    expectedChallenge: challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: 'localhost',
    credential: { publicKey, counter: 0 },
  };
  const { ticks, maxGap, done } = await measure(() => verifyAuthenticationResponse(input));
  t.diagnostic(`${ticks} ticks, max gap ${maxGap.toFixed(1)} ms, ${done} verifications`);
  assert.ok(done >= 100, `verified ${done}`);
  assert.ok(ticks > 25, `only ${ticks} ticks in 500 ms (${done} verifications)`);
  assert.ok(maxGap < 150, `the event loop stalled for ${maxGap.toFixed(1)} ms`);
});

test('100 sign-ins (authenticateVerify, with database writes) in flight do not block the event loop', async (t) => {
  const kavach = await createKavach(options());
  const user = await kavach.users.create({ email: 'busy@example.com' });
  const { token } = await kavach.sessions.create(user.id);
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  await kavach.registerVerify(token, authenticator.register(await kavach.registerOptions(token)));
  // The assertions are signed beforehand: the software authenticator's own signing is JS work
  // on the main thread and is not what this test measures.
  const assertions = [];
  for (let i = 0; i < 3000; i++) assertions.push(authenticator.authenticate(await kavach.authenticateOptions()));

  let ticks = 0;
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks += 1;
  }, 1);
  const started = performance.now();
  const lane = async () => {
    for (let next = assertions.pop(); next; next = assertions.pop()) {
      const signIn = await kavach.authenticateVerify(next);
      assert.equal(signIn.userId, user.id);
    }
  };
  await Promise.all(Array.from({ length: 100 }, lane));
  const elapsed = performance.now() - started;
  clearInterval(timer);
  t.diagnostic(`${ticks} ticks, max gap ${maxGap.toFixed(1)} ms over ${elapsed.toFixed(0)} ms of sign-ins`);
  assert.ok(ticks >= elapsed / 20, `only ${ticks} ticks in ${elapsed.toFixed(0)} ms`);
  assert.ok(maxGap < 150, `the event loop stalled for ${maxGap.toFixed(1)} ms`);
});
