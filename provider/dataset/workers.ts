/**
 * Executors of batches: this thread for small inputs, or a pool of worker threads (one per core)
 * whose heaps are capped. Batch buffers are transferred to a worker and back, so a small set of
 * buffers circulates instead of new ones piling up until the next garbage collection.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { processBatch, type BatchContext, type BatchResult } from "./batch";

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
export interface Executor {
  run(buffer: ArrayBuffer, length: number, firstLine: number): Promise<BatchResult>;
  /** Batches in flight beyond which reading pauses (a few per worker, so none starves). */
  capacity: number;
  close(): Promise<void>;
}

export function inlineExecutor(ctx: BatchContext, recycle: (b: ArrayBuffer) => void): Executor {
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
 * Limits for each worker's V8 heap. Each tokenizer (one per encoding counted) is ~45 MB live; without a cap V8 lets
 * garbage (notably the tokenizer's LRU merge-cache tables) grow the heap past 100 MB per worker
 * before a full GC. A small young generation and an old-generation cap keep RSS flat.
 * Batches bigger than INLINE_BATCH_BYTES (lines of several MB) are processed in this thread
 * instead, so a worker never needs more.
 */
const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 192 };
export const INLINE_BATCH_BYTES = 4 << 20;

export function poolExecutor(script: string, n: number, ctx: BatchContext, recycle: (b: ArrayBuffer) => void): Executor {
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
