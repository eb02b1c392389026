#!/usr/bin/env node
/**
 * `openai-finetune <command>`: the package's command line. Each command lives in its own module
 * and is loaded only when asked for, so `validate` never pays for the emulator's startup and back.
 */
const USAGE = `usage: openai-finetune <command> [options]

commands:
  emulator   run the OpenAI-compatible fine-tuning API emulator
  validate   check a JSONL dataset, count its tokens and estimate its cost
`;

type Command = (argv: string[]) => Promise<number | void>;

const commands: Record<string, () => Command> = {
  emulator: () => require("../emulator/main").main,
  validate: () => require("./validate").main,
};

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const load = name ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(name ? `unknown command: ${name}\n\n${USAGE}` : USAGE);
    return 2;
  }
  return (await load()(rest)) ?? 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    // The emulator keeps the event loop alive on purpose; the other commands end here.
    if (code !== undefined && code !== 0) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`openai-finetune: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
