#!/usr/bin/env node
/**
 * Benchmark (not a test): upload a generated 1 GB file to the emulator through the Uploads API
 * (64 MB parts) and through files.create, with the real `openai` SDK streaming from disk, and
 * compare with a plain `cp` of the same file on the same disk, measured in the same run. Prints
 * MB/s, the ratio to cp, the emulator's peak RSS and its CPU time per GB.
 * Targets: emulator peak RSS < 300 MB; each upload within 3x of the cp time.
 *
 * A third line uploads with a minimal node:http client (hand-written multipart, no SDK) to the
 * same files endpoint: it shows what the emulator ingests when the client costs little.
 *
 *   npm run bench:emulator
 *   BENCH_MB=256 BENCH_RUNS=1 BENCH_CONCURRENCY=2 BENCH_READ_MB=1 npm run bench:emulator
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { cpus } from "node:os";
import { pipeline } from "node:stream/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI, { toStreamingFile } from "openai";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DATA = join(ROOT, "bench", ".data");
const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_MB ?? 1024) * MB;
const PART = 64 * MB;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Parts in flight at once (the Uploads API accepts parts in parallel). */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
/** Read size of the client's file streams. */
const READ_CHUNK = Number(process.env.BENCH_READ_MB ?? 4) * MB;
const SOURCE = join(DATA, `emulator-upload-${SIZE / MB}mb.jsonl`);
const COPY = join(DATA, "emulator-upload-cp-copy.jsonl");
const STATE = join(DATA, "emulator-upload-state");

