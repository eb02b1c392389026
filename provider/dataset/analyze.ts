/**
 * analyzeDataset: one streaming pass over a JSONL dataset that hashes it, splits it into batches
 * of whole lines and has worker threads (or this thread, for small inputs) validate and count
 * them. Memory stays bounded: at most a few batches are in flight (the read stream waits for
 * free slots), and each batch comes back as a small summary. Results are cached on disk by
 * content hash.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { lookupModel, type ModelLookup } from "../models";
import { emptyResult, mergeResults, processBatch, type BatchContext, type BatchResult } from "./batch";
import { analyzerVersion, cacheKey, defaultCacheDir, readCache, writeCache } from "./cache";
import { MAX_ISSUES, MIN_EXAMPLES, RECOMMENDED_MIN_EXAMPLES } from "./codes";
import { estimateCostUsd, resolveEpochs } from "./epochs";
import { sha256Content, sha256File } from "./hash";
import { checkExample, familyOf, FORMAT_LABEL, isPlainObject, shapeOf, type LineSink } from "./lines";
import type { AnalyzeOptions, DatasetFormat, DatasetIssue, DatasetReport, FineTuneMethod } from "./types";

export type DatasetSource = { path: string } | { content: string | Buffer | Uint8Array };

/** Bytes per batch sent to a worker. */
const BATCH_BYTES = 512 << 10;
/** Inputs at least this large are processed by worker threads by default. */
export const WORKER_THRESHOLD_BYTES = 8 << 20;
const DEFAULT_MAX_LINE_BYTES = 128 << 20;
/** Format detection looks this far for a valid line before falling back to the first line's shape. */
const DETECT_MAX_LINES = 10000;
const DETECT_MAX_BYTES = 32 << 20;

const ALL_FORMATS: DatasetFormat[] = ["chat", "dpo", "prompt_completion", "reinforcement"];
const METHOD_FORMATS: Record<FineTuneMethod, DatasetFormat[]> = {
  supervised: ["chat", "prompt_completion"],
  dpo: ["dpo"],
  reinforcement: ["reinforcement"],
};
const METHODS = Object.keys(METHOD_FORMATS) as FineTuneMethod[];

/** What the pass over the content found; this is what the cache holds. */
interface CoreResult {
  sha256: string;
  bytes: number;
  format: DatasetFormat | null;
  /** Set when the file is not UTF-8 at all (UTF-16/32 BOM): nothing else was checked. */
  fatalEncoding: boolean;
  result: BatchResult;
}

interface Plan {
  lookup: ModelLookup;
  allowed: DatasetFormat[];
  fixedBy: string | null;
  fileErrors: DatasetIssue[];
}

function checkOptions(opts: AnalyzeOptions): void {
  if (opts.method !== undefined && !METHODS.includes(opts.method)) {
    throw new TypeError(`method must be one of ${METHODS.join(", ")}, got ${JSON.stringify(opts.method)}`);
  }
  const e = opts.nEpochs;
  if (e !== undefined && e !== "auto" && !(Number.isInteger(e) && e >= 1 && e <= 50)) {
    throw new RangeError(`nEpochs must be "auto" or an integer from 1 to 50, got ${JSON.stringify(e)}`);
  }
  if (opts.workers !== undefined && !(Number.isInteger(opts.workers) && opts.workers >= 0)) {
    throw new RangeError("workers must be a non-negative integer");
  }
}

