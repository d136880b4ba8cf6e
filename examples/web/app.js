// The kavach demo page: plain DOM, one ES module, no framework and no bundler.
// Every example server (Rust, Express, FastAPI, Go, C) serves this same file next to the endpoints
// of docs/http.md under /auth, the demo-only POST /demo/signup, and @simplewebauthn/browser at
// /vendor/simplewebauthn/.
//
// The page only reports what the person asked for: the background request behind passkey
// autofill never shows an error. An outcome is shown once the view shows it too (the list
// reloaded, the signed-in panel up to date). Every passkey prompt shows a waiting state with a Cancel button;
// deleting a passkey asks first.
//
// What the browser can do comes from PublicKeyCredential.getClientCapabilities() (WebAuthn Level
// 3): it decides whether to offer an automatic passkey upgrade after sign-up (conditional create)
// and the PRF card. Signal API payloads from the server are handed to the browser after every
// answer, so its passkey manager forgets deleted passkeys.
//
// Test hook: `?autofill=off` keeps the page from starting conditional UI (passkey autofill) on
// load. A virtual authenticator answers conditional requests by itself, so the end-to-end tests of
// the explicit sign-in buttons turn it off.

import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
} from '/vendor/simplewebauthn/index.js';

const $ = (id) => document.getElementById(id);

// ---- messages --------------------------------------------------------------------------------

/** What each server error code means to a person. `detail` is the server's own safe message. */
const SERVER_MESSAGES = {
  UNAUTHORIZED: () => 'You are signed out, or your session expired. Please sign in again.',
  INVALID_REQUEST: (detail) => `The request was not accepted: ${detail}`,
  PAYLOAD_TOO_LARGE: () => 'The request was too large for the server.',
  CHALLENGE_INVALID: () =>
    'This attempt expired or was already used. Please try again (each passkey prompt works once).',
  VERIFICATION_FAILED: (detail) => `The passkey's answer could not be verified: ${detail}`,
  COUNTER_REGRESSION: () =>
    "Sign-in refused: this passkey's signature counter went backwards, which can mean it was copied.",
  CREDENTIAL_EXISTS: () => 'This passkey is already registered.',
  REAUTH_REQUIRED: () => 'Please confirm with your passkey first.',
  RATE_LIMITED: () => 'Too many attempts. Please wait a moment and try again.',
  CREDENTIAL_NOT_FOUND: () => 'That passkey was not found. It may already have been deleted.',
  LAST_CREDENTIAL: () => 'You cannot delete your only passkey: you would be locked out. Add another passkey first.',
  FORBIDDEN_ORIGIN: () => "The server refused a request from this page's address (origin).",
  USER_EXISTS: () => 'An account with this email already exists. Sign in with its passkey instead.',
  USER_NOT_FOUND: () => 'No such account.',
  NOT_FOUND: () => 'The server does not know this address. Is it a kavach example server?',
  METHOD_NOT_ALLOWED: () => 'The server does not allow this kind of request here.',
  INTERNAL: () => 'Something went wrong on the server. Please try again later.',
  NETWORK: () => 'Could not reach the server. Is it running?',
};

/** What each browser (WebAuthn) error means, by DOMException name. */
const BROWSER_MESSAGES = {
  NotAllowedError: () =>
    'No passkey was used: the prompt was cancelled or timed out, or this device has no passkey for this account.',
  InvalidStateError: () => 'This authenticator already holds a passkey for this account.',
  AbortError: () => 'The passkey prompt was cancelled.',
  SecurityError: () => "The browser refused: this page's address does not match the passkey's site (rpId).",
  NotSupportedError: () => 'This authenticator supports none of the signature algorithms the server accepts.',
  ConstraintError: () =>
    'This authenticator cannot do what the server asked (user verification or a discoverable passkey).',
  UnknownError: () => 'The authenticator reported an error.',
};

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Shows a message. `code` is a server code, a browser error name, or a success code. */
function showStatus(kind, code, message) {
  const status = $('status');
  status.hidden = false;
  status.dataset.kind = kind;
  status.dataset.code = code;
  status.textContent = message;
}

