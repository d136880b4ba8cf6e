// What a user sees of the package itself: its version, and a clear message (not napi's "npm has
// a bug related to optional dependencies") when the native module is missing.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const kavachos = require('kavachos');

const packageDir = path.resolve(__dirname, '..');
const workspaceVersion = fs
  .readFileSync(path.join(packageDir, '../../Cargo.toml'), 'utf8')
  .match(/^version = "(.+)"$/m)[1];

test('version is the package version, which is the Rust workspace version', () => {
  assert.equal(kavachos.version, require('../package.json').version);
  assert.equal(kavachos.version, workspaceVersion);
});

test('the platform package for linux-x64-gnu has the same version', () => {
  const platform = require('../npm/linux-x64-gnu/package.json');
  assert.equal(platform.name, 'kavachos-linux-x64-gnu');
  assert.equal(platform.version, kavachos.version);
  assert.deepEqual([platform.os, platform.cpu, platform.libc], [['linux'], ['x64'], ['glibc']]);
});

test('without its native module the package says what is missing and how to get it', () => {
  // A copy of the package as npm would install it, minus the native module.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kavachos-unbuilt-'));
  try {
    const copy = path.join(dir, 'node_modules', 'kavachos');
    fs.mkdirSync(path.join(copy, 'native'), { recursive: true });
    fs.cpSync(path.join(packageDir, 'lib'), path.join(copy, 'lib'), { recursive: true });
    for (const file of ['package.json', 'native/index.js', 'native/index.d.ts']) {
      fs.copyFileSync(path.join(packageDir, file), path.join(copy, file));
    }
    const script = `try { require('kavachos'); console.log('loaded') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
    const error = JSON.parse(out);
    assert.equal(error.code, 'KAVACH_NATIVE_NOT_INSTALLED');
    const name = require('../lib/platform.cjs').platformName();
    assert.match(error.message, new RegExp(`native module for ${name} is not installed`));
    assert.match(error.message, new RegExp(`kavachos-${name}-${kavachos.version}\\.tgz`));
    assert.match(error.message, /bindings\/node\/scripts\/build\.sh/);
    assert.doesNotMatch(error.message, /npm has a bug/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
