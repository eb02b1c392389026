/**
 * Training metrics for the UI: the result file (CSV, sometimes base64), metrics events of a running
 * job, smoothing, the best checkpoint and the overfitting hint. No imports and only globals both
 * Node and browsers have (atob, TextDecoder): the server uses this module, and serves the same
 * compiled code to the page, so what the tests check is what the page draws.
 */

export const METRIC_COLUMNS = [
  "train_loss",
  "train_mean_token_accuracy",
  "valid_loss",
  "valid_mean_token_accuracy",
  "full_valid_loss",
  "full_valid_mean_token_accuracy",
] as const;
export type MetricColumn = (typeof METRIC_COLUMNS)[number];

/** One step: null where the file has no value (empty cell, NaN, column absent). */
export type MetricRow = { step: number } & Record<MetricColumn, number | null>;

/**
 * Header names seen in result files, normalised (lower case, `_` for spaces and dashes), by the
 * column they mean. OpenAI writes `train_accuracy`/`valid_mean_token_accuracy`; Azure writes
 * `train_mean_token_accuracy`, `validation_loss`-style names in some API versions.
 */
const ALIASES: Record<string, MetricColumn | "step"> = {
  step: "step",
  steps: "step",
  train_loss: "train_loss",
  training_loss: "train_loss",
  train_accuracy: "train_mean_token_accuracy",
  train_mean_token_accuracy: "train_mean_token_accuracy",
  training_accuracy: "train_mean_token_accuracy",
  train_token_accuracy: "train_mean_token_accuracy",
  valid_loss: "valid_loss",
  validation_loss: "valid_loss",
  valid_accuracy: "valid_mean_token_accuracy",
  valid_mean_token_accuracy: "valid_mean_token_accuracy",
  validation_accuracy: "valid_mean_token_accuracy",
  validation_mean_token_accuracy: "valid_mean_token_accuracy",
  valid_token_accuracy: "valid_mean_token_accuracy",
  full_valid_loss: "full_valid_loss",
  full_validation_loss: "full_valid_loss",
  full_valid_accuracy: "full_valid_mean_token_accuracy",
  full_valid_mean_token_accuracy: "full_valid_mean_token_accuracy",
  full_validation_mean_token_accuracy: "full_valid_mean_token_accuracy",
  full_validation_accuracy: "full_valid_mean_token_accuracy",
};

export interface ParsedMetrics {
  rows: MetricRow[];
  /** Metric columns the file had. */
  columns: MetricColumn[];
  /** Header names not understood (shown, so an unknown alias is visible rather than silently dropped). */
  ignored: string[];
}

const BASE64 = /^[A-Za-z0-9+/=\r\n]+$/;

/** The result file as text: OpenAI sometimes serves it base64-encoded. */
export function decodeResultFile(text: string): string {
  const trimmed = text.trim();
  if (trimmed.includes(",") || !BASE64.test(trimmed)) return text;
  try {
    const bin = atob(trimmed.replace(/\s+/g, ""));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return decoded.includes(",") || decoded.includes("step") ? decoded : text;
  } catch {
    return text;
  }
}

function normaliseHeader(name: string): string {
  return name.trim().replace(/^\uFEFF/, "").replace(/^"|"$/g, "").toLowerCase().replace(/[\s-]+/g, "_");
}

function cell(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const t = raw.trim().replace(/^"|"$/g, "");
  if (t === "" || /^nan$/i.test(t) || /^null$/i.test(t) || /^none$/i.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function emptyRow(step: number): MetricRow {
  const row = { step } as MetricRow;
  for (const c of METRIC_COLUMNS) row[c] = null;
  return row;
}

/** Parses a result file (plain or base64 CSV); columns are matched by header name, in any order. */
export function parseResultCsv(text: string): ParsedMetrics {
  const lines = decodeResultFile(text).split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) return { rows: [], columns: [], ignored: [] };
  const headers = lines[0]!.split(",").map(normaliseHeader);
  const map = headers.map((h) => ALIASES[h]);
  const stepAt = map.indexOf("step");
  if (stepAt < 0) throw new Error(`result file has no step column (header: ${lines[0]})`);
  const columns = [...new Set(map.filter((m): m is MetricColumn => m !== undefined && m !== "step"))];
  const ignored = headers.filter((h, i) => map[i] === undefined && h !== "");
  const rows: MetricRow[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    const step = cell(cells[stepAt]);
    if (step === null) continue;
    const row = emptyRow(step);
    map.forEach((m, i) => {
      if (m && m !== "step" && row[m] === null) row[m] = cell(cells[i]);
    });
    rows.push(row);
  }
  return { rows, columns, ignored };
}

interface EventLike {
  type?: string;
  data?: unknown;
}

/** Metric rows from a job's `metrics` events (any order; one row per step). */
export function metricsFromEvents(events: EventLike[]): MetricRow[] {
  const bySteps = new Map<number, MetricRow>();
  for (const e of events) {
    if (e.type !== "metrics" || !e.data || typeof e.data !== "object") continue;
    const d = e.data as Record<string, unknown>;
    const step = typeof d.step === "number" ? d.step : null;
    if (step === null) continue;
    const row = emptyRow(step);
    for (const [key, value] of Object.entries(d)) {
      const col = ALIASES[normaliseHeader(key)];
      if (col && col !== "step" && typeof value === "number" && Number.isFinite(value)) row[col] = value;
    }
    bySteps.set(step, row);
  }
  return [...bySteps.values()].sort((a, b) => a.step - b.step);
}

/**
 * Exponential moving average with TensorBoard's debiasing (so the first points are not pulled to
 * zero); `weight` 0 returns the values, gaps (null) stay gaps and do not reset the average.
 */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    n++;
    last = last * w + (1 - w) * v;
    return w === 0 ? v : last / (1 - Math.pow(w, n));
  });
}