function showError(error) {
  if (error?.name === 'AbortError' && cancelled) {
    showStatus('info', 'CANCELLED', 'Cancelled: no passkey was used.');
  } else if (error instanceof ApiError) {
    const describe = SERVER_MESSAGES[error.code];
    showStatus('error', error.code, describe ? describe(error.message) : `${error.message} (${error.code})`);
  } else if (error && BROWSER_MESSAGES[error.name]) {
    showStatus('error', error.name, BROWSER_MESSAGES[error.name]());
  } else {
    console.error(error);
    showStatus('error', 'UNKNOWN', `Unexpected error: ${error?.message ?? error}`);
  }
}

// ---- the server ------------------------------------------------------------------------------

async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'NETWORK', 'network error');
  }
  const data = await response.json().catch(() => null);
  // kavach adds Signal API payloads (a passkey it does not know, the passkeys it accepts, the
  // user's names) so the browser's passkey manager stays in step with the account.
  sendSignals(data?.signal);
  if (!response.ok) {
    throw new ApiError(response.status, data?.code ?? `HTTP_${response.status}`, data?.error ?? response.statusText);
  }
  return data;
}

/** Hands each payload to PublicKeyCredential.signal* where the browser has it; never fails a view. */
function sendSignals(signal) {
  if (!signal || typeof PublicKeyCredential === 'undefined') return;
  for (const [name, method] of [
    ['unknownCredential', 'signalUnknownCredential'],
    ['allAcceptedCredentials', 'signalAllAcceptedCredentials'],
    ['currentUserDetails', 'signalCurrentUserDetails'],
  ]) {
    if (signal[name] && typeof PublicKeyCredential[method] === 'function') {
      PublicKeyCredential[method](signal[name]).catch(() => {});
    }
  }
}

// ---- views -----------------------------------------------------------------------------------

let currentUser = null;

async function refresh() {
  try {
    const { user } = await api('GET', '/auth/session');
    currentUser = user;
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'UNAUTHORIZED')) showError(error);
    currentUser = null;
  }
  $('signed-in').hidden = !currentUser;
  $('signed-out').hidden = !!currentUser;
  if (currentUser) {
    const who = $('current-user');
    who.textContent = currentUser.name ? `${currentUser.name} <${currentUser.email}>` : currentUser.email;
    who.dataset.userId = currentUser.id;
    stopAutofill();
    await Promise.all([loadPasskeys(), loadSessions(), loadActivity()]);
  } else {
    startAutofill();
  }
}

async function loadPasskeys() {
  const { credentials } = await api('GET', '/auth/passkey/credentials');
  const list = $('passkeys');
  list.replaceChildren(...credentials.map(renderPasskey));
  $('passkeys-empty').hidden = credentials.length > 0;
}

function renderPasskey(credential) {
  const item = $('passkey-template').content.firstElementChild.cloneNode(true);
  item.dataset.id = credential.id;
  const badges = [];
  if (credential.createdBy === 'conditional') badges.push('created automatically');
  if (credential.prfEnabled) badges.push('PRF');
  if (credential.discoverable === false) badges.push('needs your email to sign in');
  if (credential.cloneWarning) badges.push('warning: possibly copied');
  item.querySelector('.passkey-badges').textContent = badges.length ? ` · ${badges.join(' · ')}` : '';
  item.dataset.createdBy = credential.createdBy ?? 'registration';
  item.dataset.prfEnabled = String(Boolean(credential.prfEnabled));
  item.querySelector('.passkey-name').textContent = credential.name;
  item.querySelector('.passkey-device').textContent =
    credential.deviceType === 'multiDevice' ? 'Synced passkey (multi-device)' : 'This device only';
  item.querySelector('.passkey-device').dataset.deviceType = credential.deviceType;
  setTime(item.querySelector('.passkey-created'), credential.createdAt);
  setTime(item.querySelector('.passkey-last-used'), credential.lastUsedAt);

  const form = item.querySelector('.rename-form');
  const input = form.elements.name;
  input.value = credential.name;
  input.id = `rename-${credential.id}`;
  form.querySelector('label').htmlFor = input.id;
  form.querySelector('label').textContent = `New name for ${credential.name}`;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(() => renamePasskey(credential.id, input.value));
  });
  const remove = form.querySelector('[data-testid="delete-button"]');
  remove.setAttribute('aria-label', `Delete ${credential.name}`);
  remove.addEventListener('click', () => run(() => deletePasskey(credential.id, credential.name)));
  return item;
}

