/**
 * Start the BUILT `openai-finetune ui` as a child process against an emulator, and a headless
 * Chromium from Debian's `chromium` package (never a downloaded browser) through playwright-core.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { CLI, type RunningEmulator } from "./emulator";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface RunningUiProcess {
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function startUi(emulator: RunningEmulator, opts: { cwd: string; args?: string[] }): Promise<RunningUiProcess> {
  const child = spawn(process.execPath, [CLI, "ui", "--port", "0", ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: { ...process.env, OPENAI_API_KEY: emulator.apiKey, OPENAI_BASE_URL: emulator.baseURL, AZURE_OPENAI_ENDPOINT: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ui did not print its URL within 20 s:\n${output}`)), 20_000);
    child.stdout!.on("data", () => {
      const first = output.split("\n")[0]!;
      if (output.includes("\n")) {
        clearTimeout(timer);
        if (/^http:\/\/127\.0\.0\.1:\d+\/$/.test(first)) resolve(first);
        else reject(new Error(`first stdout line is not the URL: ${JSON.stringify(first)}`));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`ui exited (${code}) before printing its URL:\n${output}`));
    });
  });
  return {
    url,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}
