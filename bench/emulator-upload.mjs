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
 * Two floor lines send the same SDK calls to a server (its own process) that reads and discards
 * the bytes: they show what the SDK client alone costs, before any server does any work.
 *
 *   npm run bench:emulator
 *   BENCH_MB=256 BENCH_RUNS=1 BENCH_CONCURRENCY=2 BENCH_READ_MB=1 npm run bench:emulator
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { createServer, request } from "node:http";
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
  return { child, url: await listeningUrl(child) };
}

function listeningUrl(child) {
  return new Promise((ok, fail) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)\/v1/.exec(out);
      if (m) ok(m[1]);
    });
    child.once("exit", (code) => fail(new Error(`server exited (${code}): ${out}`)));
  });
}

/**
 * The floor for any server: answers the SDK's upload calls after reading and discarding the body.
 * Runs in its own process (like the emulator) so the client keeps a core to itself.
 */
function serveDiscarding() {
  let parts = 0;
  /** Body bytes of the current upload's parts (multipart framing included). */
  let partBytes = 0;
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on("data", (c) => (bytes += c.length));
    req.on("end", () => {
      const path = new URL(req.url, "http://x").pathname;
      let body;
      if (path === "/v1/uploads") {
        partBytes = 0;
        body = { id: "upload_discard", object: "upload", status: "pending" };
      } else if (path.endsWith("/parts")) {
        partBytes += bytes;
        body = { id: `part_${++parts}`, object: "upload.part" };
      } else if (path.endsWith("/complete")) {
        body = { id: "upload_discard", status: "completed", file: { id: "file-discard", bytes: partBytes } };
      } else {
        body = { id: "file-discard", object: "file", bytes };
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}/v1`));
}

async function startDiscardServer() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--discard-server"], { stdio: ["ignore", "pipe", "inherit"] });
  return { child, url: await listeningUrl(child) };
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
  const discard = await startDiscardServer();
  const sdk = (base) => new OpenAI({ apiKey: "bench", baseURL: `${base}/v1`, maxRetries: 0, timeout: 10 * 60 * 1000 });
  const client = sdk(url);
  const floorClient = sdk(discard.url);
  const state = async () => (await fetch(`${url}/_emulator/state`)).json();
  const methods = {
    "uploads API (SDK)": () => viaUploads(client),
    "files.create (SDK)": () => viaFilesCreate(client),
    "files, raw node:http": () => viaRawHttp(url),
  };
  const floors = {
    "uploads API, discarded": () => viaUploads(floorClient),
    "files.create, discarded": () => viaFilesCreate(floorClient),
  };
  const times = { cp: [], "node stream copy": [] };
  const cpu = {};
  let verified = 0;
  const timed = async (name, fn) => {
    const t = performance.now();
    const result = await fn();
    (times[name] ??= []).push(performance.now() - t);
    return result;
  };
  try {
    for (let run = 0; run < RUNS; run++) {
      times.cp.push(timeCp());
      times["node stream copy"].push(await timeNodeCopy());
      for (const [name, fn] of Object.entries(floors)) {
        // The discarding server counts body bytes with their multipart framing: never fewer than the file.
        const file = await timed(name, fn);
        if (file.bytes < SIZE) throw new Error(`${name}: the server received ${file.bytes} bytes, fewer than ${SIZE}`);
      }
      for (const [name, fn] of Object.entries(methods)) {
        const before = (await state()).process;
        const file = await timed(name, fn);
        const after = (await state()).process;
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
    const line = (name, note = "") => {
      const ms = median(times[name]);
      console.log(
        `${name.padEnd(24)}${fmt(ms / 1000, 2).padStart(6)} s ${fmt(mbps(SIZE, ms)).padStart(7)}  ${fmt(ms / cpMs, 2).padStart(6)}    ` +
          `${times[name].map((t) => fmt(t / 1000, 2)).join(" ")}${note ? `   (${note})` : ""}`,
      );
      return ms / cpMs;
    };
    console.log(`\n${"".padEnd(24)}median    MB/s    x cp    runs (s)`);
    line("cp");
    line("node stream copy", "no HTTP: the floor for a user-space writer");
    for (const name of Object.keys(floors)) line(name, "SDK client alone: the server reads and drops the bytes");
    const verdicts = Object.keys(methods).map((name) => {
      const ratio = line(name, `emulator CPU ${fmt(median(cpu[name]) / 1000 / perGb, 2)} s/GB`);
      return name.includes("SDK") ? ratio <= 3 : true;
    });
    console.log(`\nemulator peak RSS: ${fmt(peak / MB)} MB (target < 300 MB: ${peak < 300 * MB ? "met" : "MISSED"})`);
    console.log(`SDK uploads within 3x of cp: ${verdicts.every(Boolean) ? "met" : "MISSED"}`);
    const floor = Math.min(...Object.keys(floors).map((name) => median(times[name]) / cpMs));
    console.log(`the SDK client alone, to a server that does nothing, takes ${fmt(floor, 2)}x cp`);
    console.log(`content verified by md5: ${verified} upload paths`);
    process.exitCode = peak < 300 * MB && verdicts.every(Boolean) ? 0 : 1;
  } finally {
    for (const c of [child, discard.child]) {
      c.kill("SIGTERM");
      await new Promise((r) => c.once("exit", r));
    }
    rmSync(STATE, { recursive: true, force: true });
    rmSync(COPY, { force: true });
  }
}

if (process.argv[2] === "--discard-server") serveDiscarding();
else
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