/** The signed-in user's sessions (DESIGN §10), each with a way to sign it out. */
async function loadSessions() {
  const { sessions } = await api('GET', '/auth/sessions');
  $('sessions').replaceChildren(
    ...sessions.map((session) => {
      const item = $('session-template').content.firstElementChild.cloneNode(true);
      item.dataset.id = session.id;
      item.dataset.current = String(session.current);
      const how = session.authenticatedAt ? 'signed in with a passkey' : 'signed in at sign-up';
      item.querySelector('.session-label').textContent = session.current
        ? `This browser (${how})`
        : `Another session (${how})`;
      setTime(item.querySelector('.session-created'), session.createdAt);
      setTime(item.querySelector('.session-seen'), session.lastSeenAt);
      item
        .querySelector('[data-testid="session-revoke-button"]')
        .addEventListener('click', () => run(() => revokeSession(session)));
      return item;
    }),
  );
  $('revoke-others-button').hidden = sessions.length < 2;
}

async function revokeSession(session) {
  await api('DELETE', `/auth/sessions/${encodeURIComponent(session.id)}`);
  if (session.current) {
    await refresh();
    showStatus('info', 'SIGNED_OUT', 'Signed out.');
  } else {
    await Promise.all([loadSessions(), loadActivity()]);
    showStatus('success', 'SESSION_REVOKED', 'That session is signed out.');
  }
}

async function revokeOthers() {
  const { revoked } = await api('POST', '/auth/sessions/revoke-others');
  await Promise.all([loadSessions(), loadActivity()]);
  showStatus(
    'success',
    'OTHERS_REVOKED',
    `Signed out everywhere else (${revoked} session${revoked === 1 ? '' : 's'}).`,
  );
}

/** How the activity list words each event (DESIGN §10); `session.created` and `session.renewed`
 * are left out: every sign-in has its session, and renewals are routine. */
const ACTIVITY = {
  'user.created': () => 'Account created',
  'passkey.registered': () => 'Passkey added',
  'credential.imported': () => 'Passkey imported',
  'passkey.renamed': () => 'Passkey renamed',
  'passkey.deleted': () => 'Passkey deleted',
  'signin.succeeded': () => 'Signed in with a passkey',
  'signin.failed': (n) =>
    n > 1 ? `${n} failed sign-in attempts with your passkey` : 'A failed sign-in attempt with your passkey',
  'session.revoked': (n) => (n > 1 ? `${n} sessions signed out` : 'A session signed out'),
  'stepup.succeeded': () => 'Confirmed with your passkey',
  'counter.regression': () => 'Warning: a passkey may have been copied',
};

/** The signed-in user's security activity, newest first (`GET /auth/passkey/activity`). */
async function loadActivity() {
  const { events } = await api('GET', '/auth/passkey/activity?limit=30');
  $('activity').replaceChildren(
    ...events
      .filter((event) => ACTIVITY[event.type])
      .slice(0, 15)
      .map((event) => {
        const item = $('activity-template').content.firstElementChild.cloneNode(true);
        item.dataset.type = event.type;
        item.querySelector('.activity-what').textContent = ACTIVITY[event.type](event.count ?? 1);
        setTime(item.querySelector('.activity-at'), event.at);
        return item;
      }),
  );
}

function setTime(element, iso) {
  if (iso) {
    element.dateTime = iso;
    element.textContent = new Date(iso).toLocaleString();
  } else {
    element.removeAttribute('datetime');
    element.textContent = 'never';
  }
}

// ---- actions ---------------------------------------------------------------------------------

/** Runs an action, showing any error; one at a time. */
let busy = false;
async function run(action) {
  if (busy) return;
  busy = true;
  document.body.setAttribute('aria-busy', 'true');
  try {
    await action();
  } catch (error) {
    showError(error);
  } finally {
    busy = false;
    document.body.removeAttribute('aria-busy');
  }
}

