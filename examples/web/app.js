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
    'Sign-in refused: this passkey\'s signature counter went backwards, which can mean it was copied.',
  CREDENTIAL_EXISTS: () => 'This passkey is already registered.',
  CREDENTIAL_NOT_FOUND: () => 'That passkey was not found. It may already have been deleted.',
  LAST_CREDENTIAL: () =>
    'You cannot delete your only passkey: you would be locked out. Add another passkey first.',
  FORBIDDEN_ORIGIN: () => 'The server refused a request from this page\'s address (origin).',
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
  SecurityError: () => 'The browser refused: this page\'s address does not match the passkey\'s site (rpId).',
  NotSupportedError: () => 'This authenticator supports none of the signature algorithms the server accepts.',
  ConstraintError: () => 'This authenticator cannot do what the server asked (user verification or a discoverable passkey).',
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
    await loadPasskeys();
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
  showStatus('success', 'SIGNED_UP', `Welcome, ${user.name ?? user.email}! Now add a passkey so you can sign in later.`);
}

// ---- the waiting state: shown while the browser's passkey prompt is open --------------------

let cancelled = false;

/** Runs `ceremony` (a startRegistration / startAuthentication call) with the waiting state shown. */
async function prompt(ceremony) {
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
  const optionsJSON = await api('POST', '/auth/passkey/register/options', {});
  const response = await prompt(() => startRegistration({ optionsJSON }));
  const { credential } = await api('POST', '/auth/passkey/register/verify', name ? { response, name } : { response });
  $('passkey-name').value = '';
  await loadPasskeys();
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
  await loadPasskeys();
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

async function deletePasskey(id, name) {
  if (!(await confirmDelete(name))) return;
  await api('DELETE', `/auth/passkey/credentials/${encodeURIComponent(id)}`);
  await loadPasskeys();
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
await refresh();
document.body.dataset.ready = 'true';
