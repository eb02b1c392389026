/**
 * Worker thread: receives batches of whole lines (transferred bytes) and answers with their
 * summaries. The tokenizer is loaded once, when the worker starts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { processBatch, type BatchContext } from "./batch";
import { getEncoder } from "./tokens";

interface BatchMessage {
  id: number;
  bytes: Uint8Array;
  firstLine: number;
}

const ctx = workerData as BatchContext;
if (ctx.encoding) {
  const enc = getEncoder(ctx.encoding);
  // Bound the merge cache: it is per worker and would otherwise grow to 100k entries.
  enc.setMergeCacheSize?.(20000);
}

parentPort!.on("message", (msg: BatchMessage) => {
  try {
    const result = processBatch(msg.bytes, msg.firstLine, ctx);
    parentPort!.postMessage({ id: msg.id, result });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
parentPort!.postMessage({ ready: true });
