#!/usr/bin/env node
/**
 * Benchmark of the dataset preflight (`npm run bench:validate`; not a timed test).
 *
 * Generates a ~200 MB chat dataset (bench/.data, gitignored; reused when present) and measures,
 * each in a fresh process so peak RSS is per phase:
 *   (a) sha256 alone (sha256File),
 *   (b) full validation with token counts (analyzeDataset, first check: hash + the full pass),
 *   (c) a cached re-check of the unchanged file,
 *   (d) single-threaded gpt-tokenizer throughput on the same text (the message contents of every
 *       line, tokenizer calls only; JSON parsing excluded from the time),
 *   (e) the format-only check a TrainingFile runs (countTokens: false, no cache), for scale: the
 *       first preview of a stack pays (e) + (b), not 2 x (b),
 * then prints MB/s (file bytes per second), peak RSS and the ratios against the targets:
 *   (b) >= 1.5 x (d), (c) >= 0.8 x (a), peak RSS < 250 MB.
 *
 * Options: --mb N (dataset size, default 200), --repeat N (runs of (b) and (d), median kept),
 * --keep-cache, --phase X (internal).
 */
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const random = require(join(here, "../dist/emulator/random.js"));
const MODEL = "gpt-4o-mini-2024-07-18";

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}

// ------------------------------------------------------------------------------------------
// Dataset generation: deterministic. Message texts are excerpts of real English prose (the
// Markdown documentation shipped in node_modules), so the tokenizer sees a natural mix of
// common words, rare words, identifiers and punctuation. (Synthetic made-up words would be a
// pathological case: every word misses the vocabulary and the merge cache.)

const rng = random.seededRandom;

