/**
 * Worker thread: receives batches of whole lines (a transferred buffer and its used length),
 * answers with their summaries and hands the buffer back for reuse. The tokenizers are loaded
 * once, when the worker starts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { processBatch, type BatchContext } from "./batch";
import { getEncoder } from "./tokens";

interface BatchMessage {
  id: number;
  buffer: ArrayBuffer;
  length: number;
  firstLine: number;
}

const ctx = workerData as BatchContext;
// Bound the merge caches: they are per worker and would otherwise grow to 100k entries each.
for (const encoding of ctx.encodings) getEncoder(encoding).setMergeCacheSize?.(20000);

parentPort!.on("message", (msg: BatchMessage) => {
  try {
    const result = processBatch(new Uint8Array(msg.buffer, 0, msg.length), msg.firstLine, ctx);
    parentPort!.postMessage({ id: msg.id, result, buffer: msg.buffer }, [msg.buffer]);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
