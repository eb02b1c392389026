#!/usr/bin/env node
/**
 * Benchmark (not a test): upload a generated 1 GB file to the emulator with the package's own
 * uploader (dist/provider/training-file/upload.js, what `pulumi up` runs: the real `openai` SDK
 * streaming from disk, hashing as it sends), through the Uploads API (its 64 MB parts, its parts in
 * flight) and through files.create, and compare with a plain `cp` of the same file on the same disk,
 * measured in the same run. Prints
 * MB/s, the ratio to cp, the emulator's peak RSS and its CPU time per GB.
 * Targets: emulator peak RSS < 300 MB; each upload within 3x of the cp time.
 *
 * A third line uploads with a minimal node:http client (hand-written multipart, no SDK) to the
 * same files endpoint: it shows what the emulator ingests when the client costs little.
 * Two floor lines send the same uploader's calls to a server (its own process) that reads and
 * discards the bytes: they show what the client alone costs, before any server does any work.
 *
 * BENCH_PARTS compares other numbers of parts in flight through the same uploader (its `partsInFlight`),
 * to check that the shipped PARTS_IN_FLIGHT is still the fastest here.
 *
 *   npm run bench:emulator
 *   BENCH_MB=256 BENCH_RUNS=1 npm run bench:emulator
 *   BENCH_PARTS=1,2,4,8 npm run bench:emulator
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { createServer, request } from "node:http";
import { cpus } from "node:os";
import { pipeline } from "node:stream/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import shipped from "../dist/provider/training-file/upload.js";

// The uploader is CommonJS: its client must come from the same copy of the SDK (the ESM build's
// multipart encoder does not recognise the CommonJS build's streaming files as files).
const OpenAI = createRequire(import.meta.url)("openai").default;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DATA = join(ROOT, "bench", ".data");
const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_MB ?? 1024) * MB;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Parts in flight to compare besides the shipped setting (BENCH_PARTS=1,2,8). */
const OTHER_PARTS = (process.env.BENCH_PARTS ?? "").split(",").map(Number).filter((n) => n > 0 && n !== shipped.PARTS_IN_FLIGHT);
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

async function digestsOf(iterable) {
  const md5 = createHash("md5");
  const sha256 = createHash("sha256");
  for await (const c of iterable) {
    md5.update(c);
    sha256.update(c);
  }
  return { md5: md5.digest("hex"), sha256: sha256.digest("hex") };
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
      if (req.method === "GET" && path === "/v1/files") {
        // The uploader first looks for an earlier upload of the same name (there is none).
        body = { object: "list", data: [], has_more: false };
      } else if (path === "/v1/uploads") {
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

let uploads = 0;
/** The package's uploader, as a TrainingFile's create calls it; a new name each time, as a new dataset would have. */
async function viaShipped(client, sha256, partThreshold, partsInFlight) {
  const req = { bytes: { path: SOURCE, size: SIZE }, name: `bench-${++uploads}.jsonl`, purpose: "fine-tune", partThreshold, sha256, label: SOURCE, partsInFlight };
  return (await shipped.upload(client, req)).value;
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
    `emulator upload benchmark: ${SIZE / MB} MB file, the package's uploader: ${shipped.PART_BYTES / MB} MB parts (${shipped.PARTS_IN_FLIGHT} in flight), ${shipped.READ_BYTES / MB} MB reads, ` +
      `${RUNS} run(s) each, node ${process.version}, ${cpus().length} CPUs`,
  );
  const t0 = performance.now();
  if (await generate()) console.log(`generated ${SOURCE} in ${fmt((performance.now() - t0) / 1000)} s`);
  const expected = await digestsOf(createReadStream(SOURCE, { highWaterMark: 4 * MB })); // also warms the page cache

  const { child, url } = await startEmulator();
  const discard = await startDiscardServer();
  const sdk = (base) => new OpenAI({ apiKey: "bench", baseURL: `${base}/v1`, maxRetries: 0, timeout: 10 * 60 * 1000 });
  const client = sdk(url);
  const floorClient = sdk(discard.url);
  const state = async () => (await fetch(`${url}/_emulator/state`)).json();
  const methods = {
    "uploads API (package)": () => viaShipped(client, expected.sha256, 0),
    "files.create (package)": () => viaShipped(client, expected.sha256, Infinity),
    "files, raw node:http": () => viaRawHttp(url),
    ...Object.fromEntries(OTHER_PARTS.map((n) => [`uploads API, ${n} in flight`, () => viaShipped(client, expected.sha256, 0, n)])),
  };
  const floors = {
    "uploads API, discarded": () => viaShipped(floorClient, expected.sha256, 0),
    "files.create, discarded": () => viaShipped(floorClient, expected.sha256, Infinity),
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
          const { md5 } = await digestsOf((await client.files.content(file.id)).body);
          if (md5 !== expected.md5) throw new Error(`${name}: content md5 ${md5} != ${expected.md5}`);
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
    for (const name of Object.keys(floors)) line(name, "the uploader alone: the server reads and drops the bytes");
    const verdicts = Object.keys(methods).map((name) => {
      const ratio = line(name, `emulator CPU ${fmt(median(cpu[name]) / 1000 / perGb, 2)} s/GB`);
      return name.includes("package") ? ratio <= 3 : true;
    });
    console.log(`\nemulator peak RSS: ${fmt(peak / MB)} MB (target < 300 MB: ${peak < 300 * MB ? "met" : "MISSED"})`);
    console.log(`the package's uploads within 3x of cp: ${verdicts.every(Boolean) ? "met" : "MISSED"}`);
    const floor = Math.min(...Object.keys(floors).map((name) => median(times[name]) / cpMs));
    console.log(`the uploader alone, to a server that does nothing, takes ${fmt(floor, 2)}x cp`);
    console.log(`content verified by md5: ${verified} upload paths`);
    if (OTHER_PARTS.length > 0) {
      const byParts = [[shipped.PARTS_IN_FLIGHT, median(times["uploads API (package)"])], ...OTHER_PARTS.map((n) => [n, median(times[`uploads API, ${n} in flight`])])];
      const [fastest] = byParts.sort((a, b) => a[1] - b[1])[0];
      console.log(`parts in flight, fastest here: ${fastest} (shipped: ${shipped.PARTS_IN_FLIGHT}); ${byParts.map(([n, ms]) => `${n}: ${fmt(ms / 1000, 2)} s`).join(", ")}`);
    }
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
