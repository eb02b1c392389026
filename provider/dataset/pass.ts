/**
 * The one pass over a dataset's bytes: it hashes them, detects the format from the first lines, cuts
 * batches of whole lines and has the executor (worker threads or this thread) validate and count
 * them. Memory stays bounded: at most a few batches are in flight (reading waits for free slots),
 * and each comes back as a small summary.
 */
import { emptyResult, mergeResults, processBatch, type BatchContext, type BatchResult } from "./batch";
import { DETECT_MAX_BYTES, FormatDetector } from "./detect";
import { contentHasher } from "./hash";
import { bomVerdict, READ_BYTES, readChunks, type DatasetSource } from "./reading";
import { inlineExecutor, INLINE_BATCH_BYTES, poolExecutor, workerScriptPath, type Executor } from "./workers";
import type { DatasetFormat } from "./types";

/** Bytes per batch sent to a worker. */
const BATCH_BYTES = 512 << 10;
/** Batch buffers hold BATCH_BYTES of whole lines plus one read's worth of the next. */
const BUFFER_BYTES = BATCH_BYTES + READ_BYTES;

/** What the pass found in the content; with the token statistics, this is what the cache holds. */
export interface PassResult {
  sha256: string;
  bytes: number;
  /** Detected from the first valid line (null: no line had a known shape). */
  format: DatasetFormat | null;
  /** Set when the file is not UTF-8 at all (UTF-16/32 BOM): nothing else was checked. */
  fatalEncoding: boolean;
  result: BatchResult;
  workersUsed: number;
}

/** The context without the format, which the pass detects. */
export type PassContext = Omit<BatchContext, "format">;

export interface PassOptions {
  workers: number;
  maxLineBytes: number;
  totalBytes: number;
  onProgress?: (read: number, total: number) => void;
}

function countNewlines(b: Uint8Array): number {
  let n = 0;
  let i = -1;
  while ((i = b.indexOf(10, i + 1)) !== -1) n++;
  return n;
}

function issue(line: number, code: string, message: string, example: boolean): BatchResult {
  const r = emptyResult();
  if (example) {
    r.lines = 1;
    r.examples = 1;
  }
  r.errorCount = 1;
  r.errors.push({ line, code, message });
  return r;
}

/** Batches in file order, merged as they come back; the first ones wait until the format is known. */
class Dispatcher {
  readonly total = emptyResult();
  private done = new Map<number, BatchResult>();
  private nextMerge = 0;
  private seq = 0;
  inflight = 0;
  failure: unknown = null;
  private wake: (() => void) | null = null;
  private held: { id: number; buffer: Uint8Array; length: number; firstLine: number }[] = [];
  private detector = new FormatDetector();
  private heldBytes = 0;
  exec: Executor | null = null;
  ctx: BatchContext | null = null;

  constructor(
    private readonly base: PassContext,
    private readonly script: string | null,
    private readonly workers: number,
    private readonly recycle: (b: ArrayBuffer) => void,
  ) {}

  get capacity(): number {
    return this.exec?.capacity ?? Infinity;
  }

  /** A finding of the reader's own (BOM, over-long line), in its place in file order. */
  settleNow(r: BatchResult): void {
    this.settle(this.seq++, r);
  }

  send(buffer: Uint8Array, length: number, firstLine: number): void {
    const id = this.seq++;
    if (!this.ctx) {
      this.held.push({ id, buffer, length, firstLine });
      this.heldBytes += length;
      if (this.detector.feed(buffer.subarray(0, length)) || this.heldBytes >= DETECT_MAX_BYTES) this.decide();
      return;
    }
    this.dispatch(id, buffer, length, firstLine);
  }

  /** The format is known (or the input ended): start the executor and send what was held. */
  decide(): DatasetFormat | null {
    if (this.ctx) return this.ctx.format;
    const detected = this.detector.end().format;
    this.ctx = { ...this.base, format: detected ?? "chat" };
    this.exec = this.script ? poolExecutor(this.script, this.workers, this.ctx, this.recycle) : inlineExecutor(this.ctx, this.recycle);
    for (const h of this.held.splice(0)) this.dispatch(h.id, h.buffer, h.length, h.firstLine);
    return detected;
  }

  private dispatch(id: number, buffer: Uint8Array, length: number, firstLine: number): void {
    if (this.script && length > INLINE_BATCH_BYTES) {
      // A line of several MB: parse and count it here rather than inside a capped worker heap.
      this.settle(id, processBatch(buffer.subarray(0, length), firstLine, this.ctx!));
      return;
    }
    this.inflight++;
    this.exec!.run(buffer.buffer as ArrayBuffer, length, firstLine).then(
      (r) => {
        this.inflight--;
        this.settle(id, r);
        this.wake?.();
      },
      (err) => {
        this.inflight--;
        this.failure ??= err;
        this.wake?.();
      },
    );
  }

  private settle(id: number, r: BatchResult): void {
    this.done.set(id, r);
    while (this.done.has(this.nextMerge)) {
      mergeResults(this.total, this.done.get(this.nextMerge)!);
      this.done.delete(this.nextMerge++);
    }
  }

  async waitFor(cond: () => boolean): Promise<void> {
    while (!cond() && !this.failure) await new Promise<void>((r) => (this.wake = r));
    this.wake = null;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    await this.exec?.close();
  }
}

export async function runPass(source: DatasetSource, base: PassContext, opts: PassOptions): Promise<PassResult> {
  const free: ArrayBuffer[] = [];
  const recycle = (b: ArrayBuffer) => {
    if (b.byteLength === BUFFER_BYTES && free.length < 8) free.push(b);
  };
  const take = (min: number): ArrayBuffer => (min <= BUFFER_BYTES ? (free.pop() ?? new ArrayBuffer(BUFFER_BYTES)) : new ArrayBuffer(min));
  const script = opts.workers > 0 ? workerScriptPath() : null;
  const d = new Dispatcher(base, script, opts.workers, recycle);
  const hash = contentHasher();
  const maxLineBytes = opts.maxLineBytes;

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
    d.send(sent, upTo, firstLine);
  };

  let bytesRead = 0;
  let first = true;
  let fatalEncoding = false;
  let format: DatasetFormat | null = null;
  try {
    for await (let chunk of readChunks(source)) {
      hash.update(chunk);
      bytesRead += chunk.length;
      opts.onProgress?.(bytesRead, opts.totalBytes);
      if (d.failure) throw d.failure;
      if (first) {
        first = false;
        const bom = bomVerdict(chunk);
        if (bom.message) d.settleNow(issue(1, "bom", bom.message, false));
        fatalEncoding = bom.fatal;
        chunk = chunk.subarray(bom.skip);
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
        await d.waitFor(() => d.inflight < d.capacity);
      }
      if (len - complete > maxLineBytes) {
        // A line longer than we accept: send what precedes it, report it, skip to its end.
        flush(complete);
        d.settleNow(issue(nextLine, "line_too_long", `line is over the ${maxLineBytes}-byte limit; not checked`, true));
        len = 0;
        complete = 0;
        skipping = true;
        if (cur.length > BUFFER_BYTES) cur = new Uint8Array(take(BUFFER_BYTES));
      }
    }
    if (skipping) nextLine++;
    else if (len > 0) flush(len);
    format = d.decide();
    await d.waitFor(() => d.inflight === 0);
  } finally {
    await d.close();
  }
  const { sha256, bytes } = hash.digest();
  return { sha256, bytes, format: fatalEncoding ? null : format, fatalEncoding, result: d.total, workersUsed: script ? opts.workers : 0 };
}
