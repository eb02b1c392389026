/**
 * analyzeDataset: the report of a JSONL dataset for a model, method, epochs and price. The data is
 * read by one cached pass (scan.ts: reading.ts, pass.ts, workers.ts); the model's part is arithmetic
 * on it (summary.ts), so checking the same bytes for another model reads nothing.
 */
import { lookupModel } from "../models";
import { analyzerVersion } from "./cache";
import { FORMAT_LABEL } from "./lines";
import { type DatasetSource } from "./reading";
import { scanDataset } from "./scan";
import { METHOD_FORMATS, reportFor } from "./summary";
import type { AnalyzeOptions, DatasetReport, FineTuneMethod } from "./types";

const METHODS = Object.keys(METHOD_FORMATS) as FineTuneMethod[];

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

/**
 * Validates a JSONL training dataset, counts its tokens and estimates its training cost, in one
 * streaming pass (constant memory whatever the size; worker threads for large inputs). Never
 * throws for bad data (that is what the report is for); throws for bad options or an unreadable
 * file.
 */
export async function analyzeDataset(source: DatasetSource, opts: AnalyzeOptions = {}): Promise<DatasetReport> {
  checkOptions(opts);
  // Looked up before reading, so a bad price fails before a long pass.
  lookupModel(opts.model, { pricePerMillionTokens: opts.pricePerMillionTokens, priceOverrides: opts.priceOverrides });
  const scan = await scanDataset(source, opts);
  return reportFor(scan, opts, "path" in source ? source.path : undefined);
}

export { analyzerVersion, FORMAT_LABEL, type DatasetSource };
/** Kept here too for modules that read datasets line by line (the evaluation). */
export { readChunks } from "./reading";
