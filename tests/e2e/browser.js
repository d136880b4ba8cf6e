// Chromium with a virtual authenticator, launched as TOOLCHAIN.md says, and page helpers that
// drive the demo page through its stable ids and data-testids.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A platform passkey provider: CTAP 2.1, resident keys, user verification. */
export const PLATFORM = {
  protocol: 'ctap2',
  ctap2Version: 'ctap2_1',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
};

/** A platform passkey provider that can evaluate PRF (hmac-secret). */
export const PRF_PLATFORM = { ...PLATFORM, hasPrf: true };

/** A platform authenticator that never answers by itself: its prompt stays open. */
export const SILENT_PLATFORM = { ...PLATFORM, automaticPresenceSimulation: false };

/** A FIDO U2F security key: no resident keys, no user verification. */
export const U2F_KEY = {
  protocol: 'u2f',
  transport: 'usb',
  hasResidentKey: false,
  hasUserVerification: false,
  automaticPresenceSimulation: true,
};

/**
 * Runs `body({page, cdp, authenticatorId, addAuthenticator})` in a fresh browser (fresh profile,
 * no cookies) whose page has a fresh virtual authenticator, then closes it whatever happens.
 */
export async function withBrowser(
  baseUrl,
  { authenticator = PLATFORM, autofill = false, viewport = null, beforeLoad = null, url = null } = {},
  body,
) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kavach-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    ...(viewport ? { viewport } : {}),
  });
  try {
    context.setDefaultTimeout(10_000);
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const addAuthenticator = async (options = PLATFORM) =>
      (await cdp.send('WebAuthn.addVirtualAuthenticator', { options })).authenticatorId;
    // The authenticator exists before the page loads: conditional UI is only available with one.
    const authenticatorId = await addAuthenticator(authenticator);
    if (beforeLoad) await beforeLoad(page);
    await page.goto(url ?? (autofill ? `${baseUrl}/` : `${baseUrl}/?autofill=off`));
    await page.locator('body[data-ready="true"]').waitFor();
    await body({ page, cdp, authenticatorId, addAuthenticator });
    assert.deepEqual(pageErrors.map(String), [], 'the page threw');
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// ---- page actions ---------------------------------------------------------------------------

let emails = 0;
/** A unique email for this run. */
export function newEmail(label = 'user') {
  return `${label}-${process.pid}-${Date.now()}-${++emails}@example.com`;
}

/**
 * Clears the status area, runs `action`, and waits for the page to report `code` (or any error);
 * returns the status text. Fails with the page's actual message when it reports something else.
 */
export async function expectStatus(page, code, action) {
  await page.evaluate(() => {
    const status = document.getElementById('status');
    status.dataset.code = '';
    status.dataset.kind = '';
  });
  await action();
  const handle = await page.waitForFunction((expected) => {
    const status = document.getElementById('status');
    const done = status.dataset.code === expected || status.dataset.kind === 'error';
    return done && { code: status.dataset.code, text: status.textContent, visible: !status.hidden };
  }, code);
  const { code: actual, text, visible } = await handle.jsonValue();
  assert.equal(actual, code, `expected status ${code}, the page says ${actual}: ${text}`);
  assert.ok(visible, 'the status message is visible');
  return text;
}

export async function signUp(page, email, name) {
  await page.fill('#signup-email', email);
  if (name) await page.fill('#signup-name', name);
  await expectStatus(page, 'SIGNED_UP', () => page.click('#signup-button'));
  await page.locator('#signed-in').waitFor();
  assert.match(await page.textContent('#current-user'), new RegExp(escape(email)));
}

export async function addPasskey(page, name) {
  const before = await page.locator('[data-testid="passkey"]').count();
  if (name) await page.fill('#passkey-name', name);
  await expectStatus(page, 'PASSKEY_ADDED', () => page.click('#add-passkey-button'));
  await page.locator('[data-testid="passkey"]').nth(before).waitFor();
  return passkeys(page);
}

/** Deletes a passkey through the page, confirming in its dialog; returns the status text. */
export async function deletePasskey(page, id, expected = 'DELETED') {
  const item = page.locator(`[data-testid="passkey"][data-id="${id}"]`);
  return expectStatus(page, expected, async () => {
    await item.locator('[data-testid="delete-button"]').click();
    await page.locator('[data-testid="confirm-delete"]').waitFor({ state: 'visible' });
    await page.click('[data-testid="confirm-delete-button"]');
  });
}

export async function signOut(page) {
  await expectStatus(page, 'SIGNED_OUT', () => page.click('#sign-out-button'));
  await page.locator('#signed-out').waitFor();
}

export async function signInWithEmail(page, email, expected = 'SIGNED_IN') {
  await page.fill('#signin-email', email);
  const text = await expectStatus(page, expected, () => page.click('#signin-email-button'));
  if (expected === 'SIGNED_IN') await expectSignedInAs(page, email);
  return text;
}

export async function expectSignedInAs(page, email) {
  await page.locator('#signed-in').waitFor();
  await page.waitForFunction(
    (expected) => document.getElementById('current-user').textContent.includes(expected),
    email,
  );
}

/** The passkey list as the page shows it. */
export async function passkeys(page) {
  return page.$$eval('[data-testid="passkey"]', (items) =>
    items.map((item) => ({
      id: item.dataset.id,
      name: item.querySelector('[data-testid="passkey-name"]').textContent,
      deviceType: item.querySelector('[data-testid="passkey-device"]').dataset.deviceType,
      created: item.querySelector('[data-testid="passkey-created"]').getAttribute('datetime'),
      lastUsed: item.querySelector('[data-testid="passkey-last-used"]').getAttribute('datetime'),
      createdBy: item.dataset.createdBy,
      prfEnabled: item.dataset.prfEnabled === 'true',
    })),
  );
}

/** Calls the server from inside the page (same origin, the page's cookie). */
export async function pageFetch(page, method, urlPath, body) {
  return page.evaluate(
    async ({ method, urlPath, body }) => {
      const init = { method, headers: {} };
      if (body !== undefined) {
        init.headers['content-type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      const response = await fetch(urlPath, init);
      return { status: response.status, body: await response.json().catch(() => null) };
    },
    { method, urlPath, body },
  );
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
