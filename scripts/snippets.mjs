// Runs every code snippet of the documentation (README.md, docs/*.md and the bindings' READMEs),
// so that a snippet that stops working fails the test command. Called by tests/install/run.sh
// after it installed the packages from dist/ (no Rust toolchain on PATH): the snippets run
// against the installed packages, as a reader's would.
//
//   node scripts/snippets.mjs [file.md ...]        (default: every documentation file)
//
// Conventions (docs/README.md says them for writers):
// - Every fenced block names its language. Run: `sh`/`bash` (bash, -e), `js` (an ES module, run
//   with node), `cjs`, `python`, `go` (a main package, `go run`), `c` (compiled with pkg-config
//   kavach), `json` (parsed; `json config` is also opened as a kavach configuration). `rust`
//   blocks are doctests of the kavach-docs crate (`cargo test -p kavach-docs`), compiled and run
//   there. `text` is output or a picture, not code.
// - `server` after the language: the snippet starts a server on $PORT (default 3000 in the text);
//   it is started, must answer HTTP, and is stopped. A `python server` block is an ASGI `app`,
//   served by uvicorn; a `python wsgi server` block a WSGI `application` (or `app`), served by
//   waitress.
// - `file=NAME` writes the block to NAME in the document's directory (for a later block to use)
//   instead of running it.
// - A block that cannot run here carries a visible marker on the line just above it:
//   `*Not run by the tests: <reason>.*`
// Each document's blocks run in order in one scratch directory, with $KAVACH (the repository),
// $PORT (a free port) and $KAVACH_SECRET set; node_modules (kavachos and express from dist/) and
// a Python venv (the wheel, fastapi, uvicorn) are there unless the document installs its own.
//
// Environment: SNIPPETS_NODE_MODULES, SNIPPETS_PYTHON (the prepared environments),
// PKG_CONFIG_PATH (libkavach from dist/), SNIPPETS_KEEP=1 keeps the scratch directories.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { freePort } from '../tests/e2e/server.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNNABLE = new Set(['sh', 'bash', 'js', 'cjs', 'python', 'go', 'c', 'json']);
const ELSEWHERE = new Set(['rust']); // doctests: cargo test -p kavach-docs
const NOT_CODE = new Set(['text']);
const NO_RUN = /^\*Not run by the tests: (.+)\.\*$/;
const TIMEOUT_MS = 120_000;
const SECRET = 'snippet-test-secret-0123456789abcdef0123';

/** The fenced blocks of a Markdown file: {line, lang, attrs, code, noRun}. */
export function blocks(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^(\s*)(```+)(.*)$/);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const [lang = '', ...attrs] = info.trim().split(/\s+/).filter(Boolean);
    let j = i + 1;
    while (j < lines.length && !lines[j].startsWith(indent + fence)) j++;
    const code = lines
      .slice(i + 1, j)
      .map((line) => line.slice(indent.length))
      .join('\n');
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const marker = k >= 0 ? lines[k].trim().match(NO_RUN) : null;
    found.push({ line: i + 1, lang, attrs, code: code + '\n', noRun: marker?.[1] ?? null });
    i = j;
  }
  return found;
}

export function documentationFiles() {
  const files = ['README.md'];
  for (const dir of ['docs']) {
    for (const name of fs.readdirSync(path.join(ROOT, dir)).sort()) {
      if (name.endsWith('.md')) files.push(path.join(dir, name));
    }
  }
  for (const binding of ['node', 'python', 'go']) files.push(path.join('bindings', binding, 'README.md'));
  return files;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a command to completion; throws with its output when it fails. */
function run(command, args, options) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: TIMEOUT_MS, ...options });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
    throw new Error(`${command} ${args.join(' ')}: ${why}\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  }
  return result.stdout;
}

