#!/usr/bin/env node
// ensure-pulumi: make a Pulumi CLI (plus the Node.js language host) available
// and print, as the LAST line on stdout, the absolute directory holding `pulumi`.
//
// Everything else (progress, go output, warnings) goes to stderr, so
//   PULUMI_BIN_DIR="$(npm run -s ensure-pulumi | tail -n1)"
// is safe.
//
// Order of attempts:
//   1. a `pulumi` on PATH with `pulumi version` >= PULUMI_VERSION (the first such, as a
//      shell picks it; the cache dir counts when it is on PATH); its language host is the
//      one next to it or the first pulumi-language-nodejs on PATH, as the engine looks. Without
//      a host anywhere, it is still used (a WARNING says so) unless the cache has both;
//   2. the cache ${PULUMI_HOME:-~/.pulumi}/versions/<ver>/bin (the same cache the
//      official `pulumi` npm shim uses) if it holds a working pulumi and a language host
//      (there or on PATH);
//   3. the official npm shim (`pulumi` npm package), which downloads the release from
//      the internet; bounded by a timeout, skipped cleanly offline;
//   4. a build from the Go module proxy into that cache (needs `go`);
//   5. in every successful case, pulumi-resource-pulumi-nodejs (and
//      pulumi-analyzer-policy) from node_modules/@pulumi/pulumi are copied into the
//      cache bin dir so that the dir works on its own on PATH.
//
// Env knobs (all optional):
//   PULUMI_HOME                        cache root (default ~/.pulumi)
//   PULUMI_LANGUAGE_NODEJS_COMMIT      commit (or pseudo-version) of the pulumi/pulumi
//                                      sdk/v<ver> tag, used to resolve the untagged
//                                      language-host module when the proxy gives no Origin
//   ENSURE_PULUMI_SKIP_PATH=1          ignore a pulumi found on PATH
//   ENSURE_PULUMI_SKIP_NPM=1           do not try the npm shim download
//   ENSURE_PULUMI_SKIP_GO=1            do not build from the Go module proxy
//   ENSURE_PULUMI_REQUIRE_LANGUAGE_HOST=1
//                                      fail instead of warning when only `pulumi` (no
//                                      pulumi-language-nodejs) could be provided
//   ENSURE_PULUMI_RETRY=1              retry the language host now, even though a run in
//                                      the last 24 h found it unobtainable (that verdict is
//                                      cached so that later runs stay fast)
//
// Exit 0 with the dir on stdout when `pulumi` is there (a WARNING on stderr if the
// language host is not: Automation API inline programs do not need it); exit 1 with
// one message listing every attempt when there is no usable `pulumi`.
//
// Node >= 20, no dependencies.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------
// Pinned versions: change here only.
const PULUMI_VERSION = '3.274.1';
// Commit of the pulumi/pulumi `sdk/v${PULUMI_VERSION}` tag, if known. Used to resolve
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 (no tags of its own)
// as a pseudo-version. Empty = discover it from the Go proxy's Origin metadata.
const LANGUAGE_NODEJS_COMMIT = '';
// npm shim used for attempt 3. The `pulumi` npm package is not published for every CLI
// version; any recent shim fetches the CLI named by the PULUMI_VERSION env var.
const NPM_SHIM_SPEC = 'pulumi@^3.265.0';
const NPM_SHIM_TIMEOUT_MS = 60_000;
// Toolchain to switch to if the modules demand a newer Go than the local one.
const GO_TOOLCHAIN_FALLBACK = 'go1.27.3';
// ---------------------------------------------------------------------------

