/**
 * A dataset's one pass, cached by its content hash: validation that depends on the content alone,
 * and token statistics for every encoding the model facts use. Everything that depends on a model
 * (format rules, per-example limit, epochs, price) is arithmetic on this scan (summary.ts), so a
 * preview reads a dataset at most once whatever resources and models use it.
 */
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { listModels } from "../models";
import type { BatchResult } from "./batch";
import { cacheKey, defaultCacheDir, readCache, writeCache } from "./cache";
import { ALL_FORMATS } from "./detect";
import { sha256Content, sha256File } from "./hash";
import { runPass } from "./pass";
import { toBuffer, type DatasetSource } from "./reading";
import type { DatasetFormat, TokenEncoding } from "./types";

/** Inputs at least this large are processed by worker threads by default. */
export const WORKER_THRESHOLD_BYTES = 8 << 20;
const DEFAULT_MAX_LINE_BYTES = 128 << 20;

/** Every encoding a model in the facts file uses (the tokenizers a scan counts with). */
export const SCAN_ENCODINGS: TokenEncoding[] = ["o200k_base", "cl100k_base"];

export interface ScanOptions {
  /** The content's sha256 when the caller already has it: a cache hit then reads nothing. */
  sha256?: string;
  /** false: validate only, no tokenizer (several times faster); such a scan is not cached. */
  countTokens?: boolean;
  noCache?: boolean;
  cacheDir?: string;
  workers?: number;
  maxLineBytes?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** What one pass over the content found: the cache's entry. */
export interface DatasetScan {
  sha256: string;
  bytes: number;
  format: DatasetFormat | null;
  fatalEncoding: boolean;
  /** Encodings counted (empty for a format-only scan). */
  encodings: TokenEncoding[];
  result: BatchResult;
  /** true when read from the cache (nothing was read). */
  cached: boolean;
}

/** Per encoding, the smallest per-example limit of a model using it: longer examples are remembered by line. */
function longThresholds(): Partial<Record<TokenEncoding, number>> {
  const out: Partial<Record<TokenEncoding, number>> = {};
  for (const m of listModels()) {
    if (m.tokenLimit !== null) out[m.encoding] = Math.min(out[m.encoding] ?? Infinity, m.tokenLimit);
  }
  return out;
}

export function sourceBytes(source: DatasetSource): number {
  return "path" in source ? statSync(source.path).size : toBuffer(source.content).length;
}

export async function scanDataset(input: DatasetSource, opts: ScanOptions = {}): Promise<DatasetScan> {
  // In-memory content is converted to bytes once (a string would otherwise be encoded per read).
  const source: DatasetSource = "path" in input ? input : { content: toBuffer(input.content) };
  const encodings = opts.countTokens === false ? [] : SCAN_ENCODINGS;
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const base = { formatFixedBy: null, allowedFormats: ALL_FORMATS, encodings, longOver: longThresholds(), maxLineBytes };
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const useCache = !opts.noCache && encodings.length > 0;
  const keyOf = (sha256: string) => cacheKey({ sha256, encodings, longOver: base.longOver, maxLineBytes });
  if (useCache) {
    // With the caller's hash, a hit touches nothing of the source (it may even be gone).
    const sha256 = opts.sha256 ?? (await hashOnly(source));
    const hit = readCache<DatasetScan>(cacheDir, keyOf(sha256));
    // A hit reads nothing, so it reports no progress: a second resource's check does not claim to check the data again.
    if (hit && hit.sha256 === sha256 && hit.result) return { ...hit, cached: true };
  }
  const totalBytes = sourceBytes(source);
  const workers = opts.workers ?? (totalBytes >= WORKER_THRESHOLD_BYTES ? Math.max(1, Math.min(availableParallelism(), 8)) : 0);
  const passOpts = { workers, maxLineBytes, totalBytes, onProgress: opts.onProgress };
  let pass;
  try {
    pass = await runPass(source, base, passOpts);
  } catch (err) {
    // Safety net: a worker that could not start, or hit its heap cap, does not fail the check;
    // redo it in-process (a genuine processing error would just repeat and be thrown from there).
    if (workers === 0) throw err;
    pass = await runPass(source, base, { ...passOpts, workers: 0 });
  }
  const scan: DatasetScan = {
    sha256: pass.sha256,
    bytes: pass.bytes,
    format: pass.format,
    fatalEncoding: pass.fatalEncoding,
    encodings,
    result: pass.result,
    cached: false,
  };
  if (useCache) writeCache(cacheDir, keyOf(scan.sha256), scan);
  return scan;
}

/** Without a hash from the caller, a lookup needs one (the CLI, the emulator's own checks). */
async function hashOnly(source: DatasetSource): Promise<string> {
  return "path" in source ? (await sha256File(source.path)).sha256 : sha256Content(source.content).sha256;
}