function makePlan(opts: AnalyzeOptions): Plan {
  const lookup = lookupModel(opts.model, {
    pricePerMillionTokens: opts.pricePerMillionTokens,
    priceOverrides: opts.priceOverrides,
  });
  const fileErrors: DatasetIssue[] = [];
  let allowed = ALL_FORMATS;
  let fixedBy: string | null = null;
  if (opts.method) {
    allowed = METHOD_FORMATS[opts.method];
    fixedBy = `method ${opts.method}`;
  }
  const facts = lookup.facts;
  if (facts) {
    if (opts.method && !facts.methods.includes(opts.method)) {
      fileErrors.push({
        line: 0,
        code: "method_not_supported",
        message: `${facts.id} does not support ${opts.method} fine-tuning (supports: ${facts.methods.join(", ")}; per model facts read ${facts.readOn})`,
      });
    } else {
      const inter = allowed.filter((f) => facts.formats.includes(f));
      if (inter.length && inter.length < allowed.length) {
        allowed = inter;
        fixedBy = fixedBy ? `${fixedBy} on ${facts.id}` : `model ${facts.id}`;
      }
    }
  }
  return { lookup, allowed, fixedBy, fileErrors };
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Bytes read per read() call. */
const READ_BYTES = 256 << 10;

/**
 * The source's bytes in order, as views of one reused buffer (for files): a consumer must copy
 * what it keeps past the next iteration. No per-chunk allocation, so memory stays flat.
 */
export async function* readChunks(source: DatasetSource, size = READ_BYTES): AsyncGenerator<Buffer> {
  if ("path" in source) {
    const fh = await open(source.path, "r");
    try {
      const buf = Buffer.allocUnsafeSlow(size);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, size, null);
        if (bytesRead === 0) break;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  } else {
    const buf = toBuffer(source.content);
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
  }
}

function toBuffer(content: string | Buffer | Uint8Array): Buffer {
  if (typeof content === "string") return Buffer.from(content, "utf8");
  return Buffer.isBuffer(content) ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

type BomKind = "utf8" | "utf16le" | "utf16be" | "utf32le" | "utf32be" | null;
function bomOf(b: Uint8Array): BomKind {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return "utf8";
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return "utf32le";
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return "utf32be";
  if (b[0] === 0xff && b[1] === 0xfe) return "utf16le";
  if (b[0] === 0xfe && b[1] === 0xff) return "utf16be";
  return null;
}

/** Lines (decoded, without newline) from the start of the source, for format detection. */
async function* firstLines(source: DatasetSource, maxBytes: number, maxLineBytes: number): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let carry: Buffer[] = [];
  let carryLen = 0;
  let read = 0;
  let first = true;
  let skipping = false;
  for await (let chunk of readChunks(source)) {
    if (first) {
      first = false;
      if (bomOf(chunk) === "utf8") chunk = chunk.subarray(3);
    }
    read += chunk.length;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      if (skipping) skipping = false;
      else {
        carry.push(chunk.subarray(start, nl));
        yield decoder.decode(Buffer.concat(carry));
      }
      carry = [];
      carryLen = 0;
      start = nl + 1;
    }
    if (!skipping && start < chunk.length) {
      carry.push(Buffer.from(chunk.subarray(start)));
      carryLen += chunk.length - start;
      if (carryLen > maxLineBytes) {
        carry = [];
        carryLen = 0;
        skipping = true;
      }
    }
    if (read >= maxBytes) return;
  }
  if (carryLen && !skipping) yield decoder.decode(Buffer.concat(carry));
}

const NULL_SINK: LineSink & { errors: number } = {
  errors: 0,
  error() {
    this.errors++;
  },
  warning() {},
  note() {},
};

/**
 * The file's format: the first format in `allowed` that the first valid line satisfies; else
 * the shape of the first JSON object line; else null.
 */
async function detectFormat(source: DatasetSource, allowed: DatasetFormat[], maxLineBytes: number): Promise<{ format: DatasetFormat | null; valid: boolean }> {
  let fallback: DatasetFormat | null = null;
  let lines = 0;
  for await (const raw of firstLines(source, DETECT_MAX_BYTES, maxLineBytes)) {
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (!text.trim()) continue;
    if (++lines > DETECT_MAX_LINES) break;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      continue;
    }
    if (!isPlainObject(obj)) continue;
    const fam = shapeOf(obj);
    for (const format of allowed) {
      if (fam && familyOf(format) !== fam) continue;
      NULL_SINK.errors = 0;
      checkExample(obj, { format, vision: null }, NULL_SINK);
      if (NULL_SINK.errors === 0) return { format, valid: true };
    }
    if (!fallback && fam) fallback = allowed.find((f) => familyOf(f) === fam) ?? null;
  }
  return { format: fallback, valid: false };
}

// ---------------------------------------------------------------------------------------------
// Workers

