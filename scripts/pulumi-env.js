// The environment every Pulumi CLI run of this repository gets (the demo and the end-to-end tests):
// a local file backend, a passphrase, no update checks or plugin downloads, the CLI's bin dir and
// this package's Node 22 first on PATH, and the endpoint of the API to train against.
"use strict";
const { execFileSync } = require("node:child_process");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");

/** Runs `npm run ensure-pulumi` (fast when cached) and returns the directory holding `pulumi`. */
function ensurePulumi({ quiet = false } = {}) {
  const out = execFileSync(process.execPath, [path.join(ROOT, "scripts/ensure-pulumi.mjs")], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", quiet ? "pipe" : "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = out.trim().split("\n");
  return lines[lines.length - 1].trim();
}

/**
 * @param {{binDir: string, stateDir: string, baseURL?: string, apiKey?: string, passphrase?: string, extra?: Record<string,string>}} o
 */
function pulumiEnv(o) {
  const nodeBin = path.dirname(process.execPath);
  const env = {
    ...process.env,
    PATH: [o.binDir, nodeBin, path.join(ROOT, "node_modules/.bin"), process.env.PATH].join(path.delimiter),
    PULUMI_BACKEND_URL: `file://${o.stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: o.passphrase ?? process.env.PULUMI_CONFIG_PASSPHRASE ?? "demo",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    ...o.extra,
  };
  delete env.PULUMI_ACCESS_TOKEN;
  if (o.baseURL !== undefined) env.OPENAI_BASE_URL = o.baseURL;
  if (o.apiKey !== undefined) env.OPENAI_API_KEY = o.apiKey;
  return env;
}

module.exports = { ROOT, ensurePulumi, pulumiEnv };