const V = `v${PULUMI_VERSION}`;
const PKG_MOD = 'github.com/pulumi/pulumi/pkg/v3';
const SDK_MOD = 'github.com/pulumi/pulumi/sdk/v3';
const LANG_MOD = 'github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3';
const VERSION_LDFLAG = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${V}`;
const EXE = process.platform === 'win32' ? '.exe' : '';
const PULUMI = `pulumi${EXE}`;
const LANG_HOST = `pulumi-language-nodejs${EXE}`;
const EXTRA_PLUGINS = ['pulumi-resource-pulumi-nodejs', 'pulumi-analyzer-policy'];

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(scriptDir, '..');
const pulumiHome = process.env.PULUMI_HOME || path.join(os.homedir(), '.pulumi');
const cacheRoot = path.join(pulumiHome, 'versions', PULUMI_VERSION);
const cacheBin = path.join(cacheRoot, 'bin');
const buildRoot = path.join(pulumiHome, 'build', PULUMI_VERSION);

const t0 = Date.now();
const tried = []; // { step, why }
const warnings = [];

function log(msg) {
  process.stderr.write(`[ensure-pulumi] ${msg}\n`);
}
function secs() {
  return `${((Date.now() - t0) / 1000).toFixed(1)}s`;
}
function fail(step, why) {
  tried.push({ step, why });
  log(`${step}: not usable: ${why}`);
}

// Environment for running pulumi itself: never phone home.
const quietPulumiEnv = {
  ...process.env,
  PULUMI_SKIP_UPDATE_CHECK: 'true',
  PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true',
};

// ----------------------------------------------------------------- helpers

function isExecutableFile(p) {
  try {
    const st = fs.statSync(p);
    if (!st.isFile() || st.size === 0) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function parseVersion(s) {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(String(s));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}
function cmpVersion(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
const PINNED = parseVersion(PULUMI_VERSION);

/** Run `<bin> version`; returns { ok, version, why }. */
function pulumiVersion(bin, timeout = 30_000) {
  const r = spawnSync(bin, ['version'], { env: quietPulumiEnv, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return { ok: false, why: `\`${bin} version\` failed: ${r.error.code || r.error.message}` };
  if (r.status !== 0) {
    return { ok: false, why: `\`${bin} version\` exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}` };
  }
  const out = (r.stdout || '').trim();
  const v = parseVersion(out);
  if (!v) return { ok: false, why: `\`${bin} version\` printed no version (${JSON.stringify(out.slice(0, 80))})` };
  return { ok: true, version: out.split('\n').pop().trim(), parsed: v };
}

/** The language host is a gRPC server; `-help` makes it print usage and exit. */
function languageHostRuns(bin) {
  if (!isExecutableFile(bin)) return { ok: false, why: `${bin} missing` };
  const r = spawnSync(bin, ['-help'], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return { ok: false, why: `\`${bin} -help\` failed: ${r.error.code || r.error.message}` };
  if (r.signal) return { ok: false, why: `\`${bin} -help\` killed by ${r.signal}` };
  const out = `${r.stdout}${r.stderr}`;
  if (!/usage|-help|flag/i.test(out)) return { ok: false, why: `\`${bin} -help\` printed no usage (exit ${r.status})` };
  return { ok: true };
}

function which(name) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  const hits = [];
  for (const d of dirs) {
    const p = path.resolve(d, name);
    if (isExecutableFile(p) && !hits.includes(p)) hits.push(p);
  }
  return hits;
}

/** Is this file a script (e.g. the npm shim) rather than a native binary? */
function isScript(p) {
  try {
    const fd = fs.openSync(p, 'r');
    const buf = Buffer.alloc(2);
    fs.readSync(fd, buf, 0, 2, 0);
    fs.closeSync(fd);
    return buf.toString('latin1') === '#!';
  } catch {
    return false;
  }
}

/** Copy src to dest atomically (temp name in the same dir, then rename). */
function atomicCopy(src, dest, mode = 0o755) {
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.copyFileSync(src, tmp);
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, dest);
}

let currentChild = null;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (currentChild && currentChild.exitCode === null) {
      try {
        process.kill(-currentChild.pid, 'SIGTERM');
      } catch {
        try { currentChild.kill('SIGTERM'); } catch { /* ignore */ }
      }
    }
    log(`interrupted (${sig}); partial outputs are only temp files and will be redone next run`);
    process.exit(130);
  });
}

/**
 * Run a command, streaming its output to our stderr (prefixed), collecting it too.
 * Resolves { code, signal, output, timedOut }.
 */
function run(cmd, args, { cwd, env, timeoutMs, prefix = '  | ', quiet = false } = {}) {
  return new Promise((resolve) => {
    if (!quiet) log(`$ ${[cmd, ...args].map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}${cwd ? `   (in ${cwd})` : ''}`);
    let output = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    } catch (e) {
      resolve({ code: null, signal: null, output: String(e.message), timedOut: false, error: e });
      return;
    }
    currentChild = child;
    let pending = '';
    const onData = (chunk) => {
      const s = chunk.toString();
      output += s;
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
      if (quiet) return;
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) process.stderr.write(`${prefix}${l}\n`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timer = null;
    if (timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        try { process.kill(-child.pid, 'SIGKILL'); } catch { try { child.kill('SIGKILL'); } catch { /* ignore */ } }
      }, timeoutMs);
    }
    let heartbeat = setInterval(() => log(`  … still running (${secs()} elapsed)`), 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      clearInterval(heartbeat);
      currentChild = null;
      resolve({ code: null, signal: null, output: output + String(e.message), timedOut, error: e });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(heartbeat);
      currentChild = null;
      if (pending && !quiet) process.stderr.write(`${prefix}${pending}\n`);
      resolve({ code, signal, output, timedOut });
    });
  });
}