/** The compiled worker script, or null when none is available (e.g. sources run by ts-jest before a build). */
export function workerScriptPath(): string | null {
  const here = join(__dirname, "worker.js");
  if (existsSync(here)) return here;
  const built = resolve(__dirname, "../../dist/provider/dataset/worker.js");
  if (__filename.endsWith(".ts") && existsSync(built)) return built;
  return null;
}

/**
 * Runs batches. `run` takes ownership of `buffer` (bytes [0, length)) and hands it back through
 * `recycle` once processed, so a small set of buffers circulates instead of new ones piling up
 * until the next garbage collection.
 */
interface Executor {
  run(buffer: ArrayBuffer, length: number, firstLine: number): Promise<BatchResult>;
  /** Batches in flight beyond which reading pauses (a few per worker, so none starves). */
  capacity: number;
  close(): Promise<void>;
}

function inlineExecutor(ctx: BatchContext, recycle: (b: ArrayBuffer) => void): Executor {
  return {
    capacity: 1,
    run: async (buffer, length, firstLine) => {
      const r = processBatch(new Uint8Array(buffer, 0, length), firstLine, ctx);
      recycle(buffer);
      return r;
    },
    close: async () => {},
  };
}

/**
 * Limits for each worker's V8 heap. The tokenizer alone is ~45 MB live; without a cap V8 lets
 * garbage (notably the tokenizer's LRU merge-cache tables) grow the heap past 100 MB per worker
 * before a full GC. A small young generation and an old-generation cap keep RSS flat.
 * Batches bigger than INLINE_BATCH_BYTES (lines of several MB) are processed in this thread
 * instead, so a worker never needs more.
 */
const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 };
const INLINE_BATCH_BYTES = 4 << 20;

