#!/usr/bin/env node
/**
 * Benchmark of the UI (`npm run bench:ui`; not a timed test).
 *
 * An emulator with 500 jobs in 10 stacks (one of them 10,000 steps long), the built
 * `openai-finetune ui` against it, Debian's headless Chromium through playwright-core. Measures:
 *   - time to first render of the job list (navigation start to all 500 rows in the DOM),
 *   - time to first render of the 10,000-point curve (route change to the chart drawn, cold:
 *     the server reads and parses the result file; then warm),
 *   - the UI server's peak RSS (VmHWM of its process),
 * and prints them against the targets: list < 1 s, curve < 0.5 s, RSS < 200 MB.
 * Options: --jobs N (default 500), --repeat N (warm runs, median kept; default 3).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { default: OpenAI, toFile } = require("openai");
const { chromium } = require("playwright-core");
const CLI = join(here, "..", "dist", "cli", "index.js");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const JOBS = arg("--jobs", 500);
const REPEAT = arg("--repeat", 3);
const KEY = "sk-bench-ui";

/** Starts a built CLI command; resolves with the process and the first URL it prints. */
function start(args, env, pattern) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) resolve({ child, url: m[1] });
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", (d) => (out += d));
    child.once("exit", (code) => reject(new Error(`${args[0]} exited (${code}):\n${out}`)));
  });
}

const examples = (n) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ messages: [{ role: "user", content: `What is ${i} plus one?` }, { role: "assistant", content: `${i + 1}.` }] })).join("\n") + "\n";

async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function seed(client) {
  const small = await client.files.create({ file: await toFile(Buffer.from(examples(10)), "small.jsonl"), purpose: "fine-tune" });
  const large = await client.files.create({ file: await toFile(Buffer.from(examples(1000)), "large.jsonl"), purpose: "fine-tune" });
  // 1000 examples, batch 1, 10 epochs: 10,000 steps.
  const big = await client.fineTuning.jobs.create({
    model: "gpt-4o-mini-2024-07-18",
    training_file: large.id,
    validation_file: small.id,
    method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 10, batch_size: 1 } } },
    metadata: { pulumi_owner: "bench/stack-0/big" },
  });
  const rest = Array.from({ length: JOBS - 1 }, (_, i) => i);
  await pool(rest, 8, async (i) => {
    await client.fineTuning.jobs.create({
      model: "gpt-4o-mini-2024-07-18",
      training_file: small.id,
      method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 1 + (i % 3) } } },
      metadata: i % 7 === 0 ? undefined : { pulumi_owner: `bench/stack-${i % 10}/model-${i}` },
    });
  });
  for (;;) {
    let open = 0;
    for await (const j of client.fineTuning.jobs.list({ limit: 100 })) if (!["succeeded", "failed", "cancelled"].includes(j.status)) open++;
    if (open === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return big.id;
}

function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measureList(page, url) {
  await page.goto(url);
  await page.waitForFunction((n) => window.__ftRendered && window.__ftRendered.view === "list" && document.querySelectorAll("tr[data-job]").length === n, JOBS, { timeout: 60_000 });
  // performance.now() counts from the navigation's start.
  return page.evaluate(() => window.__ftRendered.at);
}

/** Where the list's time goes: page and scripts loaded, overview fetched, rows rendered. */
async function listBreakdown(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return { scripts: nav.domContentLoadedEventEnd, fetched: window.__ftRendered.fetched, rendered: window.__ftRendered.at };
  });
}

async function measureCurve(page, url, id) {
  await page.goto(`${url}#/`);
  await page.waitForSelector("tr[data-job]");
  return page.evaluate(async (jobId) => {
    const t0 = performance.now();
    location.hash = `#/job/${jobId}`;
    for (;;) {
      const r = window.__ftRendered;
      if (r && r.view === "job" && r.at > t0 && document.querySelector(`[data-testid="curve"][data-job="${jobId}"] canvas`)) {
        return { ms: r.at - t0, points: r.points };
      }
      await new Promise((res) => requestAnimationFrame(res));
    }
  }, id);
}

async function main() {
  const emu = await start(["emulator", "--port", "0", "--time-scale", "1000"], {}, /listening on (http:\/\/\S+\/v1)/);
  let ui;
  let browser;
  try {
    const client = new OpenAI({ apiKey: KEY, baseURL: emu.url, maxRetries: 2 });
    const t = Date.now();
    const bigId = await seed(client);
    process.stdout.write(`seeded ${JOBS} jobs (one of 10,000 steps) in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    ui = await start(["ui", "--port", "0"], { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: emu.url, AZURE_OPENAI_ENDPOINT: "" }, /^(http:\/\/\S+\/)\n/);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });

    const listCold = await measureList(page, ui.url);
    const listWarm = [];
    for (let i = 0; i < REPEAT; i++) listWarm.push(await measureList(page, ui.url));
    const split = await listBreakdown(page);
    const curveCold = await measureCurve(page, ui.url, bigId);
    if (curveCold.points !== 10000) throw new Error(`the long job's curve has ${curveCold.points} points, not 10000`);
    const curveWarm = [];
    for (let i = 0; i < REPEAT; i++) curveWarm.push((await measureCurve(page, ui.url, bigId)).ms);
    const rss = peakRssMb(ui.child.pid);

    const rows = [
      ["job list first render (500 jobs), first load", listCold, 1000, "ms"],
      [`job list first render, median of ${REPEAT}`, median(listWarm), 1000, "ms"],
      ["10,000-point curve first render, cold", curveCold.ms, 500, "ms"],
      [`10,000-point curve first render, median of ${REPEAT}`, median(curveWarm), 500, "ms"],
      ["UI server peak RSS", rss, 200, "MB"],
    ];
    process.stdout.write(`list breakdown (last run): page and scripts ${split.scripts.toFixed(0)} ms, overview fetched ${split.fetched.toFixed(0)} ms, rows drawn ${split.rendered.toFixed(0)} ms\n`);
    process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${availableParallelism()} cores (figures are wall-clock on this machine)\n`);
    process.stdout.write("\nfigure                                                measured     target   \n");
    for (const [name, value, target, unit] of rows) {
      const ok = value < target ? "ok" : "OVER";
      process.stdout.write(`${name.padEnd(52)} ${value.toFixed(unit === "ms" ? 0 : 1).padStart(7)} ${unit}  < ${String(target).padStart(4)} ${unit}  ${ok}\n`);
    }
  } finally {
    await browser?.close();
    ui?.child.kill("SIGTERM");
    emu.child.kill("SIGTERM");
  }
}

main().catch((err) => {
  process.stderr.write(`bench:ui: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