async function signUp() {
  const email = $('signup-email').value.trim();
  const name = $('signup-name').value.trim();
  const { user } = await api('POST', '/demo/signup', name ? { email, name } : { email });
  await refresh();
  showStatus(
    'success',
    'SIGNED_UP',
    `Welcome, ${user.name ?? user.email}! Now add a passkey so you can sign in later.`,
  );
  offerUpgrade();
}

// ---- what the browser can do ------------------------------------------------------------------

/** PublicKeyCredential.getClientCapabilities(), or {} where the browser lacks it. */
let capabilities = {};
async function readCapabilities() {
  try {
    capabilities = (await PublicKeyCredential?.getClientCapabilities?.()) ?? {};
  } catch {
    capabilities = {};
  }
  const shown = [
    ['conditionalGet', 'passkey autofill'],
    ['conditionalCreate', 'automatic passkey upgrade'],
    ['extension:prf', 'encryption keys (PRF)'],
    ['signalUnknownCredential', 'Signal API'],
    ['hybridTransport', 'phone sign-in (QR)'],
  ].filter(([key]) => key in capabilities);
  if (shown.length) {
    $('capabilities').hidden = false;
    $('capabilities').textContent =
      'This browser: ' + shown.map(([key, label]) => `${label} ${capabilities[key] ? 'yes' : 'no'}`).join(', ') + '.';
  }
  $('prf-card').hidden = !capabilities['extension:prf'];
}

/**
 * Automatic passkey upgrade (conditional create): right after signing up, ask the browser to
 * create a passkey with the password manager the person already uses, without a prompt. The
 * browser decides whether it can (usually: a password was just filled for this account); until
 * it does, the request waits quietly, and any other passkey action replaces it.
 */
async function offerUpgrade() {
  if (!capabilities.conditionalCreate) return;
  const promptsBefore = promptsStarted;
  let optionsJSON;
  try {
    optionsJSON = await api('POST', '/auth/passkey/register/options', { mediation: 'conditional' });
  } catch (error) {
    // Off on this server (conditionalCreate, or userVerification 'required'): nothing to offer.
    console.info('automatic passkey upgrade not offered:', error?.code ?? error);
    return;
  }
  // A ceremony the person started while the options were on their way wins: starting this one
  // now would cancel it (one WebAuthn request at a time). A later one cancels this one instead.
  if (promptsStarted !== promptsBefore || busy) return;
  $('upgrade-note').hidden = false;
  $('upgrade-note').dataset.state = 'offered';
  $('upgrade-note').textContent = 'Your browser may add a passkey for you automatically.';
  try {
    const response = await startRegistration({ optionsJSON, useAutoRegister: true });
    await api('POST', '/auth/passkey/register/verify', response);
    await Promise.all([loadPasskeys(), loadActivity()]);
    $('upgrade-note').dataset.state = 'created';
    $('upgrade-note').textContent = 'Your browser added a passkey for you automatically.';
  } catch (error) {
    // Declined by the browser, or replaced by another passkey action: never an error to show.
    $('upgrade-note').hidden = true;
    $('upgrade-note').dataset.state = 'ended';
    console.info('automatic passkey upgrade ended:', error?.name ?? error);
  }
}

// ---- PRF: a key derived from the passkey, in the browser only --------------------------------