export interface CheckpointLike {
  id?: string;
  step_number: number;
  fine_tuned_model_checkpoint?: string;
  metrics: { full_valid_loss?: number | null; valid_loss?: number | null };
}

/** The checkpoint with the lowest full validation loss (falling back to validation loss), or null. */
export function bestCheckpoint<C extends CheckpointLike>(checkpoints: C[]): C | null {
  let best: C | null = null;
  let bestLoss = Infinity;
  for (const c of checkpoints) {
    const loss = c.metrics.full_valid_loss ?? c.metrics.valid_loss;
    if (typeof loss === "number" && Number.isFinite(loss) && loss < bestLoss) {
      best = c;
      bestLoss = loss;
    }
  }
  return best;
}

export interface OverfittingHint {
  /** Step of the lowest (smoothed) validation loss. */
  fromStep: number;
  validRise: number;
  trainDrop: number;
  message: string;
}

/**
 * Validation loss rising while training loss falls, on smoothed curves (so noise is not a hint):
 * from the step of the lowest validation loss to the end, validation rose by more than 3% and
 * training fell.
 */
export function overfittingHint(rows: MetricRow[], weight = 0.9): OverfittingHint | null {
  const withValid = rows.filter((r) => (r.full_valid_loss ?? r.valid_loss) !== null && r.train_loss !== null);
  if (withValid.length < 8) return null;
  const valid = smooth(withValid.map((r) => r.full_valid_loss ?? r.valid_loss), weight) as number[];
  const train = smooth(withValid.map((r) => r.train_loss), weight) as number[];
  let min = 0;
  for (let i = 1; i < valid.length; i++) if (valid[i]! < valid[min]!) min = i;
  const last = valid.length - 1;
  if (min >= last) return null;
  const validRise = (valid[last]! - valid[min]!) / valid[min]!;
  const trainDrop = (train[min]! - train[last]!) / train[min]!;
  if (validRise <= 0.03 || trainDrop <= 0) return null;
  const fromStep = withValid[min]!.step;
  return {
    fromStep,
    validRise,
    trainDrop,
    message:
      `Possible overfitting: validation loss rose ${(validRise * 100).toFixed(1)}% after step ${fromStep} ` +
      `while training loss fell ${(trainDrop * 100).toFixed(1)}%; an earlier checkpoint or fewer epochs may generalise better.`,
  };
}

/** A job's metrics as CSV (header by the API's column names; empty cell for no value). */
export function toCsv(rows: MetricRow[]): string {
  const header = ["step", ...METRIC_COLUMNS];
  const lines = rows.map((r) => [r.step, ...METRIC_COLUMNS.map((c) => (r[c] === null ? "" : String(r[c])))].join(","));
  return [header.join(","), ...lines].join("\n") + "\n";
}

/** Column-wise metrics: what the server sends (a third of the bytes of one object per row). */
export type MetricColumns = { step: number[] } & Record<MetricColumn, (number | null)[]>;

export function toColumns(rows: MetricRow[]): MetricColumns {
  const cols = { step: rows.map((r) => r.step) } as MetricColumns;
  for (const c of METRIC_COLUMNS) cols[c] = rows.map((r) => r[c]);
  return cols;
}

export function fromColumns(cols: MetricColumns): MetricRow[] {
  return cols.step.map((step, i) => {
    const row = { step } as MetricRow;
    for (const c of METRIC_COLUMNS) row[c] = cols[c]?.[i] ?? null;
    return row;
  });
}
