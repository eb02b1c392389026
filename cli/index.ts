#!/usr/bin/env node
/**
 * `openai-finetune <command>`: the package's command line, one `commander` program.
 *
 * Each command is a module `cli/<command>.ts` exporting `register(program: Command)`, added below
 * with one line. Commands load their heavy dependencies inside their action (dynamic `import`),
 * so `validate` never pays for the emulator's startup and back.
 * Exit status: 0 success, 1 the command's own failure (e.g. an invalid dataset), 2 bad usage.
 */
import { register as emulator } from "../emulator/main";
import { register as models } from "./models";
import { createProgram, runProgram } from "./program";
import { register as evaluate } from "./eval";
import { register as ui } from "./ui";
import { register as validate } from "./validate";

const program = createProgram("openai-finetune", "Pulumi-managed OpenAI fine-tuning: datasets, jobs and an offline API emulator");
emulator(program);
validate(program);
evaluate(program);
ui(program);
models(program);

runProgram(program, process.argv.slice(2)).then(
  (code) => {
    // The emulator keeps the event loop alive on purpose until it stops; the other commands end here.
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`openai-finetune: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
