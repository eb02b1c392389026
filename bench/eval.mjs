#!/usr/bin/env node
/**
 * Benchmark of the evaluation engine (`npm run bench:eval`; not a timed test).
 *
 * Starts the emulator (its own process) with `--chat-latency-ms 100`, trains a model on N support
 * questions, then evaluates N held-out examples against it sequentially (concurrency 1) and at
 * concurrency 8 and 32, each evaluation in a fresh process so its peak RSS is the evaluator's alone.
 * Prints examples/s, the speed-up over sequential (target: >= 6x at concurrency 8) and peak RSS.
 *
 * Options: --examples N (default 1000), --latency-ms MS (default 100), --concurrency 1,8,32.
 */
import { spawn, spawnSync } from "node:child_process";
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const require = createRequire(import.meta.url);

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}

/** N distinct topics: training question and a reworded held-out question with the same answer. */
function datasets(n) {
  const train = [];
  const heldOut = [];
  for (let i = 0; i < n; i++) {
    const answer = `Setting ${i} lives under Console > Area ${i % 37} > Page ${i}; choose Save after changing it.`;
    const line = (q) => JSON.stringify({ messages: [{ role: "system", content: "You are Acme's support assistant." }, { role: "user", content: q }, { role: "assistant", content: answer }] });
    train.push(line(`Where do I change setting ${i} (code s${i}x)?`));
    heldOut.push(line(`How can I edit setting ${i}, the one called s${i}x?`));
  }
  return { train: train.join("\n") + "\n", heldOut: heldOut.join("\n") + "\n" };
}

async function startEmulator(latencyMs) {
  const child = spawn(process.execPath, [join(root, "dist/cli/index.js"), "emulator", "--port", "0", "--time-scale", "1000", "--chat-latency-ms", String(latencyMs)], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+\/v1)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`emulator exited ${code}`)));
  });
  return { url, stop: () => new Promise((done) => (child.once("exit", done), child.kill("SIGTERM"))) };
}

async function train(baseURL, data) {
  const OpenAI = require("openai").default;
  const client = new OpenAI({ baseURL, apiKey: "bench" });
  const file = await client.files.create({ file: await OpenAI.toFile(Buffer.from(data), "train.jsonl"), purpose: "fine-tune" });
  let job = await client.fineTuning.jobs.create({ model: "gpt-4.1-mini-2025-04-14", training_file: file.id, hyperparameters: { n_epochs: 1 } });
  while (!["succeeded", "failed", "cancelled"].includes(job.status)) {
    await new Promise((r) => setTimeout(r, 200));
    job = await client.fineTuning.jobs.retrieve(job.id);
  }
  if (job.status !== "succeeded") throw new Error(`training ${job.status}`);
  return job.fine_tuned_model;
}

/** The admin read on a connection of its own: a pooled one the SDK left idle during training may be closed under it. */
function adminState(baseURL) {
  return new Promise((resolve, reject) => {
    http.get(baseURL.replace(/\/v1$/, "/_emulator/state"), { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d) => (body += d)).on("end", () => resolve(JSON.parse(body)));
    }).on("error", reject);
  });
}

async function emulatorCpuSeconds(baseURL) {
  const state = await adminState(baseURL);
  return (state.process.cpuUserMs + state.process.cpuSystemMs) / 1000;
}

/** One evaluation, in this (fresh) process: prints a JSON line with its figures. */
async function worker() {
  const [baseURL, model, data, concurrency] = process.argv.slice(3);
  const engine = require(join(root, "dist/provider/evaluation/index.js"));
  const OpenAI = require("openai").default;
  const config = {
    name: "bench",
    model,
    source: { path: data },
    graders: [{ type: "similar", threshold: 0.6 }],
    minPassRate: 0.9,
    maxErroredShare: 0.1,
    concurrency: Number(concurrency),
    sampling: { temperature: 0 },
  };
  const prepared = await engine.prepareEvaluation(config);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const report = await engine.runEvaluation(new OpenAI({ baseURL, apiKey: "bench", maxRetries: 0 }), config, prepared);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(JSON.stringify({ seconds, evaluatorCpuSeconds: (cpu.user + cpu.system) / 1e6, examples: report.counts.total, passRate: report.passRate, errored: report.counts.errored, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + "\n");
}

async function main() {
  const n = Number(arg("--examples", "1000"));
  const latency = Number(arg("--latency-ms", "100"));
  const levels = arg("--concurrency", "1,8,32").split(",").map(Number);
  const dir = mkdtempSync(join(tmpdir(), "bench-eval-"));
  const { train: trainData, heldOut } = datasets(n);
  const data = join(dir, "held-out.jsonl");
  writeFileSync(data, heldOut);
  const emulator = await startEmulator(latency);
  try {
    const model = await train(emulator.url, trainData);
    console.log(`evaluating ${n} examples against the emulator (${latency} ms per answer), model ${model}; load average ${loadavg()[0].toFixed(2)}`);
    const rows = [];
    for (const c of levels) {
      const emulatorCpu = await emulatorCpuSeconds(emulator.url);
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--worker", emulator.url, model, data, String(c)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
      if (r.status !== 0) throw new Error(`the evaluation at concurrency ${c} exited ${r.status}`);
      const figures = JSON.parse(r.stdout.trim().split("\n").pop());
      rows.push({ concurrency: c, ...figures, emulatorCpuSeconds: (await emulatorCpuSeconds(emulator.url)) - emulatorCpu, perSecond: figures.examples / figures.seconds });
    }
    const sequential = rows.find((r) => r.concurrency === 1) ?? rows[0];
    console.log("concurrency  examples/s  x sequential  seconds  pass rate  errored  evaluator peak RSS  CPU s evaluator/emulator");
    for (const r of rows) {
      console.log(
        `${String(r.concurrency).padStart(11)}  ${r.perSecond.toFixed(1).padStart(10)}  ${(r.perSecond / sequential.perSecond).toFixed(2).padStart(11)}x  ${r.seconds.toFixed(1).padStart(7)}  ${(r.passRate * 100).toFixed(1).padStart(8)}%  ${String(r.errored).padStart(7)}  ${(r.maxRssBytes / 1048576).toFixed(0).padStart(15)} MB  ${r.evaluatorCpuSeconds.toFixed(1).padStart(9)}/${r.emulatorCpuSeconds.toFixed(1)}`,
      );
    }
    const at8 = rows.find((r) => r.concurrency === 8);
    if (at8) console.log(`target: >= 6x sequential at concurrency 8: ${(at8.perSecond / sequential.perSecond).toFixed(2)}x ${at8.perSecond / sequential.perSecond >= 6 ? "(met)" : "(NOT met)"}`);
  } finally {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--worker") await worker();
else await main();
