/**
 * `openai-finetune emulator`: an OpenAI-compatible fine-tuning API on a local port.
 * First stdout line: `openai-finetune emulator listening on http://HOST:PORT/v1`.
 * Stops cleanly on SIGINT/SIGTERM (state saved), then `main` resolves.
 */
import { resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { MANAGEMENT_PREFIX } from "./deployments";
import { createProgram, numberOption, runProgram } from "../cli/program";
import { FILES_API_LIMIT_BYTES } from "../provider/api-contract";
import type { EmulatorOptions } from "./app";

/**
 * Every emulator flag, declared once: the `openai-finetune emulator` subcommand and the standalone
 * entry (`node dist/emulator/main.js`) both take exactly these. Add new flags here, with their
 * parser and default, and the field they fill in `EmulatorOptions`.
 */
export function declareEmulatorOptions(command: Command): Command {
  return command
    .option("--host <HOST>", "address to listen on", "127.0.0.1")
    .option(
      "--port <PORT>",
      "port, 0 for any free one",
      numberOption((n) => (Number.isInteger(n) && n >= 0 && n <= 65535 ? null : "must be an integer from 0 to 65535")),
      0,
    )
    .option("--data-dir <DIR>", "keep state (files, jobs, models, job progress) in DIR across restarts; without it, state is in memory and gone on exit")
    .option(
      "--time-scale <F>",
      "simulated durations are divided by F (1: a 10-example job takes ~20 s)",
      numberOption((n) => (n > 0 ? null : "must be greater than 0")),
      1,
    )
    .option("--api-key <KEY>", "accept only this key (default: any non-empty key)")
    .option(
      "--max-file-bytes <N>",
      "Files API upload limit (OpenAI's is 512 MB)",
      numberOption((n) => (Number.isInteger(n) && n >= 1 ? null : "must be a positive integer")),
      FILES_API_LIMIT_BYTES,
    )
    .option(
      "--chat-latency-ms <MS>",
      "delay every chat completion answer by MS milliseconds (exercises evaluation concurrency)",
      numberOption((n) => (n >= 0 && n <= 600_000 ? null : "must be from 0 to 600000")),
      0,
    )
    .option(
      "--max-metric-events <N>",
      "metrics events per job at most (OpenAI-like default 100; more makes a burst of events for progress tests)",
      numberOption((n) => (Number.isInteger(n) && n >= 1 ? null : "must be a positive integer")),
      100,
    )
    .option("--flavor <FLAVOR>", "the platform to play: openai, or azure (/openai/v1 and versioned routes, Azure ids and rules, Resource Manager deployments)", (v: string) => {
      if (v !== "openai" && v !== "azure") throw new InvalidArgumentError("must be openai or azure");
      return v;
    }, "openai")
    .option("--today <YYYY-MM-DD>", "the date retirement rules use (default: today); on openai, 2027-01-06 or later refuses every new job as OpenAI does", (v: string) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || !Number.isFinite(Date.parse(v))) throw new InvalidArgumentError("must be a date YYYY-MM-DD");
      return v;
    })
    .addHelpText("after", "\nAdmin API (no auth): GET /_emulator/state, POST /_emulator/faults, POST /_emulator/reset");
}

interface EmulatorFlags {
  host: string;
  port: number;
  dataDir?: string;
  timeScale: number;
  apiKey?: string;
  maxFileBytes: number;
  chatLatencyMs: number;
  maxMetricEvents: number;
  flavor: "openai" | "azure";
  today?: string;
}

export function emulatorOptions(flags: EmulatorFlags, command: Command): EmulatorOptions {
  if (flags.apiKey === "") command.error("error: option '--api-key <KEY>' must not be empty", { exitCode: 2 });
  return {
    host: flags.host,
    port: flags.port,
    dataDir: flags.dataDir === undefined ? null : resolve(flags.dataDir),
    timeScale: flags.timeScale,
    apiKey: flags.apiKey ?? null,
    maxFileBytes: flags.maxFileBytes,
    chatLatencyMs: flags.chatLatencyMs,
    maxMetricEvents: flags.maxMetricEvents,
    flavor: flags.flavor,
    today: flags.today ?? null,
  };
}

const DESCRIPTION = "run the OpenAI-compatible fine-tuning API emulator";

/** Adds `emulator` to the `openai-finetune` program. */
export function register(program: Command): void {
  declareEmulatorOptions(program.command("emulator").description(DESCRIPTION)).action(
    async (flags: EmulatorFlags, command: Command) => {
      process.exitCode = await serve(emulatorOptions(flags, command));
    },
  );
}

/** Runs the emulator until SIGINT/SIGTERM; resolves to the exit status once it stopped. */
export async function serve(opts: EmulatorOptions): Promise<number> {
  // Loaded here, not at the top, so other commands never pay for the emulator's startup.
  const { startEmulator } = await import("./server");
  const emulator = await startEmulator(opts);
  process.stdout.write(`openai-finetune emulator listening on ${emulator.url}/v1\n`);
  if (opts.flavor === "azure") {
    process.stdout.write(`azure endpoint: ${emulator.url}\nmanagement endpoint: ${emulator.url}${MANAGEMENT_PREFIX}\n`);
  }
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

if (require.main === module) {
  const program = createProgram("openai-finetune-emulator", DESCRIPTION);
  declareEmulatorOptions(program).action(async (flags: EmulatorFlags, command: Command) => {
    process.exitCode = await serve(emulatorOptions(flags, command));
  });
  runProgram(program, process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`openai-finetune-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
