#!/usr/bin/env node
// Runs a Pulumi operation (up, preview, refresh, destroy) on the project in the current directory
// through the Automation API with the project's program inline, as `pulumi <op>` would with the Node
// language host (which cannot be built here: see the README). Output is the CLI's own.
//
//   node scripts/pulumi-run.js <up|preview|refresh|destroy> --stack NAME [--expect-no-changes]
//                              [--clear-pending-creates] [--run-program] [--log-verbosity N]
//
// `preview` ends with a line `STEPS {"<resource name>": ["create"|"update"|"replace"|…]}`.
// Expects PATH to hold the pulumi CLI (npm run ensure-pulumi) and the backend/passphrase in the env.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

function parseArgs(argv) {
  const [op, ...rest] = argv;
  const opts = { op, stack: undefined, expectNoChanges: false, clearPendingCreates: false, runProgram: false, logVerbosity: undefined };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === "--stack") opts.stack = rest[++i];
    else if (arg === "--expect-no-changes") opts.expectNoChanges = true;
    else if (arg === "--clear-pending-creates") opts.clearPendingCreates = true;
    else if (arg === "--run-program") opts.runProgram = true;
    else if (arg === "--log-verbosity") opts.logVerbosity = Number(rest[++i]);
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!["up", "preview", "refresh", "destroy"].includes(op) || !opts.stack) {
    throw new Error("usage: pulumi-run <up|preview|refresh|destroy> --stack NAME [--expect-no-changes] [--clear-pending-creates]");
  }
  return opts;
}

/** The project's main module, loaded inside the Automation API's runtime so its resources register. */
function programOf(dir) {
  const settings = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
  const main = /^main:\s*(\S+)/m.exec(settings)?.[1] ?? "index.js";
  const entry = path.resolve(dir, main);
  return async () => {
    if (entry.endsWith(".ts")) require(require.resolve("ts-node", { paths: [dir, __dirname] })).register({ transpileOnly: true, project: path.join(dir, "tsconfig.json") });
    return { ...require(entry) };
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const dir = process.cwd();
  // The same @pulumi/pulumi as the program's, or its resources would register with another runtime.
  const auto = require(require.resolve("@pulumi/pulumi/automation", { paths: [dir] }));
  const pulumiBin = require("node:child_process").execFileSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" }).trim();
  const pulumiCommand = await auto.PulumiCommand.get({ root: path.dirname(path.dirname(pulumiBin)), skipVersionCheck: true });
  const workspace = await auto.LocalWorkspace.create({ workDir: dir, program: programOf(dir), pulumiCommand });
  const stack = await auto.Stack.select(opts.stack, workspace);
  const steps = {};
  const common = {
    onOutput: (out) => process.stdout.write(out),
    // The CLI's stderr as it comes (the engine's own logs with --log-verbosity), not only on failure.
    onError: (err) => process.stderr.write(err),
    color: "never",
    ...(opts.logVerbosity ? { logVerbosity: opts.logVerbosity, logToStdErr: true, debug: true } : {}),
  };
  const onEvent = (event) => {
    const pre = event.resourcePreEvent?.metadata;
    if (!pre || pre.type === "pulumi:pulumi:Stack") return;
    (steps[pre.urn.split("::").pop()] ??= []).push(pre.op);
  };
  if (opts.op === "up") await stack.up({ ...common, expectNoChanges: opts.expectNoChanges });
  if (opts.op === "preview") {
    await stack.preview({ ...common, expectNoChanges: opts.expectNoChanges, onEvent });
    process.stdout.write(`\nSTEPS ${JSON.stringify(steps)}\n`);
  }
  // --run-program: the program registers its providers anew, so they get the stack's current config.
  const runProgram = opts.runProgram ? { runProgram: true } : {};
  if (opts.op === "refresh") await stack.refresh({ ...common, ...runProgram, clearPendingCreates: opts.clearPendingCreates, expectNoChanges: opts.expectNoChanges });
  if (opts.op === "destroy") await stack.destroy({ ...common, ...runProgram });
}

main().catch((err) => {
  // The CLI's stderr was streamed already; a CommandError's message repeats what failed.
  process.stderr.write(`\n${err.message ?? err}\n`);
  process.exitCode = 1;
});