function lastLine(s) {
  const lines = String(s || '').trim().split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines[lines.length - 1] : '';
}
function errSummary(r) {
  if (r.timedOut) return 'timed out';
  if (r.error) return r.error.code || r.error.message;
  const errLines = String(r.output || '').split('\n').filter((l) => /error|not available|forbidden|cannot|fail|invalid|go: /i.test(l) && !/^go: downloading/.test(l.trim()));
  return (errLines.slice(-2).join(' / ') || lastLine(r.output) || `exit ${r.code ?? r.signal}`).slice(0, 400);
}

// --------------------------------------------------------------- lock

/** Serialize concurrent builds in the same PULUMI_HOME (mkdir lock with stale-pid detection). */
async function withLock(fn) {
  fs.mkdirSync(buildRoot, { recursive: true });
  const lockDir = path.join(buildRoot, '.lock');
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = 0;
      try { pid = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8')); } catch { /* being created */ }
      let alive = false;
      if (pid) {
        try { process.kill(pid, 0); alive = true; } catch (err) { alive = err.code === 'EPERM'; }
      } else {
        try { alive = Date.now() - fs.statSync(lockDir).mtimeMs < 10_000; } catch { alive = false; }
      }
      if (!alive) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        log(`another ensure-pulumi (pid ${pid}) is building into ${cacheBin}; waiting for it…`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  const release = () => fs.rmSync(lockDir, { recursive: true, force: true });
  process.on('exit', release);
  try {
    return await fn();
  } finally {
    release();
    process.removeListener('exit', release);
  }
}

/** Temp files of killed runs (`*.tmp-<pid>` with a dead pid) in the cache bin dir. */
function removeStaleTemps() {
  let names = [];
  try { names = fs.readdirSync(cacheBin); } catch { return; }
  for (const n of names) {
    const m = /\.tmp-(\d+)$/.exec(n);
    if (!m || Number(m[1]) === process.pid) continue;
    let alive = false;
    try { process.kill(Number(m[1]), 0); alive = true; } catch (e) { alive = e.code === 'EPERM'; }
    if (!alive) {
      fs.rmSync(path.join(cacheBin, n), { force: true });
      log(`removed leftover ${n} from an interrupted run`);
    }
  }
}

// ------------------------------------------------------- cache inspection

function cacheState() {
  const p = path.join(cacheBin, PULUMI);
  let pulumi = { ok: false, why: `${p} does not exist` };
  if (isExecutableFile(p)) {
    const r = pulumiVersion(p);
    if (!r.ok) pulumi = r;
    else if (cmpVersion(r.parsed, PINNED) !== 0) pulumi = { ok: false, why: `${p} is ${r.version}, not ${V}` };
    else pulumi = { ok: true, version: r.version };
  }
  const host = languageHostFor(p);
  const lang = host ? { ok: true, path: host.path } : { ok: false, why: `no ${LANG_HOST} in ${cacheBin} nor on PATH` };
  return { pulumi, lang };
}

/**
 * The language host the engine would use with this `pulumi`: the one next to it (or next to the
 * binary a symlink points to), else the first on PATH (the engine looks there too).
 */
function languageHostFor(pulumiPath) {
  let realDir = path.dirname(pulumiPath);
  try { realDir = path.dirname(fs.realpathSync(pulumiPath)); } catch { /* keep */ }
  for (const dir of new Set([path.dirname(pulumiPath), realDir])) {
    const here = path.join(dir, LANG_HOST);
    if (isExecutableFile(here) && languageHostRuns(here).ok) return { path: here, dir, where: 'next to it' };
  }
  const onPath = which(LANG_HOST).find((h) => languageHostRuns(h).ok);
  return onPath ? { path: onPath, dir: path.dirname(pulumiPath), where: 'on PATH' } : null;
}

// ---------------------------------------------------------- attempt 1: PATH

/**
 * The first `pulumi` on PATH (as a shell would pick it) that is the CLI, not a script, at
 * V or newer. `dir` is set when its language host is found too; `withoutHost` when it is
 * usable but no host was found (next to it or on PATH).
 */
function tryPath() {
  const step = '1. pulumi on PATH';
  if (process.env.ENSURE_PULUMI_SKIP_PATH === '1') {
    fail(step, 'skipped (ENSURE_PULUMI_SKIP_PATH=1)');
    return { dir: null, withoutHost: null };
  }
  const cands = which(PULUMI);
  if (!cands.length) {
    fail(step, 'no pulumi on PATH');
    return { dir: null, withoutHost: null };
  }
  const whys = [];
  let withoutHost = null;
  for (const p of cands) {
    const where = path.dirname(p) === cacheBin ? ' (the cache dir, on PATH)' : '';
    if (isScript(p)) {
      // Probably the npm shim: running it may try to download. Attempts 2/3 cover it.
      whys.push(`${p} is a script (npm shim?), not the CLI`);
      continue;
    }
    const r = pulumiVersion(p);
    if (!r.ok) { whys.push(r.why); continue; }
    if (cmpVersion(r.parsed, PINNED) < 0) { whys.push(`${p} is ${r.version} < ${V}`); continue; }
    const host = languageHostFor(p);
    if (host) {
      log(`${step}: found ${p}${where} (${r.version}) and ${host.path} (${host.where})`);
      return { dir: host.dir, withoutHost: null };
    }
    log(`${step}: found ${p}${where} (${r.version}); no ${LANG_HOST} next to it or on PATH`);
    withoutHost ??= { path: p, version: r.version };
  }
  if (!withoutHost) fail(step, whys.join('; '));
  else if (whys.length) log(`${step}: also on PATH, not usable: ${whys.join('; ')}`);
  return { dir: null, withoutHost };
}

// ------------------------------------------------------- attempt 3: npm shim

async function tryNpmShim() {
  const step = '3. npm shim download';
  if (process.env.ENSURE_PULUMI_SKIP_NPM === '1') {
    fail(step, 'skipped (ENSURE_PULUMI_SKIP_NPM=1)');
    return false;
  }
  if (cacheState().pulumi.ok) {
    // The shim only downloads when <cache>/bin/pulumi is missing, so it cannot add a
    // missing language host to an existing cache.
    fail(step, `skipped: ${cacheBin} already has pulumi and the shim would not fetch the rest`);
    return false;
  }
  const npm = which(process.platform === 'win32' ? 'npm.cmd' : 'npm')[0];
  if (!npm) {
    fail(step, 'npm not on PATH');
    return false;
  }
  log(`${step}: trying ${NPM_SHIM_SPEC} with PULUMI_VERSION=${PULUMI_VERSION} (timeout ${NPM_SHIM_TIMEOUT_MS / 1000}s; needs internet)`);
  fs.mkdirSync(pulumiHome, { recursive: true });
  const r = await run(npm, ['exec', '--yes', `--package=${NPM_SHIM_SPEC}`, '--', 'pulumi', 'version'], {
    cwd: os.tmpdir(), // not the repo: avoid picking a local node_modules/.bin/pulumi
    env: { ...quietPulumiEnv, PULUMI_VERSION: PULUMI_VERSION, PULUMI_HOME: pulumiHome, npm_config_update_notifier: 'false' },
    timeoutMs: NPM_SHIM_TIMEOUT_MS,
  });
  const st = cacheState();
  if (st.pulumi.ok && st.lang.ok) return true;
  fail(step, r.code === 0 ? `shim ran but the cache is incomplete (${!st.pulumi.ok ? st.pulumi.why : st.lang.why})` : errSummary(r));
  return false;
}

// ------------------------------------------------------- attempt 4: go build

function findGo() {
  const cands = [...which(`go${EXE}`), '/usr/local/go/bin/go', path.join(os.homedir(), 'go', 'bin', 'go'), '/usr/lib/go/bin/go'];
  for (const g of cands) {
    if (!isExecutableFile(g)) continue;
    const r = spawnSync(g, ['version'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0) return { go: g, version: r.stdout.trim() };
  }
  return null;
}

function goEnvBase(goBin) {
  const flags = (process.env.GOFLAGS || '').split(/\s+/).filter((f) => f && !f.startsWith('-mod='));
  flags.push('-mod=mod');
  return {
    ...process.env,
    PATH: `${path.dirname(goBin)}${path.delimiter}${process.env.PATH || ''}`,
    GOFLAGS: flags.join(' '),
    GOTOOLCHAIN: process.env.GOTOOLCHAIN || 'local',
    CGO_ENABLED: '0', // static binaries, no C compiler needed
  };
}

/** Runs a go command; on "requires go >= 1.27…" retries once with a newer toolchain. */
async function goRun(ctx, args, cwd) {
  let r = await run(ctx.go, args, { cwd, env: ctx.env });
  if (r.code !== 0 && ctx.env.GOTOOLCHAIN === 'local') {
    const m = /requires go >= ?(1\.(\d+)(?:\.\d+)?)|go\.mod requires go >= ?(1\.(\d+)(?:\.\d+)?)|toolchain not available/.exec(r.output);
    if (m) {
      const want = m[1] || m[3];
      const tc = !want || want.startsWith('1.27') ? GO_TOOLCHAIN_FALLBACK : `go${want}`;
      log(`modules need a newer Go (${want || '?'}); retrying with GOTOOLCHAIN=${tc}`);
      ctx.env = { ...ctx.env, GOTOOLCHAIN: tc };
      r = await run(ctx.go, args, { cwd, env: ctx.env });
    }
  }
  return r;
}

/** Parse non-local replace directives out of a go.mod (they are ignored for dependencies). */
function replacesFrom(goModText) {
  const out = [];
  const text = goModText.replace(/\/\/[^\n]*/g, '');
  const blockRe = /^replace\s*\(([\s\S]*?)^\)/gm;
  const single = /^replace\s+([^(\s][^\n]*)$/gm;
  const lines = [];
  for (const m of text.matchAll(blockRe)) lines.push(...m[1].split('\n'));
  for (const m of text.matchAll(single)) lines.push(m[1]);
  for (const l of lines) {
    const t = l.trim();
    if (!t.includes('=>')) continue;
    const [, rhs] = t.split('=>').map((s) => s.trim());
    if (rhs.startsWith('.') || rhs.startsWith('/')) continue; // local path: not applicable
    out.push(t);
  }
  return out;
}

function writeWrapper(dir, modName, importPath, { replaces, goDirective }) {
  fs.mkdirSync(dir, { recursive: true });
  const goMod = [
    `module ${modName}`,
    '',
    // Without a go directive Go assumes 1.16 (no module-graph pruning) and tidy
    // then crawls every historical go.mod: slow, and the proxy refuses some.
    `go ${goDirective}`,
    '',
    'require (',
    `\t${PKG_MOD} ${V}`,
    `\t${SDK_MOD} ${V}`,
    ')',
    '',
    ...replaces.map((r) => `replace ${r}`),
    '',
  ].join('\n');
  // Only (re)write when changed so a finished tidy is reused.
  const goModPath = path.join(dir, 'go.mod');
  const stamp = path.join(dir, '.wrapper-input');
  const input = `${goMod}\n--\n${importPath}\n`;
  let prev = '';
  try { prev = fs.readFileSync(stamp, 'utf8'); } catch { /* first time */ }
  const changed = prev !== input || !fs.existsSync(goModPath);
  if (changed) {
    fs.writeFileSync(goModPath, goMod);
    for (const f of ['go.sum', '.tidied', '.resolved-rev']) fs.rmSync(path.join(dir, f), { force: true });
    fs.writeFileSync(stamp, input);
  }
  fs.writeFileSync(
    path.join(dir, 'tools.go'),
    `//go:build tools\n\n// Keeps the CLI's dependencies in go.mod for \`go mod tidy\`.\npackage tools\n\nimport _ "${importPath}"\n`,
  );
}

/** `go mod tidy` unless a previous run already tidied this exact wrapper. */
async function tidyOnce(ctx, dir) {
  const mark = path.join(dir, '.tidied');
  if (fs.existsSync(mark) && fs.existsSync(path.join(dir, 'go.sum'))) return { code: 0 };
  const r = await goRun(ctx, ['mod', 'tidy', '-v'], dir);
  if (r.code === 0) fs.writeFileSync(mark, 'ok\n');
  return r;
}

/** go list -m in the wrapper: are pkg/sdk still exactly at V? */
async function checkPinned(ctx, dir) {
  const r = spawnSync(ctx.go, ['list', '-m', '-f', '{{.Path}} {{.Version}}', PKG_MOD, SDK_MOD], { cwd: dir, env: ctx.env, encoding: 'utf8' });
  if (r.status !== 0) return `go list -m failed: ${lastLine(r.stderr)}`;
  const bad = r.stdout.trim().split('\n').filter((l) => !l.endsWith(` ${V}`));
  return bad.length ? `dependency drifted: ${bad.join(', ')}` : null;
}

async function goBuild(ctx, dir, pkgPath, outName) {
  fs.mkdirSync(cacheBin, { recursive: true });
  const dest = path.join(cacheBin, outName);
  const tmp = path.join(cacheBin, `.${outName}.tmp-${process.pid}`);
  fs.rmSync(tmp, { force: true });
  const args = ['build', '-v', '-buildvcs=false', '-trimpath', '-tags', 'osusergo,grpcnotrace', '-ldflags', `-s -w ${VERSION_LDFLAG}`, '-o', tmp, pkgPath];
  log(`building ${outName} (the first build compiles ~300 modules: 10-20 min on 2 cores)…`);
  const b0 = Date.now();
  const r = await goRun(ctx, args, dir);
  if (r.code !== 0 || !isExecutableFile(tmp)) {
    fs.rmSync(tmp, { force: true });
    return { ok: false, why: `go build ${pkgPath}: ${errSummary(r)}` };
  }
  log(`built ${outName} in ${((Date.now() - b0) / 1000).toFixed(0)}s`);
  return { ok: true, tmp, dest };
}

/** Discover the commit of the sdk/vX tag (for the untagged language-host module). */
function languageHostRevision(ctx) {
  const fromEnv = (process.env.PULUMI_LANGUAGE_NODEJS_COMMIT || LANGUAGE_NODEJS_COMMIT || '').trim();
  if (fromEnv) return { rev: fromEnv, how: process.env.PULUMI_LANGUAGE_NODEJS_COMMIT ? 'PULUMI_LANGUAGE_NODEJS_COMMIT' : 'LANGUAGE_NODEJS_COMMIT constant' };
  for (const args of [['list', '-m', '-json', `${SDK_MOD}@${V}`], ['mod', 'download', '-json', `${SDK_MOD}@${V}`]]) {
    const r = spawnSync(ctx.go, args, { cwd: os.tmpdir(), env: { ...ctx.env, GOFLAGS: '' }, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) continue;
    try {
      const j = JSON.parse(r.stdout);
      if (j.Origin && /^[0-9a-f]{12,40}$/.test(j.Origin.Hash || '')) return { rev: j.Origin.Hash, how: `Origin.Hash of ${SDK_MOD}@${V}` };
    } catch { /* not json */ }
  }
  return { rev: null, why: `the Go proxy gives no Origin (commit) for ${SDK_MOD}@${V}, and ${LANG_MOD} has no tags; set PULUMI_LANGUAGE_NODEJS_COMMIT=<commit of the sdk/${V} tag> (or a pseudo-version)` };
}

async function tryGoBuild() {
  const step = '4. build from the Go module proxy';
  if (process.env.ENSURE_PULUMI_SKIP_GO === '1') {
    fail(step, 'skipped (ENSURE_PULUMI_SKIP_GO=1)');
    return { pulumi: false, lang: false };
  }
  const g = findGo();
  if (!g) {
    fail(step, 'no `go` on PATH nor at /usr/local/go/bin/go');
    return { pulumi: false, lang: false };
  }
  log(`${step}: using ${g.go} (${g.version}); cache ${cacheBin}`);
  const ctx = { go: g.go, env: goEnvBase(g.go) };

  return withLock(async () => {
    removeStaleTemps();
    let st = cacheState(); // maybe another process finished meanwhile
    const result = { pulumi: st.pulumi.ok, lang: st.lang.ok };
    const whys = [];
    fs.mkdirSync(cacheBin, { recursive: true });

    // The replace directives pkg/v3 itself uses (minus its local ../sdk one).
    const modInfo = { replaces: [], goDirective: '1.26' };
    if (!st.pulumi.ok || !st.lang.ok) {
      const r = spawnSync(ctx.go, ['mod', 'download', '-json', `${PKG_MOD}@${V}`], { cwd: os.tmpdir(), env: { ...ctx.env, GOFLAGS: '' }, encoding: 'utf8', timeout: 600_000 });
      let goModPath = null;
      let jsonErr = '';
      try {
        const j = JSON.parse(r.stdout);
        goModPath = j.GoMod;
        jsonErr = j.Error || '';
      } catch { /* below */ }
      if (r.status !== 0 || !goModPath) {
        const detail = jsonErr || lastLine(r.stderr) || r.error?.code || `exit ${r.status}`;
        const why = `cannot fetch ${PKG_MOD}@${V} from the Go proxy: ${detail}`;
        fail(step, why);
        return result;
      }
      const pkgGoMod = fs.readFileSync(goModPath, 'utf8');
      modInfo.replaces = replacesFrom(pkgGoMod);
      modInfo.goDirective = (/^go\s+(\S+)/m.exec(pkgGoMod) || [])[1] || modInfo.goDirective;
      if (modInfo.replaces.length) log(`carrying over replace directives from ${PKG_MOD}: ${modInfo.replaces.join('; ')}`);
    }

    // --- pulumi
    if (!st.pulumi.ok) {
      const dir = path.join(buildRoot, 'pulumi');
      writeWrapper(dir, 'ensure-pulumi/pulumi-cli', `${PKG_MOD}/cmd/pulumi`, modInfo);
      const r = await tidyOnce(ctx, dir);
      let why = r.code === 0 ? await checkPinned(ctx, dir) : `go mod tidy: ${errSummary(r)}`;
      if (!why) {
        const b = await goBuild(ctx, dir, `${PKG_MOD}/cmd/pulumi`, PULUMI);
        if (b.ok) {
          const v = pulumiVersion(b.tmp);
          if (v.ok && cmpVersion(v.parsed, PINNED) === 0) {
            fs.renameSync(b.tmp, b.dest);
            result.pulumi = true;
          } else {
            fs.rmSync(b.tmp, { force: true });
            why = `built binary does not report ${V}: ${v.ok ? v.version : v.why}`;
          }
        } else why = b.why;
      }
      if (why) whys.push(`pulumi: ${why}`);
    }

    // --- pulumi-language-nodejs
    if (!st.lang.ok) {
      const rev = languageHostRevision(ctx);
      let why = rev.rev ? null : rev.why;
      if (!why) {
        log(`language host: resolving ${LANG_MOD}@${rev.rev} (${rev.how})`);
        const dir = path.join(buildRoot, 'language-nodejs');
        const revStamp = path.join(dir, '.resolved-rev');
        writeWrapper(dir, 'ensure-pulumi/pulumi-language-nodejs', LANG_MOD, modInfo);
        let prevRev = '';
        try { prevRev = fs.readFileSync(revStamp, 'utf8').trim(); } catch { /* first */ }
        let r = { code: 0 };
        if (prevRev !== rev.rev) {
          fs.rmSync(path.join(dir, '.tidied'), { force: true });
          r = await goRun(ctx, ['get', `${LANG_MOD}@${rev.rev}`, `${PKG_MOD}@${V}`, `${SDK_MOD}@${V}`], dir);
          if (r.code === 0) fs.writeFileSync(revStamp, `${rev.rev}\n`);
        }
        if (r.code !== 0) why = `go get ${LANG_MOD}@${rev.rev}: ${errSummary(r)}`;
        else {
          r = await tidyOnce(ctx, dir);
          why = r.code === 0 ? await checkPinned(ctx, dir) : `go mod tidy: ${errSummary(r)}`;
        }
        if (!why) {
          const b = await goBuild(ctx, dir, LANG_MOD, LANG_HOST);
          if (b.ok) {
            const h = languageHostRuns(b.tmp);
            if (h.ok) {
              fs.renameSync(b.tmp, b.dest);
              result.lang = true;
            } else {
              fs.rmSync(b.tmp, { force: true });
              why = h.why;
            }
          } else why = b.why;
        }
      }
      if (why) whys.push(`pulumi-language-nodejs: ${why}`);
    }
    if (whys.length) fail(step, whys.join('; '));
    return result;
  });
}

// ------------------------------------------- step 5: plugins from @pulumi/pulumi

function placeNodePlugins(binDir) {
  let pkgDir = null;
  for (const base of [repoRoot, process.cwd()]) {
    try {
      const req = createRequire(path.join(base, 'noop.js'));
      pkgDir = path.dirname(req.resolve('@pulumi/pulumi/package.json'));
      break;
    } catch { /* try next */ }
  }
  if (!pkgDir) {
    log(`note: @pulumi/pulumi is not installed (from ${repoRoot} or cwd); skipped copying ${EXTRA_PLUGINS.join(', ')} (run npm install, then this again)`);
    return;
  }
  let writable = true;
  try { fs.accessSync(binDir, fs.constants.W_OK); } catch { writable = false; }
  for (const name of EXTRA_PLUGINS) {
    const src = [path.join(pkgDir, 'bin', name), path.join(pkgDir, name)].find((p) => isExecutableFile(p) || fs.existsSync(p));
    if (!src) continue;
    const dest = path.join(binDir, name);
    try {
      if (fs.existsSync(dest) && fs.readFileSync(dest).equals(fs.readFileSync(src))) continue;
    } catch { /* replace */ }
    if (!writable) {
      log(`note: ${binDir} is not writable; ${name} not placed there (it is also in ${path.dirname(src)})`);
      continue;
    }
    // A copy, not a symlink: the launcher is location-independent (it runs
    // `node ./node_modules/@pulumi/pulumi/...` relative to the project's cwd).
    atomicCopy(src, dest);
    log(`placed ${name} in ${binDir} (from ${src})`);
  }
}

// ------------------------------------------------------------------- main

async function main() {
  log(`want Pulumi CLI ${V}; cache ${cacheBin}`);

  // 1. PATH
  const p = tryPath();
  if (p.dir) return finish(p.dir);

  // 2. cache
  let st = cacheState();
  if (st.pulumi.ok && st.lang.ok) {
    log(`2. cache: ${cacheBin} has ${st.pulumi.version}; language host ${st.lang.path}`);
    return finish(cacheBin);
  }
  // A usable CLI on PATH lacks only the language host, which the cache lacks too: use the
  // CLI the user installed rather than building a second one (10-20 min) for the host alone.
  if (p.withoutHost) {
    warnings.push(
      `WARNING: using ${p.withoutHost.path} (${p.withoutHost.version}) from PATH, with NO ${LANG_HOST} next to it or on PATH. ` +
        'Automation API inline programs work (they need no language host); `pulumi up` in a nodejs project directory does not. ' +
        `Put ${LANG_HOST} on PATH, or set ENSURE_PULUMI_SKIP_PATH=1 to provision ${cacheBin} instead.`,
    );
    return finish(path.dirname(p.withoutHost.path));
  }
  fail('2. cache', [st.pulumi.ok ? null : st.pulumi.why, st.lang.ok ? null : st.lang.why].filter(Boolean).join('; '));

  // A previous run already found that only the language host is unobtainable here:
  // do not pay for the npm/go attempts again on every run (ENSURE_PULUMI_RETRY=1 forces).
  const noHostMark = path.join(buildRoot, 'language-nodejs.unavailable.json');
  const markKey = process.env.PULUMI_LANGUAGE_NODEJS_COMMIT || LANGUAGE_NODEJS_COMMIT || '';
  if (st.pulumi.ok && process.env.ENSURE_PULUMI_RETRY !== '1' && process.env.ENSURE_PULUMI_REQUIRE_LANGUAGE_HOST !== '1') {
    try {
      const m = JSON.parse(fs.readFileSync(noHostMark, 'utf8'));
      if (m.key === markKey && Date.now() - m.at < 24 * 3600_000) {
        tried.push(...m.tried);
        return finishWithoutHost(st, `(cached verdict from ${new Date(m.at).toISOString()}; ENSURE_PULUMI_RETRY=1 retries)`);
      }
    } catch { /* no verdict yet */ }
  }

  // 3. npm shim (downloads the full release, language hosts included)
  if (await tryNpmShim()) {
    log(`3. npm shim: ${cacheBin} now has pulumi and ${LANG_HOST}`);
    return finish(cacheBin);
  }

  // 4. Go build
  await tryGoBuild();
  st = cacheState();
  if (st.pulumi.ok && st.lang.ok) {
    fs.rmSync(noHostMark, { force: true });
    return finish(cacheBin);
  }

  if (st.pulumi.ok && process.env.ENSURE_PULUMI_REQUIRE_LANGUAGE_HOST !== '1') {
    try {
      fs.mkdirSync(buildRoot, { recursive: true });
      fs.writeFileSync(noHostMark, JSON.stringify({ at: Date.now(), key: markKey, tried }, null, 1));
    } catch { /* best effort */ }
    return finishWithoutHost(st, '');
  }

  const lines = [
    `ensure-pulumi: could not provide Pulumi CLI ${V}${st.pulumi.ok ? ` with ${LANG_HOST}` : ''}. Tried:`,
    ...tried.map((t) => `  - ${t.step}: ${t.why}`),
    `Fix: put pulumi >= ${V} (with ${LANG_HOST}) on PATH or in ${cacheBin}, or give this machine internet or Go (>= 1.26) with access to the Go module proxy.`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}

function finishWithoutHost(st, note) {
  warnings.push(
    `WARNING: ${cacheBin} has pulumi ${st.pulumi.version} but NO ${LANG_HOST}${note ? ` ${note}` : ''}. ` +
      'Automation API inline programs work (they need no language host); `pulumi up` in a nodejs ' +
      'project directory does not. Why: ' +
      tried.filter((t) => /^[34]\./.test(t.step)).map((t) => `[${t.step}] ${t.why}`).join(' '),
  );
  return finish(cacheBin);
}

function finish(dir) {
  placeNodePlugins(dir);
  for (const w of warnings) log(w);
  log(`done in ${secs()}: ${dir}`);
  process.stdout.write(`${dir}\n`);
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`ensure-pulumi: unexpected error: ${e && e.stack ? e.stack : e}\nTried so far:\n${tried.map((t) => `  - ${t.step}: ${t.why}`).join('\n')}\n`);
  process.exit(1);
});