function corpusWords() {
  const root = join(here, "..", "node_modules");
  const files = [];
  const walk = (dir, depth) => {
    let names;
    try {
      names = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of names.sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const p = join(dir, d.name);
      if (d.isDirectory() && depth < 6 && d.name !== ".bin") walk(p, depth + 1);
      else if (d.isFile() && /\.md$/i.test(d.name) && statSync(p).size > 2048) files.push(p);
    }
  };
  walk(root, 0);
  const words = [];
  for (const f of files) {
    for (const w of readFileSync(f, "utf8").split(/\s+/)) {
      if (w && w.length <= 30 && !/https?:|[|<>{}\[\]`#]/.test(w)) words.push(w);
    }
  }
  if (words.length < 100000) throw new Error(`not enough text in node_modules/**/*.md (${words.length} words)`);
  return words;
}

async function generate(path, targetBytes) {
  const rand = rng(42);
  const words = corpusWords();
  const excerpt = (minWords, maxWords) => {
    const n = minWords + Math.floor(rand() * (maxWords - minWords));
    const start = Math.floor(rand() * (words.length - n));
    return words.slice(start, start + n).join(" ");
  };
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  let bytes = 0;
  let n = 0;
  while (bytes < targetBytes) {
    const messages = [{ role: "system", content: "You are a helpful assistant for JavaScript library users. Answer briefly and precisely." }];
    const turns = rand() < 0.3 ? 2 : 1;
    for (let t = 0; t < turns; t++) {
      messages.push({ role: "user", content: excerpt(15, 80) });
      messages.push({ role: "assistant", content: excerpt(40, 220) });
    }
    const line = JSON.stringify({ messages }) + "\n";
    bytes += Buffer.byteLength(line);
    n++;
    if (!out.write(line)) await new Promise((r) => out.once("drain", r));
  }
  await new Promise((r) => out.end(r));
  return n;
}

// ------------------------------------------------------------------------------------------
// Phases (each runs in its own process)

function peakRssMb() {
  return process.resourceUsage().maxRSS / 1024; // KB -> MB
}

function cpuSeconds() {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
}

async function phase(name, path, cacheDir) {
  const dataset = require("../dist/provider/dataset/index.js");
  const t0 = process.hrtime.bigint();
  const cpu0 = cpuSeconds();
  let extra = {};
  if (name === "spin") {
    const { Worker } = await import("node:worker_threads");
    const n = Number(arg("--threads", "1"));
    const src = `let x = 0; for (let i = 0; i < 3e8; i++) x += i % 7; require("node:worker_threads").parentPort.postMessage(x);`;
    await Promise.all(Array.from({ length: n }, () => new Promise((r) => new Worker(src, { eval: true }).once("message", r))));
  } else if (name === "sha256") {
    const { sha256 } = await dataset.sha256File(path);
    extra = { sha256 };
  } else if (name === "format-only") {
    const report = await dataset.analyzeDataset({ path }, { countTokens: false, noCache: true });
    extra = { examples: report.examples, errors: report.errorCount };
  } else if (name === "validate" || name === "cached") {
    const report = await dataset.analyzeDataset({ path }, { model: MODEL, cacheDir });
    extra = {
      cached: report.cached,
      examples: report.examples,
      tokens: report.tokens,
      errors: report.errorCount,
      warnings: report.warningCount,
      epochs: report.epochs,
      cost: report.estimatedCostUsd,
      workers: report.cached ? 0 : dataset.workerScriptPath() ? availableParallelism() : 0,
    };
  } else if (name === "tokenizer") {
    const enc = require("gpt-tokenizer/encoding/o200k_base");
    const opts = { disallowedSpecial: new Set() };
    let tokNs = 0n;
    let tokens = 0;
    let contentBytes = 0;
    const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line) continue;
      const { messages } = JSON.parse(line);
      const t = process.hrtime.bigint();
      for (const m of messages) tokens += enc.countTokens(m.content, opts);
      tokNs += process.hrtime.bigint() - t;
      for (const m of messages) contentBytes += Buffer.byteLength(m.content);
    }
    const seconds = Number(tokNs) / 1e9;
    process.stdout.write(JSON.stringify({ seconds, peakRssMb: peakRssMb(), tokens, contentBytes }) + "\n");
    return;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds: cpuSeconds() - cpu0, peakRssMb: peakRssMb(), ...extra }) + "\n");
}

function runPhase(name, path, cacheDir, ...more) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--phase", name, "--file", path, "--cache", cacheDir, ...more], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`phase ${name} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

// ------------------------------------------------------------------------------------------

async function main() {
  const phaseName = arg("--phase");
  if (phaseName) return phase(phaseName, arg("--file"), arg("--cache"));

  const mb = Number(arg("--mb", "200"));
  const path = join(here, ".data", `chat-docs-${mb}mb.jsonl`);
  const target = mb * 1e6;
  if (!existsSync(path) || Math.abs(statSync(path).size - target) > 1e6) {
    process.stdout.write(`generating ${path} (${mb} MB)... `);
    const t = Date.now();
    const lines = await generate(path, target);
    process.stdout.write(`${lines} lines in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const bytes = statSync(path).size;
  const cacheDir = mkdtempSync(join(tmpdir(), "oft-bench-cache-"));
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`dataset ${path}: ${(bytes / 1e6).toFixed(1)} MB; node ${process.version}; ${availableParallelism()} cores; load average ${load}`);

  try {
    // How many cores this process really gets now (the machine may be shared): the same busy
    // loop on 1 thread, then on as many threads as cores, in parallel.
    const cores = availableParallelism();
    const one = runPhase("spin", path, cacheDir, "--threads", "1");
    const all = runPhase("spin", path, cacheDir, "--threads", String(cores));
    const capacity = (cores * one.seconds) / all.seconds;
    console.log(`parallel capacity now: ${capacity.toFixed(2)} of ${cores} cores (a busy loop on ${cores} threads vs 1)`);

    // (a) and (c) take a fraction of a second: the median of 5 runs each. (b) and (d) run
    // --repeat times (default 1), alternating, and the median is kept.
    const repeat = Math.max(1, Number(arg("--repeat", "1")));
    const median = (runs) => [...runs].sort((x, y) => x.seconds - y.seconds)[Math.floor(runs.length / 2)];
    const bs = [];
    const ds = [];
    for (let i = 0; i < repeat; i++) {
      rmSync(cacheDir, { recursive: true, force: true });
      bs.push(runPhase("validate", path, cacheDir));
      ds.push(runPhase("tokenizer", path, cacheDir));
    }
    const b = median(bs);
    const d = median(ds);
    const as = [];
    const cs = [];
    for (let i = 0; i < 5; i++) {
      as.push(runPhase("sha256", path, cacheDir));
      cs.push(runPhase("cached", path, cacheDir));
    }
    const a = median(as);
    const c = median(cs);
    const e = runPhase("format-only", path, cacheDir);
    if (e.examples !== b.examples || e.errors !== b.errors) throw new Error("(e) and (b) disagree on the examples or errors");
    if (bs.some((r) => r.cached) || cs.some((r) => !r.cached)) throw new Error("cache state unexpected: (b) must miss, (c) must hit");
    if (repeat > 1) {
      console.log(`(b) runs: ${bs.map((r) => r.seconds.toFixed(2)).join(", ")} s; (d) runs: ${ds.map((r) => r.seconds.toFixed(2)).join(", ")} s`);
    }

    const mbs = (s) => bytes / 1e6 / s;
    const rows = [
      ["(a) sha256 alone", a],
      [`(b) full validation + tokens (${b.workers} workers)`, b],
      ["(c) cached re-check", c],
      ["(d) gpt-tokenizer, 1 thread", d],
      ["(e) format-only check (a TrainingFile's)", e],
    ];
    console.log("");
    console.log("phase                                        time (s)     MB/s   CPU (s)   peak RSS (MB)");
    for (const [label, r] of rows) {
      const cpu = r.cpuSeconds === undefined ? "" : r.cpuSeconds.toFixed(2);
      console.log(
        `${label.padEnd(44)} ${r.seconds.toFixed(2).padStart(8)} ${mbs(r.seconds).toFixed(1).padStart(8)} ${cpu.padStart(9)} ${r.peakRssMb.toFixed(0).padStart(15)}`,
      );
    }
    console.log("");
    console.log(
      `(b) found ${b.examples} examples, ${b.tokens.toLocaleString("en-US")} tokens, ${b.errors} errors, ${b.warnings} warnings; ` +
        `${b.epochs} epoch(s), est. $${b.cost} on ${MODEL}`,
    );
    console.log(
      `(d) tokenized ${d.tokens.toLocaleString("en-US")} tokens of ${(d.contentBytes / 1e6).toFixed(1)} MB of message text ` +
        `(${(d.contentBytes / 1e6 / d.seconds).toFixed(1)} MB/s of text; MB/s above is file bytes)`,
    );
    const ratioB = mbs(b.seconds) / mbs(d.seconds);
    const ratioC = mbs(c.seconds) / mbs(a.seconds);
    const peak = Math.max(...[...as, ...bs, ...cs].map((r) => r.peakRssMb));
    const verdict = (ok) => (ok ? "ok" : "MISSED");
    console.log("");
    console.log(`(b) / (d) throughput  ${ratioB.toFixed(2)}x   target >= 1.5x   ${verdict(ratioB >= 1.5)}`);
    console.log(`(c) / (a) throughput  ${ratioC.toFixed(2)}x   target >= 0.8x   ${verdict(ratioC >= 0.8)}`);
    console.log(`peak RSS (a,b,c)      ${peak.toFixed(0)} MB   target < 250 MB  ${verdict(peak < 250)}`);
    console.log(`(e) / (b) time        ${(e.seconds / b.seconds).toFixed(2)}x   what a TrainingFile's check adds to a first preview`);
    console.log(
      `(b) used ${(b.cpuSeconds / b.seconds).toFixed(2)} cores on average (CPU time / wall time); ` +
        `its CPU time is ${(b.cpuSeconds / d.seconds).toFixed(2)}x the single-threaded tokenizer time`,
    );
  } finally {
    if (!process.argv.includes("--keep-cache")) rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