function poolExecutor(script: string, n: number, ctx: BatchContext, recycle: (b: ArrayBuffer) => void): Executor {
  interface Slot {
    worker: Worker;
    busy: number;
  }
  interface Pending {
    resolve: (r: BatchResult) => void;
    reject: (e: Error) => void;
    slot: Slot;
  }
  let nextId = 0;
  const waiting = new Map<number, Pending>();
  let failure: Error | null = null;
  const fail = (err: Error) => {
    failure ??= err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const slots: Slot[] = [];
  for (let i = 0; i < n; i++) {
    const worker = new Worker(script, { workerData: ctx, resourceLimits: WORKER_RESOURCE_LIMITS });
    const slot: Slot = { worker, busy: 0 };
    worker.on("message", (msg: { id?: number; result?: BatchResult; error?: string; buffer?: ArrayBuffer }) => {
      if (msg.id === undefined) return;
      if (msg.buffer) recycle(msg.buffer);
      const w = waiting.get(msg.id);
      if (!w) return;
      waiting.delete(msg.id);
      w.slot.busy--;
      if (msg.error) w.reject(new Error(`dataset worker failed: ${msg.error}`));
      else w.resolve(msg.result!);
    });
    worker.on("error", (err) => fail(err));
    worker.on("exit", (code) => {
      if (waiting.size) fail(new Error(`dataset worker exited with code ${code}`));
    });
    slots.push(slot);
  }
  return {
    capacity: n * 3,
    run(buffer, length, firstLine) {
      if (failure) return Promise.reject(failure);
      const slot = slots.reduce((a, b) => (b.busy < a.busy ? b : a));
      const id = nextId++;
      slot.busy++;
      return new Promise<BatchResult>((resolve, reject) => {
        waiting.set(id, { resolve, reject, slot });
        slot.worker.postMessage({ id, buffer, length, firstLine }, [buffer]);
      });
    },
    async close() {
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The pass

function countNewlines(b: Uint8Array): number {
  let n = 0;
  let i = -1;
  while ((i = b.indexOf(10, i + 1)) !== -1) n++;
  return n;
}

function single(line: number, code: string, message: string): BatchResult {
  const r = emptyResult();
  r.lines = 1;
  r.examples = 1;
  r.errorCount = 1;
  r.errors.push({ line, code, message });
  return r;
}

function fileIssue(line: number, code: string, message: string): BatchResult {
  const r = emptyResult();
  r.errorCount = 1;
  r.errors.push({ line, code, message });
  return r;
}

/** Batch buffers hold BATCH_BYTES of whole lines plus one read's worth of the next. */
const BUFFER_BYTES = BATCH_BYTES + READ_BYTES;

async function mainPass(
  source: DatasetSource,
  totalBytes: number,
  ctx: BatchContext,
  workers: number,
  maxLineBytes: number,
  onProgress?: (read: number, total: number) => void,
): Promise<CoreResult & { workersUsed: number }> {
  const free: ArrayBuffer[] = [];
  const recycle = (b: ArrayBuffer) => {
    if (b.byteLength === BUFFER_BYTES && free.length < 8) free.push(b);
  };
  const take = (min: number): ArrayBuffer => (min <= BUFFER_BYTES ? free.pop() ?? new ArrayBuffer(BUFFER_BYTES) : new ArrayBuffer(min));

  const script = workers > 0 ? workerScriptPath() : null;
  const exec = script ? poolExecutor(script, workers, ctx, recycle) : inlineExecutor(ctx, recycle);
  const hash = createHash("sha256");
  const total = emptyResult();
  const done = new Map<number, BatchResult>();
  let nextMerge = 0;
  let seq = 0;
  let inflight = 0;
  let wake: (() => void) | null = null;
  let failure: unknown = null;
  const settle = (id: number, r: BatchResult) => {
    done.set(id, r);
    while (done.has(nextMerge)) {
      mergeResults(total, done.get(nextMerge)!);
      done.delete(nextMerge++);
    }
  };
  const waitFor = async (cond: () => boolean) => {
    while (!cond() && !failure) await new Promise<void>((r) => (wake = r));
    wake = null;
    if (failure) throw failure;
  };

  let nextLine = 1;
  // The batch being filled: whole lines in [0, complete), then the start of a partial line up to `len`.
  let cur = new Uint8Array(take(BUFFER_BYTES));
  let len = 0;
  let complete = 0;
  let skipping = false;

  /** Sends [0, upTo) of the current buffer and moves the rest to a fresh one. */
  const flush = (upTo: number) => {
    if (upTo === 0) return;
    const rest = len - upTo;
    const next = new Uint8Array(take(Math.max(BUFFER_BYTES, rest)));
    if (rest > 0) next.set(cur.subarray(upTo, len));
    const sent = cur;
    const firstLine = nextLine;
    nextLine += countNewlines(sent.subarray(0, upTo));
    cur = next;
    len = rest;
    complete = 0;
    const id = seq++;
    if (script && upTo > INLINE_BATCH_BYTES) {
      // A line of several MB: parse and count it here rather than inside a capped worker heap.
      settle(id, processBatch(sent.subarray(0, upTo), firstLine, ctx));
      return;
    }
    inflight++;
    exec.run(sent.buffer as ArrayBuffer, upTo, firstLine).then(
      (r) => {
        inflight--;
        settle(id, r);
        wake?.();
      },
      (err) => {
        inflight--;
        failure ??= err;
        wake?.();
      },
    );
  };

  let bytesRead = 0;
  let first = true;
  let fatalEncoding = false;
  try {
    for await (let chunk of readChunks(source)) {
      hash.update(chunk);
      bytesRead += chunk.length;
      onProgress?.(bytesRead, totalBytes);
      if (failure) throw failure;
      if (first) {
        first = false;
        const bom = bomOf(chunk);
        if (bom === "utf8") {
          settle(seq++, fileIssue(1, "bom", "the file starts with a UTF-8 byte order mark (EF BB BF); remove it"));
          chunk = chunk.subarray(3);
        } else if (bom) {
          fatalEncoding = true;
          settle(seq++, fileIssue(1, "bom", `the file is ${bom.toUpperCase()} (byte order mark found): training files must be UTF-8`));
        }
      }
      if (fatalEncoding) continue;
      if (skipping) {
        const nl = chunk.indexOf(10);
        if (nl === -1) continue;
        skipping = false;
        nextLine++;
        chunk = chunk.subarray(nl + 1);
      }
      if (chunk.length === 0) continue;
      if (len + chunk.length > cur.length) {
        // Only a line longer than a batch gets here: grow this buffer for it.
        const bigger = new Uint8Array(take(Math.max(cur.length * 2, len + chunk.length)));
        bigger.set(cur.subarray(0, len));
        cur = bigger;
      }
      cur.set(chunk, len);
      const nl = chunk.lastIndexOf(10);
      len += chunk.length;
      if (nl !== -1) complete = len - (chunk.length - nl - 1);
      if (len >= BATCH_BYTES && complete > 0) {
        flush(complete);
        await waitFor(() => inflight < exec.capacity);
      }
      if (len - complete > maxLineBytes) {
        // A line longer than we accept: send what precedes it, report it, skip to its end.
        flush(complete);
        settle(seq++, single(nextLine, "line_too_long", `line is over the ${maxLineBytes}-byte limit; not checked`));
        len = 0;
        complete = 0;
        skipping = true;
        if (cur.length > BUFFER_BYTES) cur = new Uint8Array(take(BUFFER_BYTES));
      }
    }
    if (skipping) nextLine++;
    else if (len > 0) flush(len);
    await waitFor(() => inflight === 0);
  } finally {
    await exec.close();
  }
  return {
    sha256: hash.digest("hex"),
    bytes: bytesRead,
    format: ctx.format,
    fatalEncoding,
    result: total,
    workersUsed: script ? workers : 0,
  };
}

// ---------------------------------------------------------------------------------------------
// The report

const NOTE_MESSAGES: Record<string, (count: number, examples: number, line: number, model: string) => string> = {
  missing_system_message: (n, ex, l) => `${n} of ${ex} examples have no system or developer message (first: line ${l})`,
  missing_user_message: (n, ex, l) => `${n} of ${ex} examples have no user message (first: line ${l})`,
  images_estimated: (n, _ex, l) =>
    `${n} examples have images (first: line ${l}); each image is counted as 85 tokens (low detail), the real count depends on size and detail`,
  images_not_supported: (n, _ex, l, model) =>
    `${n} examples have images (first: line ${l}) but ${model} is not listed as accepting images in training data`,
};

function byLine(a: DatasetIssue, b: DatasetIssue): number {
  return a.line - b.line;
}

function finalize(core: CoreResult, plan: Plan, opts: AnalyzeOptions, file: string | undefined, cached: boolean): DatasetReport {
  const r = core.result;
  const lookup = plan.lookup;
  const fileErrors = [...plan.fileErrors];
  if (!core.fatalEncoding) {
    if (r.examples === 0) {
      fileErrors.push({ line: 0, code: "empty_file", message: core.bytes === 0 ? "the file is empty" : "the file has no examples (only blank lines)" });
    } else if (r.examples < MIN_EXAMPLES) {
      fileErrors.push({ line: 0, code: "too_few_examples", message: `${r.examples} examples; fine-tuning needs at least ${MIN_EXAMPLES}` });
    }
  }
  const errors = [...fileErrors, ...r.errors].slice(0, MAX_ISSUES);
  const errorCount = fileErrors.length + r.errorCount;

  const fileWarnings: DatasetIssue[] = lookup.warnings.map((w) => ({ line: 0, code: w.code, message: w.message }));
  if (r.examples >= MIN_EXAMPLES && r.examples < RECOMMENDED_MIN_EXAMPLES && !core.fatalEncoding) {
    fileWarnings.push({ line: 0, code: "few_examples", message: `${r.examples} examples; OpenAI recommends starting with 50 to 100` });
  }
  const modelName = lookup.facts?.id ?? lookup.requested ?? "the model";
  const noteWarnings: DatasetIssue[] = Object.entries(r.notes)
    .filter(([code]) => NOTE_MESSAGES[code])
    .map(([code, n]) => ({ line: n.firstLine, code, message: NOTE_MESSAGES[code](n.count, r.examples, n.firstLine, modelName) }));
  const lineWarnings = [...noteWarnings, ...r.warnings].sort(byLine);
  const warnings = [...fileWarnings, ...lineWarnings].slice(0, MAX_ISSUES);
  const warningCount = fileWarnings.length + noteWarnings.length + r.warningCount;

  const epochs = resolveEpochs(opts.nEpochs, r.examples);
  const billedTokens = r.cappedTokens * epochs;
  const counted = opts.countTokens !== false;
  const priced = counted && (core.format !== "reinforcement" || lookup.priceSource === "override");
  const estimatedCostUsd = priced ? estimateCostUsd(billedTokens, lookup.pricePerMillionTokens) : null;
  return {
    ...(file !== undefined ? { file } : {}),
    sha256: core.sha256,
    bytes: core.bytes,
    format: core.format,
    examples: r.examples,
    tokensCounted: counted,
    tokens: r.tokens,
    billedTokens,
    epochs,
    estimatedCostUsd,
    errors,
    errorCount,
    warnings,
    warningCount,
    valid: errorCount === 0,
    model: lookup.requested ?? null,
    resolvedModel: lookup.facts?.id ?? null,
    method: opts.method ?? null,
    ...(counted ? { encoding: lookup.encoding, tokenLimit: lookup.tokenLimit } : {}),
    pricePerMillionTokens: priced ? lookup.pricePerMillionTokens : null,
    truncatedExamples: r.truncated,
    cached,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Validates a JSONL training dataset, counts its tokens and estimates its training cost, in one
 * streaming pass (constant memory whatever the size; worker threads for large inputs). Never
 * throws for bad data (that is what the report is for); throws for bad options or an unreadable
 * file.
 */
export async function analyzeDataset(input: DatasetSource, opts: AnalyzeOptions = {}): Promise<DatasetReport> {
  checkOptions(opts);
  const plan = makePlan(opts);
  // In-memory content is converted to bytes once (a string would otherwise be encoded per pass).
  const source: DatasetSource = "path" in input ? input : { content: toBuffer(input.content) };
  const isPath = "path" in source;
  const file = isPath ? source.path : undefined;
  const totalBytes = isPath ? statSync(source.path).size : toBuffer(source.content).length;
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;

  const facts = plan.lookup.facts;
  const counting = opts.countTokens !== false;
  const ctxBase = {
    formatFixedBy: plan.fixedBy,
    allowedFormats: plan.allowed,
    encoding: counting ? plan.lookup.encoding : null,
    tokenLimit: counting ? plan.lookup.tokenLimit : null,
    vision: facts ? facts.vision : null,
    maxLineBytes,
  };
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const keyOf = (sha256: string) => cacheKey({ sha256, ...ctxBase });

  if (!opts.noCache) {
    const { sha256 } = opts.sha256 ? { sha256: opts.sha256 } : isPath ? await sha256File(source.path) : sha256Content(source.content);
    const hit = readCache<CoreResult>(cacheDir, keyOf(sha256));
    if (hit && hit.sha256 === sha256 && hit.result) {
      opts.onProgress?.(totalBytes, totalBytes);
      return finalize(hit, plan, opts, file, true);
    }
  }

  let format: DatasetFormat = plan.allowed[0];
  let reportFormat: DatasetFormat | null = format;
  if (plan.allowed.length > 1) {
    const detected = await detectFormat(source, plan.allowed, maxLineBytes);
    format = detected.format ?? plan.allowed[0];
    reportFormat = detected.format;
  }
  const ctx: BatchContext = { ...ctxBase, format };
  const workers = opts.workers ?? (totalBytes >= WORKER_THRESHOLD_BYTES ? Math.max(1, Math.min(availableParallelism(), 8)) : 0);
  let pass: Awaited<ReturnType<typeof mainPass>>;
  try {
    pass = await mainPass(source, totalBytes, ctx, workers, maxLineBytes, opts.onProgress);
  } catch (err) {
    // Safety net: a worker that could not start, or hit its heap cap, does not fail the check;
    // redo it in-process (a genuine processing error would just repeat and be thrown from there).
    if (workers === 0) throw err;
    pass = await mainPass(source, totalBytes, ctx, 0, maxLineBytes, opts.onProgress);
  }
  const core: CoreResult = {
    sha256: pass.sha256,
    bytes: pass.bytes,
    format: pass.fatalEncoding ? null : reportFormat,
    fatalEncoding: pass.fatalEncoding,
    result: pass.result,
  };
  if (!opts.noCache) writeCache(cacheDir, keyOf(core.sha256), core);
  return finalize(core, plan, opts, file, false);
}

export { analyzerVersion, FORMAT_LABEL };