/** Starts a server command, waits until $PORT answers HTTP, then stops it. */
async function serve(command, args, options, port) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const deadline = Date.now() + TIMEOUT_MS;
  try {
    while (true) {
      if (exited) throw new Error(`the server exited (${JSON.stringify(exited)}) before answering:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the server did not answer on port ${port}:\n${output}`);
      const answer = await fetch(`http://localhost:${port}/auth/session`, { signal: AbortSignal.timeout(1000) }).catch(
        () => null,
      );
      if (answer) {
        // A kavach server answers an unauthenticated /auth/session with its error shape.
        const body = await answer.json().catch(() => null);
        if (answer.status !== 401 || body?.code !== 'UNAUTHORIZED') {
          throw new Error(`GET /auth/session answered ${answer.status} ${JSON.stringify(body)}, not 401 UNAUTHORIZED`);
        }
        return;
      }
      await sleep(100);
    }
  } finally {
    if (!exited) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // gone already
      }
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) process.kill(-child.pid, 'SIGKILL');
    }
  }
}

/** Runs one block in `dir`; returns a short description of what was done. */
async function runBlock(block, dir, env, counter) {
  const server = block.attrs.includes('server');
  const fileAttr = block.attrs.find((attr) => attr.startsWith('file='))?.slice(5);
  const options = { cwd: dir, env };
  const python = fs.existsSync(path.join(dir, '.venv/bin/python'))
    ? path.join(dir, '.venv/bin/python')
    : env.SNIPPETS_PYTHON;
  const extension = { js: 'mjs', cjs: 'cjs', python: 'py', go: 'go', c: 'c', sh: 'sh', bash: 'sh', json: 'json' };
  const name = fileAttr ?? `snippet_${counter}.${extension[block.lang]}`;
  if (block.lang === 'go' && !fileAttr) {
    const module = path.join(dir, `go_${counter}`);
    fs.mkdirSync(module);
    fs.writeFileSync(path.join(module, 'main.go'), block.code);
    fs.writeFileSync(
      path.join(module, 'go.mod'),
      `module snippet\n\ngo 1.21\n\nrequire github.com/kavach/kavach/bindings/go v0.0.0\n\n` +
        `replace github.com/kavach/kavach/bindings/go => ${path.join(ROOT, 'bindings/go')}\n`,
    );
    const goEnv = { ...env, GOFLAGS: '-mod=mod', GOPROXY: 'off', CGO_ENABLED: '1' };
    run('go', ['build', '-o', 'program', '.'], { cwd: module, env: goEnv });
    if (server) return serve('./program', [], { cwd: module, env }, env.PORT).then(() => 'go build, served');
    run('./program', [], { cwd: module, env });
    return 'go build, ran';
  }
  fs.writeFileSync(path.join(dir, name), block.code);
  if (fileAttr) return `wrote ${fileAttr}`;
  switch (block.lang) {
    case 'json': {
      const value = JSON.parse(block.code);
      if (block.attrs.includes('config')) {
        const script = `import { createKavach } from 'kavachos';
          const config = JSON.parse(process.argv[2]);
          config.database = { provider: 'sqlite', url: ':memory:' };
          await createKavach(config);`;
        fs.writeFileSync(path.join(dir, `check_${counter}.mjs`), script);
        run('node', [`check_${counter}.mjs`, JSON.stringify(value)], options);
        return 'parsed, and opened as a configuration';
      }
      return 'parsed';
    }
    case 'sh':
    case 'bash':
      if (server) return serve('bash', ['-e', name], options, env.PORT).then(() => 'served');
      run('bash', ['-e', name], options);
      return 'ran';
    case 'js':
    case 'cjs':
      if (server) return serve('node', [name], options, env.PORT).then(() => 'served');
      run('node', [name], options);
      return 'ran';
    case 'python':
      if (server && block.attrs.includes('wsgi')) {
        // A WSGI app (Django, Flask): `application` if the block defines one (Django's name),
        // else `app`; served by waitress, as examples/django and examples/flask are.
        const module = name.replace(/\.py$/, '');
        const callable = /^application\s*=/m.test(block.code) ? 'application' : 'app';
        const args = ['-m', 'waitress', '--host=127.0.0.1', `--port=${env.PORT}`, `${module}:${callable}`];
        return serve(python, args, options, env.PORT).then(() => 'served by waitress');
      }
      if (server) {
        const module = name.replace(/\.py$/, '');
        const args = ['-m', 'uvicorn', `${module}:app`, '--host', '127.0.0.1', '--port', env.PORT];
        return serve(python, args, options, env.PORT).then(() => 'served by uvicorn');
      }
      run(python, [name], options);
      return 'ran';
    case 'c': {
      const flags = run('pkg-config', ['--cflags', '--libs', 'kavach'], options).trim().split(/\s+/);
      run('cc', ['-std=c11', '-Wall', '-Wextra', '-Werror', name, ...flags, '-o', `c_${counter}`], options);
      if (server) return serve(`./c_${counter}`, [], options, env.PORT).then(() => 'compiled, served');
      run(`./c_${counter}`, [], options);
      return 'compiled, ran';
    }
    default:
      throw new Error(`no runner for ${block.lang}`);
  }
}

