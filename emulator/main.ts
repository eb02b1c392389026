/**
 * `openai-finetune emulator`: an OpenAI-compatible fine-tuning API on a local port.
 * First stdout line: `openai-finetune emulator listening on http://HOST:PORT/v1`.
 * Stops cleanly on SIGINT/SIGTERM (state saved), then `main` resolves.
 */
import { resolve } from "node:path";
import type { EmulatorOptions } from "./app";
import { startEmulator } from "./server";

const USAGE = `usage: openai-finetune emulator [options]

  --host HOST            address to listen on (default 127.0.0.1)
  --port PORT            port, 0 for any free one (default 0)
  --data-dir DIR         keep state (files, jobs, models, job progress) in DIR across restarts;
                         without it, state is in memory and gone on exit
  --time-scale F         simulated durations are divided by F (default 1: a 10-example job takes ~20 s)
  --api-key KEY          accept only this key (default: any non-empty key)
  --max-file-bytes N     Files API upload limit (default 536870912, OpenAI's 512 MB)

Admin API (no auth): GET /_emulator/state, POST /_emulator/faults, POST /_emulator/reset
`;

export function parseArgs(argv: string[]): EmulatorOptions | "help" {
  const opts: EmulatorOptions = {
    host: "127.0.0.1",
    port: 0,
    dataDir: null,
    timeScale: 1,
    apiKey: null,
    maxFileBytes: 512 * 1024 * 1024,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = (): string => {
      if (value !== undefined) return value;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const number = (min: number, integer: boolean): number => {
      const raw = next();
      const n = Number(raw);
      if (!raw.trim() || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
        throw new Error(`${arg}: invalid value '${raw}'`);
      }
      return n;
    };
    switch (arg) {
      case "--help":
      case "-h":
        return "help";
      case "--host":
        opts.host = next();
        break;
      case "--port":
        opts.port = number(0, true);
        if (opts.port > 65535) throw new Error(`--port: invalid value '${opts.port}'`);
        break;
      case "--data-dir":
        opts.dataDir = resolve(next());
        break;
      case "--time-scale":
        opts.timeScale = number(Number.MIN_VALUE, false);
        break;
      case "--api-key":
        opts.apiKey = next();
        if (!opts.apiKey) throw new Error("--api-key must not be empty");
        break;
      case "--max-file-bytes":
        opts.maxFileBytes = number(1, true);
        break;
      default:
        throw new Error(`unknown option: ${arg}`);
    }
  }
  return opts;
}

export async function main(argv: string[]): Promise<number> {
  let opts: EmulatorOptions | "help";
  try {
    opts = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`openai-finetune emulator: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const emulator = await startEmulator(opts);
  process.stdout.write(`openai-finetune emulator listening on ${emulator.url}/v1\n`);
  process.stdout.write(
    `  time scale ${opts.timeScale}; ${opts.dataDir ? `state in ${opts.dataDir}` : "state in memory"}; ` +
      `${opts.apiKey ? "API key required" : "any API key accepted"}; admin API at ${emulator.url}/_emulator/state\n`,
  );
  let stopping = false;
  const signal = await new Promise<NodeJS.Signals>((done) => {
    const onSignal = (sig: NodeJS.Signals) => {
      // Later signals while stopping are absorbed: stopping is bounded (2 s for requests in flight).
      if (stopping) return;
      stopping = true;
      done(sig);
    };
    // Left installed after stopping too (signal handlers do not keep the process alive), so a late
    // signal cannot turn a clean exit into a kill.
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  process.stdout.write(`openai-finetune emulator: ${signal} received, stopping\n`);
  await emulator.stop();
  return 0;
}
