/**
 * Pulumi projects against the packed package, as a user installs it: `npm pack` once, installed
 * once into a template project whose node_modules each test project links to. The operations that
 * run the program go through the Automation API runner (scripts/pulumi-run.js: the same engine as
 * `pulumi up`, but the program transpiled only), so every program is type-checked here first.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ts from "typescript";
import { ensurePulumi, pulumiEnv, ROOT } from "../../scripts/pulumi-env";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together. */
  output: string;
}

const RUNNER = join(ROOT, "scripts/pulumi-run.js");
const ENGINE_OPS = new Set(["up", "preview", "refresh", "destroy"]);
/** The runner never asks, never previews first, and reports steps itself. */
const CLI_ONLY_FLAGS = new Set(["--yes", "--skip-preview", "--json"]);

const installed = new Map<string, string>();

/**
 * node_modules holding the packed package and @pulumi/pulumi, shared by every test project. Made once
 * per build of the package (keyed by its packed files), by whichever test file gets there first.
 * Given a tarball (e.g. an earlier release, see test/helpers/release.ts), that package instead, keyed by
 * the tarball's bytes.
 */
export function installedPackage(tarball?: string): string {
  const key = tarball === undefined ? packageKey() : `release-${createHash("sha256").update(readFileSync(tarball)).digest("hex").slice(0, 16)}`;
  const known = installed.get(key);
  if (known) return known;
  const dir = join(tmpdir(), `ft-e2e-template-${key}`);
  const ready = join(dir, "ready");
  mkdirSync(dir, { recursive: true });
  withLock(join(dir, ".lock"), () => {
    if (existsSync(ready)) return;
    const tgz = tarball ?? packWorkingTree();
    const pulumiVersion = JSON.parse(readFileSync(join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version;
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "e2e-template", private: true, dependencies: { "pulumi-openai-finetune": `file:${tgz}`, "@pulumi/pulumi": pulumiVersion } }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
    writeFileSync(ready, "");
  });
  installed.set(key, dir);
  return dir;
}

function packWorkingTree(): string {
  const packDir = mkdtempSync(join(tmpdir(), "ft-pack-"));
  execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", packDir], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  return join(packDir, readdirSync(packDir).find((f) => f.endsWith(".tgz")) as string);
}

/** A hash of what `npm pack` ships: package.json and the built files. */
function packageKey(): string {
  const hash = createHash("sha256").update(readFileSync(join(ROOT, "package.json")));
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  walk(join(ROOT, "dist"));
  return hash.digest("hex").slice(0, 16);
}

/** mkdir is atomic: the first test file to make the lock builds, the others wait for it. */
function withLock(lock: string, work: () => void): void {
  for (const deadline = Date.now() + 600_000; ; ) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`waited 10 minutes for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * The type errors of a program (`.js` checked as JavaScript, `.ts` as TypeScript), resolved from
 * `dir`'s node_modules: the packed package's own types, as a user's editor and `pulumi up` (which
 * type-checks TypeScript) see them. Empty when it type-checks.
 */
export function typeErrors(file: string): string[] {
  const options: ts.CompilerOptions = {
    allowJs: true,
    checkJs: true,
    noEmit: true,
    strict: file.endsWith(".ts"),
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    typeRoots: [join(ROOT, "node_modules/@types")],
    types: ["node"],
  };
  const program = ts.createProgram([file], options);
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => join(file, ".."), getNewLine: () => "\n" };
  return ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, host).trim());
}

/** Programs already found to type-check against this build of the package (by content hash). */
function typeCheckOnce(file: string, tarball?: string): void {
  const key = createHash("sha256").update(readFileSync(file)).update(file.slice(file.lastIndexOf("."))).digest("hex").slice(0, 16);
  const mark = join(installedPackage(tarball), "type-checked", key);
  if (existsSync(mark)) return;
  const errors = typeErrors(file);
  if (errors.length) throw new Error(`the test program ${file} does not type-check against the packed package:\n${errors.join("\n")}`);
  mkdirSync(join(mark, ".."), { recursive: true });
  writeFileSync(mark, "");
}

let binDir: string | undefined;
export function pulumiBinDir(): string {
  binDir ??= ensurePulumi({ quiet: true });
  return binDir;
}

export interface ProjectOptions {
  name?: string;
  /** The program, CommonJS JavaScript (index.js). */
  program: string;
  baseURL: string;
  /** Given as OPENAI_API_KEY; leave out to give the key only through stack config. */
  apiKey?: string;
  files?: Record<string, string>;
  /** Install this packed package (e.g. an earlier release) instead of the working tree's. */
  tarball?: string;
}

export class PulumiProject {
  readonly dir: string;
  readonly stateDir: string;
  env: NodeJS.ProcessEnv;

  constructor(readonly options: ProjectOptions) {
    this.dir = mkdtempSync(join(tmpdir(), "ft-e2e-project-"));
    this.stateDir = join(this.dir, ".state");
    mkdirSync(this.stateDir);
    const name = options.name ?? "e2e";
    writeFileSync(join(this.dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\nmain: index.js\n`);
    writeFileSync(join(this.dir, "package.json"), JSON.stringify({ name, private: true }));
    symlinkSync(join(installedPackage(options.tarball), "node_modules"), join(this.dir, "node_modules"));
    typeCheckOnce(this.write("index.js", options.program), options.tarball);
    for (const [path, content] of Object.entries(options.files ?? {})) this.write(path, content);
    this.env = pulumiEnv({ binDir: pulumiBinDir(), stateDir: this.stateDir, baseURL: options.baseURL, apiKey: options.apiKey, passphrase: "e2e-passphrase" });
    if (options.apiKey === undefined) delete this.env.OPENAI_API_KEY;
    this.env.OPENAI_FINETUNE_CACHE_DIR = join(this.dir, ".cache");
  }

  /** Switches the project to another packed package (the working tree's when none is given), as `npm install` of a new release would. */
  usePackage(tarball?: string): void {
    rmSync(join(this.dir, "node_modules"));
    symlinkSync(join(installedPackage(tarball), "node_modules"), join(this.dir, "node_modules"));
    typeCheckOnce(join(this.dir, "index.js"), tarball);
  }

  write(path: string, content: string | Buffer): string {
    const full = join(this.dir, path);
    mkdirSync(join(full, ".."), { recursive: true });
    writeFileSync(full, content);
    return full;
  }

  /**
   * Runs `pulumi <args>` in the project; never throws on a non-zero exit. The operations that run the
   * program (up, preview, refresh, destroy) go through scripts/pulumi-run.js: the Automation API with
   * the program inline, since the Node language host cannot be built here.
   */
  run(args: string[], options: { onOutput?: (text: string) => void; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    const [command, argv] = ENGINE_OPS.has(args[0])
      ? [process.execPath, [RUNNER, ...args.filter((a) => !CLI_ONLY_FLAGS.has(a))]]
      : [join(pulumiBinDir(), "pulumi"), [...args, "--non-interactive"]];
    return new Promise((resolve, reject) => {
      // Its own process group, so a test can interrupt the whole run (driver, CLI, provider) like CI does.
      const child = spawn(command, argv, { cwd: this.dir, env: { ...this.env, ...options.env }, detached: true });
      this.running = child;
      let stdout = "";
      let stderr = "";
      let output = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
        output += d;
        options.onOutput?.(output);
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        output += d;
        options.onOutput?.(output);
      });
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout, stderr, output }));
    });
  }

  /** The process of the last run, e.g. to interrupt it. */
  running?: ReturnType<typeof spawn>;

  /** Sends a signal to every process of the running operation (the driver, the CLI, the provider). */
  interrupt(signal: NodeJS.Signals): void {
    if (this.running?.pid) process.kill(-this.running.pid, signal);
  }

  /** Like run, but a non-zero exit fails with the whole output. */
  async ok(args: string[]): Promise<RunResult> {
    const result = await this.run(args);
    if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${result.code}:\n${result.output}`);
    return result;
  }

  async initStack(stack: string, config: Record<string, string> = {}, secrets: Record<string, string> = {}): Promise<void> {
    await this.ok(["stack", "init", stack]);
    for (const [key, value] of Object.entries(config)) await this.ok(["config", "set", "--stack", stack, key, value]);
    for (const [key, value] of Object.entries(secrets)) await this.ok(["config", "set", "--stack", stack, "--secret", key, value]);
  }

  up(stack: string, extra: string[] = []) {
    return this.ok(["up", "--stack", stack, ...extra]);
  }

  async outputs(stack: string): Promise<Record<string, unknown>> {
    return JSON.parse((await this.ok(["stack", "output", "--json", "--show-secrets", "--stack", stack])).stdout);
  }

  /** The steps a preview plans, by resource name. */
  async plannedSteps(stack: string): Promise<Record<string, string[]>> {
    const result = await this.ok(["preview", "--stack", stack]);
    return JSON.parse(/^STEPS (.*)$/m.exec(result.stdout)?.[1] ?? "{}");
  }

  async exportStack(stack: string): Promise<string> {
    return (await this.ok(["stack", "export", "--stack", stack])).stdout;
  }
}