/** Signs in again with PRF: the same passkey and salt always give the same 32 bytes. */
async function deriveKey() {
  const optionsJSON = await api('POST', '/auth/passkey/authenticate/options', { email: currentUser.email });
  const salt = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('kavach demo: encryption key v1'));
  // The page adds its own salt to the options it received (the server never sees the output).
  // @simplewebauthn/browser passes extensions to the browser as they are: salts must be bytes.
  optionsJSON.extensions = { ...(optionsJSON.extensions ?? {}), prf: { eval: { first: new Uint8Array(salt) } } };
  const response = await prompt(() => startAuthentication({ optionsJSON }));
  const output = response.clientExtensionResults?.prf?.results?.first;
  // PRF outputs are keys: strip them before posting the response anywhere.
  if (response.clientExtensionResults?.prf) delete response.clientExtensionResults.prf.results;
  await api('POST', '/auth/passkey/authenticate/verify', response);
  if (!output) {
    showStatus('info', 'PRF_UNAVAILABLE', 'This passkey cannot derive keys (PRF): try one added with PRF support.');
    return;
  }
  const key = await crypto.subtle.importKey('raw', base64urlBytes(output), 'HKDF', false, ['deriveKey']);
  const aes = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: new TextEncoder().encode('demo notes') },
    key,
    { name: 'AES-GCM', length: 256 },
    true,
    ['encrypt', 'decrypt'],
  );
  const raw = await crypto.subtle.exportKey('raw', aes);
  const fingerprint = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', raw)).slice(0, 8))
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  $('prf-result').hidden = false;
  $('prf-result').dataset.fingerprint = fingerprint;
  $('prf-result').textContent =
    `Your key's fingerprint: ${fingerprint}. Derive it again: the same passkey gives the same key.`;
  await refresh();
  showStatus('success', 'PRF_DERIVED', `Key derived in this browser (fingerprint ${fingerprint}).`);
}

/** base64url text (or an ArrayBuffer, as some browsers return) to bytes. */
function base64urlBytes(value) {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const text = value.replaceAll('-', '+').replaceAll('_', '/');
  return Uint8Array.from(atob(text + '='.repeat((4 - (text.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

// ---- the waiting state: shown while the browser's passkey prompt is open --------------------

let cancelled = false;
/** How many prompts the person started: the automatic upgrade never starts after one of them. */
let promptsStarted = 0;

/** Runs `ceremony` (a startRegistration / startAuthentication call) with the waiting state shown. */
async function prompt(ceremony) {
  promptsStarted++;
  cancelled = false;
  $('waiting').hidden = false;
  $('status').hidden = true;
  try {
    return await ceremony();
  } finally {
    $('waiting').hidden = true;
  }
}

$('cancel-button').addEventListener('click', () => {
  cancelled = true;
  WebAuthnAbortService.cancelCeremony();
});

async function addPasskey() {
  const name = $('passkey-name').value.trim();
  // The person's choice becomes this request's hints (WebAuthn Level 3): the browser leads with it.
  const hint = $('passkey-hint').value;
  const optionsJSON = await api('POST', '/auth/passkey/register/options', hint ? { hints: [hint] } : {});
  const response = await prompt(() => startRegistration({ optionsJSON }));
  const { credential } = await api('POST', '/auth/passkey/register/verify', name ? { response, name } : { response });
  $('passkey-name').value = '';
  await Promise.all([loadPasskeys(), loadActivity()]);
  showStatus('success', 'PASSKEY_ADDED', `Passkey "${credential.name}" added. You can sign in with it now.`);
}

async function signIn(body) {
  stopAutofill();
  try {
    const optionsJSON = await api('POST', '/auth/passkey/authenticate/options', body);
    const response = await prompt(() => startAuthentication({ optionsJSON }));
    await finishSignIn(response);
  } finally {
    if (!currentUser) startAutofill();
  }
}

async function finishSignIn(response) {
  await api('POST', '/auth/passkey/authenticate/verify', response);
  await refresh();
  showStatus('success', 'SIGNED_IN', `Signed in with your passkey as ${currentUser?.email ?? 'you'}.`);
}

async function signOut() {
  await api('POST', '/auth/sign-out');
  await refresh();
  showStatus('info', 'SIGNED_OUT', 'Signed out.');
}

async function renamePasskey(id, name) {
  const { credential } = await api('PATCH', `/auth/passkey/credentials/${encodeURIComponent(id)}`, { name });
  await Promise.all([loadPasskeys(), loadActivity()]);
  showStatus('success', 'RENAMED', `Passkey renamed to "${credential.name}".`);
}

/** Asks before deleting: resolves true when the person confirmed. */
function confirmDelete(name) {
  const dialog = $('confirm-delete');
  $('confirm-delete-text').textContent =
    `"${name}" will be removed from your account: you will no longer be able to sign in with it.`;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'delete'), { once: true });
  });
}

/**
 * Runs a sensitive request; if the server wants a recent passkey check first (REAUTH_REQUIRED,
 * `passkey.requireRecentAuth`), confirms with a passkey (a step-up: no new session) and retries.
 */
async function withStepUp(request) {
  try {
    return await request();
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'REAUTH_REQUIRED')) throw error;
  }
  const optionsJSON = await api('POST', '/auth/passkey/authenticate/options', { stepUp: true });
  $('waiting-text').textContent = 'Confirm it is you: use one of your passkeys.';
  try {
    const response = await prompt(() => startAuthentication({ optionsJSON }));
    await api('POST', '/auth/passkey/authenticate/verify', response);
  } finally {
    $('waiting-text').textContent = "Waiting for your passkey: follow your browser's prompt.";
  }
  return request();
}