async function main() {
  const files = process.argv.slice(2).length ? process.argv.slice(2) : documentationFiles();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kavach-snippets-'));
  const counts = { passed: 0, failed: 0, notRun: 0, elsewhere: 0, text: 0 };
  const started = Date.now();
  for (const file of files) {
    const dir = path.join(scratch, file.replace(/[/.]/g, '_'));
    fs.mkdirSync(dir, { recursive: true });
    let counter = 0;
    for (const block of blocks(path.join(ROOT, file))) {
      const where = `${file}:${block.line} ${block.lang}${block.attrs.length ? ' ' + block.attrs.join(' ') : ''}`;
      if (!block.lang) {
        console.log(`not ok ${where}: a fenced block must name its language (see scripts/snippets.mjs)`);
        counts.failed++;
        continue;
      }
      if (NOT_CODE.has(block.lang)) {
        counts.text++;
        continue;
      }
      if (block.noRun) {
        console.log(`skip ${where}: not run by the tests: ${block.noRun}`);
        counts.notRun++;
        continue;
      }
      if (ELSEWHERE.has(block.lang)) {
        console.log(`elsewhere ${where}: a doctest of the kavach-docs crate (cargo test -p kavach-docs)`);
        counts.elsewhere++;
        continue;
      }
      if (!RUNNABLE.has(block.lang)) {
        console.log(`not ok ${where}: unknown language '${block.lang}' (see scripts/snippets.mjs)`);
        counts.failed++;
        continue;
      }
      counter++;
      // JavaScript gets node_modules from the prepared environment, unless the document's own
      // install block made one (shell blocks never write into the shared one).
      const usesNode = ['js', 'cjs', 'json'].includes(block.lang);
      if (usesNode && process.env.SNIPPETS_NODE_MODULES && !fs.existsSync(path.join(dir, 'node_modules'))) {
        fs.symlinkSync(process.env.SNIPPETS_NODE_MODULES, path.join(dir, 'node_modules'));
      }
      const env = { ...process.env, KAVACH: ROOT, PORT: String(await freePort()), KAVACH_SECRET: SECRET };
      const blockStarted = Date.now();
      try {
        const what = await runBlock(block, dir, env, counter);
        console.log(`ok ${where}: ${what} (${((Date.now() - blockStarted) / 1000).toFixed(1)} s)`);
        counts.passed++;
      } catch (error) {
        console.log(`not ok ${where}\n${String(error.message).replace(/^/gm, '    ')}`);
        counts.failed++;
      }
    }
  }
  if (process.env.SNIPPETS_KEEP !== '1') fs.rmSync(scratch, { recursive: true, force: true });
  console.log(
    `# snippets: ${counts.notRun} marked not run, ${counts.elsewhere} Rust doctests (cargo test -p kavach-docs), ` +
      `${counts.text} text blocks; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  console.log(`snippets: ${counts.passed} passed, ${counts.failed} failed`);
  process.exitCode = counts.failed ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
