/**
 * Start the BUILT emulator (`dist/cli/index.js emulator`) as a child process for a test, and talk
 * to it: an `openai` SDK client for its base URL, and the admin API (state, faults, reset).
 * `npm test` builds first; run `npm run build` before running jest directly.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import OpenAI, { type ClientOptions } from "openai";
import type { EmulatorState, Faults } from "../../emulator/admin";

export type { EmulatorState, Faults };

export interface StartOptions {
  timeScale?: number;
  dataDir?: string;
  apiKey?: string;
  port?: number;
  env?: Record<string, string>;
  /** Extra CLI arguments (e.g. `--max-file-bytes`). */
  args?: string[];
  /** `--flavor`: the platform the emulator plays (default openai). */
  flavor?: "openai" | "azure";
}

export interface RunningEmulator {
  /** http://127.0.0.1:PORT */
  url: string;
  /** url + "/v1" */
  baseURL: string;
  /** `--flavor azure`: the resource endpoint and the Resource Manager endpoint it printed. */
  azureEndpoint?: string;
  managementEndpoint?: string;
  apiKey: string;
  /** A real `openai` SDK client for `baseURL` (options override the defaults). */
  client(opts?: ClientOptions): OpenAI;
  state(): Promise<EmulatorState>;
  faults(f: Faults): Promise<void>;
  reset(): Promise<void>;
  /** SIGTERM, then wait for the process to exit. */
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  process: ChildProcess;
  /** Everything the process wrote to stdout/stderr so far. */
  output(): string;
}

const ROOT = resolve(__dirname, "../..");
export const CLI = resolve(ROOT, "dist/cli/index.js");

export async function startEmulator(opts: StartOptions = {}): Promise<RunningEmulator> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const apiKey = opts.apiKey ?? "sk-emulator-test";
  const args = [CLI, "emulator", "--host", "127.0.0.1", "--port", String(opts.port ?? 0)];
  args.push("--time-scale", String(opts.timeScale ?? 100));
  if (opts.dataDir) args.push("--data-dir", opts.dataDir);
  if (opts.apiKey) args.push("--api-key", opts.apiKey);
  if (opts.flavor) args.push("--flavor", opts.flavor);
  args.push(...(opts.args ?? []));
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));

  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`emulator did not start within 20 s:\n${output}`));
    }, 20_000);
    const onData = () => {
      const m = /listening on (http:\/\/[^\s]+)\/v1/.exec(output);
      if (m && (opts.flavor !== "azure" || /^management endpoint: /m.test(output))) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited (${code ?? signal}) before listening:\n${output}`));
    });
  });

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/_emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  return {
    url,
    baseURL: `${url}/v1`,
    azureEndpoint: /^azure endpoint: (\S+)$/m.exec(output)?.[1],
    managementEndpoint: /^management endpoint: (\S+)$/m.exec(output)?.[1],
    apiKey,
    client: (clientOpts?: ClientOptions) => new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 2, ...clientOpts }),
    state: async () => (await admin("GET", "state")) as EmulatorState,
    faults: async (f: Faults) => {
      await admin("POST", "faults", f);
    },
    reset: async () => {
      await admin("POST", "reset", {});
    },
    stop: async () => {
      if (!child.killed && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      // Internal errors the emulator logged (not API errors it answered): shown, so a flaky failure explains itself.
      const internal = output.split("\n").filter((line) => line.startsWith("emulator: "));
      if (internal.length > 0) console.warn(`the emulator logged internal errors:\n${internal.join("\n")}`);
    },
    kill: (signal: NodeJS.Signals = "SIGKILL") => {
      child.kill(signal);
    },
    process: child,
    output: () => output,
  };
}
