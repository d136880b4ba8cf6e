'use strict';
// The one place the napi-generated loader is required; everything else goes through here.
//
// The loader looks for `native/kavach.<platform>.node` (a build from source, see
// scripts/build.sh) and then for the prebuilt platform package `kavachos-<platform>` (an optional
// dependency of the published package). When neither is there it blames npm ("npm has a bug
// related to optional dependencies"), which sends people the wrong way: say what is missing
// instead, and how to get it.

const { version } = require('../package.json');
const { platformName } = require('./platform.cjs');

function notInstalledError(cause) {
  const name = platformName();
  const error = new Error(
    `kavachos ${version}: the native module for ${name} is not installed.\n` +
      `- Installing from dist/ (scripts/package.sh): install the platform package together with the ` +
      `main one, e.g. \`npm install ./dist/kavachos-${version}.tgz ./dist/kavachos-${name}-${version}.tgz\` ` +
      `(npm does not resolve optional dependencies from local files). dist/ holds prebuilt binaries for ` +
      `linux-x64-gnu only.\n` +
      `- Using a kavach checkout: build it with \`bash bindings/node/scripts/build.sh\` (needs Rust: ` +
      `https://rustup.rs), which writes bindings/node/native/kavach.${name}.node.`,
  );
  error.code = 'KAVACH_NATIVE_NOT_INSTALLED';
  error.cause = cause;
  return error;
}

let native;
try {
  native = require('../native/index.js');
} catch (error) {
  if (typeof error?.message === 'string' && error.message.startsWith('Cannot find native binding')) {
    throw notInstalledError(error);
  }
  throw error;
}

module.exports = native;