async function deletePasskey(id, name) {
  if (!(await confirmDelete(name))) return;
  await withStepUp(() => api('DELETE', `/auth/passkey/credentials/${encodeURIComponent(id)}`));
  await Promise.all([loadPasskeys(), loadActivity()]);
  showStatus('success', 'DELETED', `Passkey "${name}" deleted.`);
}

// ---- conditional UI (passkeys in the email field's autofill) -----------------------------------

const autofillEnabled = new URLSearchParams(location.search).get('autofill') !== 'off';
let autofillRound = 0; // each start gets a number; a superseded round's outcome is ignored
let autofillActive = false;

async function startAutofill() {
  if (!autofillEnabled || onIpAddress || autofillActive || !(await browserSupportsWebAuthnAutofill())) return;
  const round = ++autofillRound;
  autofillActive = true;
  document.body.dataset.autofill = 'waiting';
  try {
    const optionsJSON = await api('POST', '/auth/passkey/authenticate/options', {});
    if (round !== autofillRound) return;
    // Resolves only when the person picks a passkey from the autofill menu.
    const response = await startAuthentication({ optionsJSON, useBrowserAutofill: true });
    if (round !== autofillRound) return;
    autofillActive = false;
    await run(() => finishSignIn(response));
  } catch (error) {
    // A request the person did not make: its failure (no passkey on this device, the server
    // unreachable, another ceremony aborting it on purpose) is never shown as an error. What they
    // do next (a sign-in button) reports its own outcome.
    console.info('passkey autofill request ended:', error?.name ?? error);
  } finally {
    if (round === autofillRound) {
      autofillActive = false;
      document.body.dataset.autofill = 'idle';
    }
  }
}

/** Ends the pending autofill request, if any; its outcome is then ignored. */
function stopAutofill() {
  autofillRound++;
  if (autofillActive) WebAuthnAbortService.cancelCeremony();
  autofillActive = false;
  document.body.dataset.autofill = 'idle';
}

// ---- wiring ----------------------------------------------------------------------------------

function onSubmit(id, action) {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    run(action);
  });
}

onSubmit('signup-form', signUp);
onSubmit('add-passkey-form', addPasskey);
onSubmit('signin-form', () => {
  const email = $('signin-email').value.trim();
  return email ? signIn({ email }) : signIn({});
});
$('signin-usernameless-button').addEventListener('click', () => run(() => signIn({})));
$('sign-out-button').addEventListener('click', () => run(signOut));
$('prf-button').addEventListener('click', () => run(deriveKey));
$('revoke-others-button').addEventListener('click', () => run(revokeOthers));

// Passkeys are bound to a domain (rpId `localhost` in the demo): on an IP address such as
// 127.0.0.1 every ceremony fails with a SecurityError, so say where to go instead.
const onIpAddress = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/i.test(location.hostname);
if (onIpAddress) {
  const url = new URL(location.href);
  url.hostname = 'localhost';
  $('use-localhost-link').href = url.href;
  $('use-localhost-link').textContent = url.origin + '/';
  $('use-localhost').hidden = false;
} else if (!browserSupportsWebAuthn()) {
  $('no-webauthn').hidden = false;
}
await readCapabilities();
await refresh();
document.body.dataset.ready = 'true';
