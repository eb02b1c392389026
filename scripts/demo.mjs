// The main job: `pulumi up` of the quickstart's dev stack against the embedded emulator.
// Ensures the CLI, starts the emulator (state kept in .emulator-data so a second run is a no-op),
// keeps Pulumi state in .pulumi-state, shows the training progress, prints the outputs, stops.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { ROOT, ensurePulumi, pulumiEnv } = require("./pulumi-env.js");
const STACK = process.env.DEMO_STACK ?? "dev";

function startEmulator() {
  const child = spawn(process.execPath, [join(ROOT, "dist/cli/index.js"), "emulator", "--port", "0", "--data-dir", join(ROOT, ".emulator-data"), "--time-scale", process.env.DEMO_TIME_SCALE ?? "1"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      seen += chunk;
      const match = /listening on (http:\/\/\S+\/v1)/.exec(seen);
      if (match) resolve({ child, baseURL: match[1] });
    });
    child.once("exit", (code) => reject(new Error(`the emulator exited (${code}) before listening:\n${seen}`)));
  });
}

/** `up` runs through the Automation API (scripts/pulumi-run.js): the Node language host cannot be built here. */
function pulumi(args, env, options = {}) {
  console.log(`\n$ pulumi ${args.join(" ")}`);
  const [command, argv] = args[0] === "up" ? [process.execPath, [join(ROOT, "scripts/pulumi-run.js"), ...args]] : ["pulumi", args];
  const result = spawnSync(command, argv, { cwd: ROOT, env, stdio: options.capture ? ["ignore", "pipe", "inherit"] : "inherit", encoding: "utf8" });
  if (result.status !== 0 && !options.allowFailure) throw new Error(`pulumi ${args[0]} failed (exit ${result.status ?? result.signal})`);
  return result;
}

async function main() {
  console.log("== ensuring the Pulumi CLI");
  const binDir = ensurePulumi();
  const stateDir = join(ROOT, ".pulumi-state");
  mkdirSync(stateDir, { recursive: true });
  console.log("== starting the emulator");
  const { child, baseURL } = await startEmulator();
  console.log(`emulator at ${baseURL}`);
  try {
    const env = pulumiEnv({ binDir, stateDir, baseURL, apiKey: "sk-emulator-demo" });
    if (pulumi(["stack", "select", STACK], env, { allowFailure: true, capture: true }).status !== 0) pulumi(["stack", "init", STACK], env);
    pulumi(["up", "--stack", STACK], env);
    const outputs = pulumi(["stack", "output", "--json", "--stack", STACK], env, { capture: true }).stdout;
    console.log(outputs);
  } finally {
    child.kill("SIGTERM");
  }
}

main().catch((err) => {
  console.error(`demo failed: ${err.message}`);
  process.exitCode = 1;
});