const fmt = (n, d = 1) => n.toFixed(d);
const mbps = (bytes, ms) => bytes / MB / (ms / 1000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function generate() {
  if (existsSync(SOURCE) && statSync(SOURCE).size === SIZE) return false;
  mkdirSync(DATA, { recursive: true });
  const line = Buffer.from(
    JSON.stringify({
      messages: [
        { role: "user", content: "What colour is the sky?" },
        { role: "assistant", content: "Blue, mostly; it depends on the weather and the time of day." },
      ],
    }) + "\n",
  );
  const block = Buffer.alloc(4 * MB);
  for (let o = 0; o < block.length; o += line.length) line.copy(block, o, 0, Math.min(line.length, block.length - o));
  const out = createWriteStream(SOURCE);
  for (let written = 0; written < SIZE; written += block.length) {
    if (!out.write(block.subarray(0, Math.min(block.length, SIZE - written)))) await new Promise((r) => out.once("drain", r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
  return true;
}

function timeCp() {
  rmSync(COPY, { force: true });
  const t = performance.now();
  const r = spawnSync("cp", [SOURCE, COPY]);
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
  rmSync(COPY, { force: true });
  return ms;
}

/** The floor for any user-space writer: a plain Node stream copy of the file (read + write, no HTTP). */
async function timeNodeCopy() {
  rmSync(COPY, { force: true });
  const t = performance.now();
  await pipeline(createReadStream(SOURCE, { highWaterMark: 4 * MB }), createWriteStream(COPY, { highWaterMark: 8 * MB }));
  const ms = performance.now() - t;
  rmSync(COPY, { force: true });
  return ms;
}

async function md5Of(iterable) {
  const h = createHash("md5");
  for await (const c of iterable) h.update(c);
  return h.digest("hex");
}

async function startEmulator() {
  rmSync(STATE, { recursive: true, force: true });
  const child = spawn(
    process.execPath,
    [join(ROOT, "dist/cli/index.js"), "emulator", "--port", "0", "--data-dir", STATE, "--max-file-bytes", String(SIZE + MB)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise((ok, fail) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)\/v1/.exec(out);
      if (m) ok(m[1]);
    });
    child.once("exit", (code) => fail(new Error(`emulator exited (${code}): ${out}`)));
  });
  return { child, url };
}

/** Uploads API: 64 MB parts, each streamed from its byte range of the file, CONCURRENCY at a time. */
async function viaUploads(client) {
  const upload = await client.uploads.create({ bytes: SIZE, filename: "bench.jsonl", mime_type: "text/jsonl", purpose: "fine-tune" });
  const ranges = [];
  for (let start = 0; start < SIZE; start += PART) ranges.push([start, Math.min(SIZE, start + PART) - 1]);
  const partIds = new Array(ranges.length);
  let next = 0;
  const worker = async () => {
    while (next < ranges.length) {
      const i = next++;
      const [start, end] = ranges[i];
      const part = await client.uploads.parts.create(upload.id, {
        data: toStreamingFile(createReadStream(SOURCE, { start, end, highWaterMark: READ_CHUNK }), "part"),
      });
      partIds[i] = part.id;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return (await client.uploads.complete(upload.id, { part_ids: partIds })).file;
}

/** Files API: the whole file in one streamed multipart request. */
function viaFilesCreate(client) {
  return client.files.create({
    file: toStreamingFile(createReadStream(SOURCE, { highWaterMark: READ_CHUNK }), "bench.jsonl"),
    purpose: "fine-tune",
  });
}

/** The same files endpoint with a minimal node:http client: isolates the emulator's own cost. */
function viaRawHttp(url) {
  const head = Buffer.from(
    '--bench\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n' +
      '--bench\r\nContent-Disposition: form-data; name="file"; filename="bench.jsonl"\r\nContent-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from("\r\n--bench--\r\n");
  return new Promise((ok, fail) => {
    const req = request(
      `${url}/v1/files`,
      {
        method: "POST",
        headers: {
          authorization: "Bearer bench",
          "content-type": "multipart/form-data; boundary=bench",
          "content-length": head.length + SIZE + tail.length,
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d) => (body += d));
        res.on("end", () => (res.statusCode === 200 ? ok(JSON.parse(body)) : fail(new Error(`${res.statusCode} ${body}`))));
      },
    );
    req.on("error", fail);
    req.write(head);
    const rs = createReadStream(SOURCE, { highWaterMark: 4 * MB });
    rs.on("error", fail);
    rs.pipe(req, { end: false });
    rs.on("end", () => req.end(tail));
  });
}

async function main() {
  console.log(
    `emulator upload benchmark: ${SIZE / MB} MB file, ${PART / MB} MB parts (${CONCURRENCY} in flight), ` +
      `${RUNS} run(s) each, node ${process.version}, ${cpus().length} CPUs`,
  );
  const t0 = performance.now();
  if (await generate()) console.log(`generated ${SOURCE} in ${fmt((performance.now() - t0) / 1000)} s`);
  const expectedMd5 = await md5Of(createReadStream(SOURCE, { highWaterMark: 4 * MB })); // also warms the page cache

  const { child, url } = await startEmulator();
  const client = new OpenAI({ apiKey: "bench", baseURL: `${url}/v1`, maxRetries: 0, timeout: 10 * 60 * 1000 });
  const state = async () => (await fetch(`${url}/_emulator/state`)).json();
  const methods = {
    "uploads API (SDK)": () => viaUploads(client),
    "files.create (SDK)": () => viaFilesCreate(client),
    "files, raw node:http": () => viaRawHttp(url),
  };
  const times = { cp: [], "node stream copy": [] };
  const cpu = {};
  let verified = 0;
  try {
    for (let run = 0; run < RUNS; run++) {
      times.cp.push(timeCp());
      times["node stream copy"].push(await timeNodeCopy());
      for (const [name, fn] of Object.entries(methods)) {
        const before = (await state()).process;
        const t = performance.now();
        const file = await fn();
        const ms = performance.now() - t;
        const after = (await state()).process;
        (times[name] ??= []).push(ms);
        (cpu[name] ??= []).push(after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs);
        if (file.bytes !== SIZE) throw new Error(`${name}: file has ${file.bytes} bytes, expected ${SIZE}`);
        if (run === 0) {
          // Correctness (not timed): the stored file holds exactly the source bytes.
          const md5 = await md5Of((await client.files.content(file.id)).body);
          if (md5 !== expectedMd5) throw new Error(`${name}: content md5 ${md5} != ${expectedMd5}`);
          verified++;
        }
        await client.files.delete(file.id);
      }
    }
    const peak = (await state()).process.maxRssBytes;
    const cpMs = median(times.cp);
    const perGb = SIZE / (1024 * MB);
    console.log(`\n${"".padEnd(22)}median    MB/s    x cp    runs (s)`);
    console.log(`${"cp".padEnd(22)}${fmt(cpMs / 1000, 2).padStart(6)} s ${fmt(mbps(SIZE, cpMs)).padStart(7)}  ${"1.00".padStart(6)}    ${times.cp.map((t) => fmt(t / 1000, 2)).join(" ")}`);
    const floor = median(times["node stream copy"]);
    console.log(
      `${"node stream copy".padEnd(22)}${fmt(floor / 1000, 2).padStart(6)} s ${fmt(mbps(SIZE, floor)).padStart(7)}  ${fmt(floor / cpMs, 2).padStart(6)}    ` +
        `${times["node stream copy"].map((t) => fmt(t / 1000, 2)).join(" ")}   (no HTTP: the floor for a user-space writer)`,
    );
    const verdicts = [];
    for (const name of Object.keys(methods)) {
      const ms = median(times[name]);
      const ratio = ms / cpMs;
      if (name.includes("SDK")) verdicts.push(ratio <= 3);
      console.log(
        `${name.padEnd(22)}${fmt(ms / 1000, 2).padStart(6)} s ${fmt(mbps(SIZE, ms)).padStart(7)}  ${fmt(ratio, 2).padStart(6)}    ` +
          `${times[name].map((t) => fmt(t / 1000, 2)).join(" ")}   (emulator CPU ${fmt(median(cpu[name]) / 1000 / perGb, 2)} s/GB)`,
      );
    }
    console.log(`\nemulator peak RSS: ${fmt(peak / MB)} MB (target < 300 MB: ${peak < 300 * MB ? "met" : "MISSED"})`);
    console.log(`SDK uploads within 3x of cp: ${verdicts.every(Boolean) ? "met" : "MISSED"}`);
    console.log(`content verified by md5: ${verified} upload paths`);
    process.exitCode = peak < 300 * MB && verdicts.every(Boolean) ? 0 : 1;
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(STATE, { recursive: true, force: true });
    rmSync(COPY, { force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
