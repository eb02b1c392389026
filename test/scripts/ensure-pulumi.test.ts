/**
 * `scripts/ensure-pulumi.mjs` finding what is already installed: the real Pulumi CLI (the one
 * `npm run ensure-pulumi` built into ~/.pulumi/versions/<v>/bin) symlinked into a temp dir put on
 * PATH, with PULUMI_HOME pointing at an empty temp dir so the shared cache is neither read nor
 * written, and the download and build attempts switched off so nothing slow can start.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
const SCRIPT = join(ROOT, "scripts/ensure-pulumi.mjs");
const VERSIONS = join(process.env.PULUMI_HOME ?? join(homedir(), ".pulumi"), "versions");

function builtCli(): { path: string; version: string; pinned: string } {
  const pinned = existsSync(VERSIONS) ? readdirSync(VERSIONS).find((v) => existsSync(join(VERSIONS, v, "bin/pulumi"))) : undefined;
  if (!pinned) throw new Error(`no Pulumi CLI in ${VERSIONS}/*/bin: run \`npm run ensure-pulumi\` first`);
  const path = join(VERSIONS, pinned, "bin/pulumi");
  const out = spawnSync(path, ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  return { path, version: out.stdout.trim(), pinned };
}

let tmp: string;
let cli: ReturnType<typeof builtCli>;
beforeAll(() => {
  cli = builtCli();
  tmp = mkdtempSync(join(tmpdir(), "oft-ensure-pulumi-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A dir under the temp dir holding the real CLI as `pulumi` (a symlink, as package managers install it). */
function dirWithCli(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  symlinkSync(cli.path, join(dir, "pulumi"));
  return dir;
}

/**
 * An executable `pulumi-language-nodejs` that answers `-help` with a usage line, the only thing
 * ensure-pulumi asks of a language host (the real one cannot be built on this machine).
 */
function dirWithLanguageHost(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const host = join(dir, "pulumi-language-nodejs");
  writeFileSync(host, '#!/bin/sh\necho "Usage of pulumi-language-nodejs:" >&2\nexit 2\n');
  chmodSync(host, 0o755);
  return dir;
}

function ensurePulumi(pathDirs: string[], pulumiHome: string) {
  const r = spawnSync(process.execPath, [SCRIPT], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: {
      ...process.env,
      PATH: [...pathDirs, "/usr/bin", "/bin"].join(":"),
      PULUMI_HOME: pulumiHome,
      ENSURE_PULUMI_SKIP_NPM: "1",
      ENSURE_PULUMI_SKIP_GO: "1",
    },
  });
  return { code: r.status, dir: r.stdout.trim().split("\n").pop(), stderr: r.stderr };
}

describe("ensure-pulumi", () => {
  it("reports and uses a pulumi on PATH that has no language host, with a warning saying what works", () => {
    const bin = dirWithCli("path-only");
    const r = ensurePulumi([bin], join(tmp, "home-empty-1"));
    expect(r.code).toBe(0);
    expect(r.dir).toBe(bin);
    expect(r.stderr).toContain(`1. pulumi on PATH: found ${bin}/pulumi (${cli.version}); no pulumi-language-nodejs next to it or on PATH`);
    expect(r.stderr).toContain(`WARNING: using ${bin}/pulumi (${cli.version}) from PATH, with NO pulumi-language-nodejs`);
    expect(r.stderr).not.toContain("not usable");
  });

  it("finds the language host elsewhere on PATH", () => {
    const bin = dirWithCli("path-with-host");
    const hostDir = dirWithLanguageHost("host-on-path");
    const r = ensurePulumi([bin, hostDir], join(tmp, "home-empty-2"));
    expect(r.code).toBe(0);
    expect(r.dir).toBe(bin);
    expect(r.stderr).toContain(`found ${bin}/pulumi (${cli.version}) and ${hostDir}/pulumi-language-nodejs (on PATH)`);
    expect(r.stderr).not.toContain("WARNING");
  });

  it("finds the language host next to the pulumi on PATH", () => {
    const bin = dirWithCli("path-host-beside");
    dirWithLanguageHost("path-host-beside");
    const r = ensurePulumi([bin], join(tmp, "home-empty-3"));
    expect(r.code).toBe(0);
    expect(r.dir).toBe(bin);
    expect(r.stderr).toContain(`found ${bin}/pulumi (${cli.version}) and ${bin}/pulumi-language-nodejs (next to it)`);
  });

  it("says so when the pulumi on PATH is the cache dir itself", () => {
    const home = join(tmp, "home-cache-on-path");
    const bin = dirWithCli(join("home-cache-on-path", "versions", cli.pinned, "bin"));
    const r = ensurePulumi([bin], home);
    expect(r.code).toBe(0);
    expect(r.dir).toBe(bin);
    expect(r.stderr).toContain(`1. pulumi on PATH: found ${bin}/pulumi (the cache dir, on PATH) (${cli.version})`);
  });

  it("uses the cache's pulumi with a language host found on PATH", () => {
    const home = join(tmp, "home-cache");
    const bin = dirWithCli(join("home-cache", "versions", cli.pinned, "bin"));
    const hostDir = dirWithLanguageHost("host-for-cache");
    const r = ensurePulumi([hostDir], home);
    expect(r.code).toBe(0);
    expect(r.dir).toBe(bin);
    expect(r.stderr).toContain("1. pulumi on PATH: not usable: no pulumi on PATH");
    expect(r.stderr).toContain(`2. cache: ${bin} has ${cli.version}; language host ${hostDir}/pulumi-language-nodejs`);
  });

  it("fails, listing every attempt, when PATH holds only a script named pulumi and the cache is empty", () => {
    const shimDir = join(tmp, "shim");
    mkdirSync(shimDir);
    writeFileSync(join(shimDir, "pulumi"), `#!/bin/sh\necho ${cli.version}\n`);
    chmodSync(join(shimDir, "pulumi"), 0o755);
    const r = ensurePulumi([shimDir], join(tmp, "home-empty-4"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`1. pulumi on PATH: ${shimDir}/pulumi is a script (npm shim?), not the CLI`);
    expect(r.stderr).toContain("3. npm shim download: skipped (ENSURE_PULUMI_SKIP_NPM=1)");
    expect(r.stderr).toContain("4. build from the Go module proxy: skipped (ENSURE_PULUMI_SKIP_GO=1)");
  });
});
