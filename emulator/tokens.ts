/**
 * Token counts for chat usage, computed in a worker thread: the tokenizer tables (~35 MB of heap,
 * a second to load) stay out of the server's heap and event loop.
 */
import { join } from "node:path";
import { Worker } from "node:worker_threads";

export type Encoding = "o200k_base" | "cl100k_base";

export interface CountRequest {
  encoding: Encoding;
  texts: string[];
  /** Cut `texts[last]` to this many tokens (and return the cut text). */
  maxLastTokens?: number;
}

export interface CountResult {
  counts: number[];
  /** The last text, cut to `maxLastTokens`, when it was longer. */
  truncated?: string;
}

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (r: CountResult) => void; reject: (e: Error) => void }>();

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(join(__dirname, "tokens-worker.js"));
  w.unref();
  w.on("message", (msg: { id: number; result?: CountResult; error?: string }) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(msg.error));
    else p.resolve(msg.result!);
    if (pending.size === 0) w.unref();
  });
  const fail = (err: Error) => {
    worker = null;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  w.on("error", fail);
  w.on("exit", (code) => fail(new Error(`token worker exited (${code})`)));
  worker = w;
  return w;
}

export function countTokens(req: CountRequest): Promise<CountResult> {
  const w = getWorker();
  const id = ++nextId;
  w.ref();
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, ...req });
  });
}

export function encodingFor(model: string): Encoding {
  return /(^|:)(gpt-3\.5|babbage|davinci)/.test(model) ? "cl100k_base" : "o200k_base";
}
