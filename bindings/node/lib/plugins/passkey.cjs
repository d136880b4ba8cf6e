'use strict';
// passkey({...}): the plugin entry of createKavach's `plugins`. It only tags the options; the
// core validates them when createKavach runs.

function passkey(options = {}) {
  return { ...options, id: 'passkey' };
}

module.exports = { passkey };
