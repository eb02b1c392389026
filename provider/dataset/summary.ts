/**
 * The report: arithmetic on a scan. The data's own findings (dataFindings) are what a TrainingFile
 * shows; what a model adds (modelFindings: its method's formats, its per-example limit, images, an
 * unknown model or price) and the token figures (epochs, billed tokens, cost) need no new read.
 */
import { lookupModel, type ModelLookup } from "../models";
import type { TokenStats } from "./batch";
import { MAX_ISSUES, MIN_EXAMPLES, RECOMMENDED_MIN_EXAMPLES } from "./codes";
import { ALL_FORMATS } from "./detect";
import { estimateCostUsd, resolveEpochs } from "./epochs";
import { FORMAT_LABEL } from "./lines";
import type { DatasetScan } from "./scan";
import type { AnalyzeOptions, DatasetFormat, DatasetIssue, DatasetReport, FineTuneMethod } from "./types";

export const METHOD_FORMATS: Record<FineTuneMethod, DatasetFormat[]> = {
  supervised: ["chat", "prompt_completion"],
  dpo: ["dpo"],
  reinforcement: ["reinforcement"],
};

/** Findings: the first MAX_ISSUES of each kind, with the totals. File-level ones (line 0) come first. */
export interface Findings {
  errors: DatasetIssue[];
  errorCount: number;
  warnings: DatasetIssue[];
  warningCount: number;
}

const NOTE_MESSAGES: Record<string, (count: number, examples: number, line: number) => string> = {
  missing_system_message: (n, ex, l) => `${n} of ${ex} examples have no system or developer message (first: line ${l})`,
  missing_user_message: (n, ex, l) => `${n} of ${ex} examples have no user message (first: line ${l})`,
  images_estimated: (n, _ex, l) =>
    `${n} examples have images (first: line ${l}); each image is counted as 85 tokens (low detail), the real count depends on size and detail`,
};

const byLine = (a: DatasetIssue, b: DatasetIssue) => a.line - b.line;

/** What is wrong with the data whatever model trains on it. */
export function dataFindings(scan: DatasetScan): Findings {
  const r = scan.result;
  const fileErrors: DatasetIssue[] = [];
  const fileWarnings: DatasetIssue[] = [];
  if (!scan.fatalEncoding) {
    if (r.examples === 0) {
      fileErrors.push({ line: 0, code: "empty_file", message: scan.bytes === 0 ? "the file is empty" : "the file has no examples (only blank lines)" });
    } else if (r.examples < MIN_EXAMPLES) {
      fileErrors.push({ line: 0, code: "too_few_examples", message: `${r.examples} examples; fine-tuning needs at least ${MIN_EXAMPLES}` });
    } else if (r.examples < RECOMMENDED_MIN_EXAMPLES) {
      fileWarnings.push({ line: 0, code: "few_examples", message: `${r.examples} examples; OpenAI recommends starting with 50 to 100` });
    }
  }
  const notes: DatasetIssue[] = Object.entries(r.notes)
    .filter(([code]) => NOTE_MESSAGES[code])
    .map(([code, n]) => ({ line: n.firstLine, code, message: NOTE_MESSAGES[code](n.count, r.examples, n.firstLine) }));
  return {
    errors: [...fileErrors, ...r.errors].slice(0, MAX_ISSUES),
    errorCount: fileErrors.length + r.errorCount,
    warnings: [...fileWarnings, ...[...notes, ...r.warnings].sort(byLine)].slice(0, MAX_ISSUES),
    warningCount: fileWarnings.length + notes.length + r.warningCount,
  };
}

/** The formats a method on a model trains on, and what fixed them (for messages). */
function allowedFormats(method: FineTuneMethod | undefined, lookup: ModelLookup): { allowed: DatasetFormat[]; fixedBy: string | null } {
  let allowed = method ? METHOD_FORMATS[method] : ALL_FORMATS;
  let fixedBy = method ? `method ${method}` : null;
  const facts = lookup.facts;
  const inter = facts ? allowed.filter((f) => facts.formats.includes(f)) : allowed;
  if (facts && inter.length && inter.length < allowed.length) {
    allowed = inter;
    fixedBy = fixedBy ? `${fixedBy} on ${facts.id}` : `model ${facts.id}`;
  }
  return { allowed, fixedBy };
}

/** The examples' tokens against a per-example limit: sum(min(limit, t)) and how many are over it. */
export function capTokens(stats: TokenStats, limit: number | null): { capped: number; truncated: number } {
  if (limit === null) return { capped: stats.total, truncated: 0 };
  let capped = 0;
  let truncated = 0;
  for (const [key, n] of Object.entries(stats.counts)) {
    const t = Number(key);
    if (t > limit) truncated += n;
    capped += Math.min(t, limit) * n;
  }
  return { capped, truncated };
}

function statsFor(scan: DatasetScan, lookup: ModelLookup): TokenStats | null {
  if (!scan.encodings.includes(lookup.encoding)) return null;
  return scan.result.tokens[lookup.encoding] ?? { total: 0, counts: {}, long: [] };
}

/** What a model and method add to the data's findings: nothing here reads the data. */
export function modelFindings(scan: DatasetScan, lookup: ModelLookup, method: FineTuneMethod | undefined): Findings {
  const errors: DatasetIssue[] = [];
  const warnings: DatasetIssue[] = lookup.warnings.map((w) => ({ line: 0, code: w.code, message: w.message }));
  const facts = lookup.facts;
  const model = facts?.id ?? lookup.requested ?? "the model";
  if (facts && method && !facts.methods.includes(method)) {
    errors.push({
      line: 0,
      code: "method_not_supported",
      message: `${facts.id} does not support ${method} fine-tuning (supports: ${facts.methods.join(", ")}; per model facts read ${facts.readOn})`,
    });
  } else if (scan.format) {
    const { allowed, fixedBy } = allowedFormats(method, lookup);
    if (!allowed.includes(scan.format)) {
      const needs = allowed.map((f) => FORMAT_LABEL[f]).join(" or ");
      const line = scan.result.firstValidLine || 1;
      errors.push({ line, code: "format_mismatch", message: `the dataset holds ${FORMAT_LABEL[scan.format]} examples (from line ${line}), but ${fixedBy} needs ${needs} examples` });
    }
  }
  let warningCount = warnings.length;
  const images = scan.result.notes.images_estimated;
  if (images && facts?.vision === false) {
    warnings.push({ line: images.firstLine, code: "images_not_supported", message: `${images.count} examples have images (first: line ${images.firstLine}) but ${model} is not listed as accepting images in training data` });
    warningCount++;
  }
  const stats = statsFor(scan, lookup);
  const limit = lookup.tokenLimit;
  if (stats && limit !== null) {
    warningCount += capTokens(stats, limit).truncated;
    for (const [line, tokens] of stats.long) {
      if (tokens > limit) warnings.push({ line, code: "example_too_long", message: `${tokens} tokens, over the model's ${limit}-token limit: it will be truncated` });
    }
  }
  const fileFirst = (a: DatasetIssue, b: DatasetIssue) => (a.line === 0 ? 0 : 1) - (b.line === 0 ? 0 : 1) || byLine(a, b);
  return { errors, errorCount: errors.length, warnings: warnings.sort(fileFirst).slice(0, MAX_ISSUES), warningCount };
}

/** The report for a model, method, epochs and price: the data's findings with the model's added. */
export function reportFor(scan: DatasetScan, opts: AnalyzeOptions, file?: string): DatasetReport {
  const lookup = lookupModel(opts.model, { pricePerMillionTokens: opts.pricePerMillionTokens, priceOverrides: opts.priceOverrides });
  const data = dataFindings(scan);
  const added = modelFindings(scan, lookup, opts.method);
  const fileFirst = (a: DatasetIssue, b: DatasetIssue) => (a.line === 0 ? 0 : 1) - (b.line === 0 ? 0 : 1) || byLine(a, b);
  const errors = [...added.errors.filter((e) => e.line === 0), ...data.errors, ...added.errors.filter((e) => e.line !== 0)];
  const warnings = [...added.warnings, ...data.warnings].sort(fileFirst).slice(0, MAX_ISSUES);
  const errorCount = data.errorCount + added.errorCount;
  const stats = statsFor(scan, lookup);
  const { capped, truncated } = stats ? capTokens(stats, lookup.tokenLimit) : { capped: 0, truncated: 0 };
  const epochs = resolveEpochs(opts.nEpochs, scan.result.examples);
  const billedTokens = capped * epochs;
  const counted = stats !== null;
  const priced = counted && (scan.format !== "reinforcement" || lookup.priceSource === "override");
  return {
    ...(file !== undefined ? { file } : {}),
    sha256: scan.sha256,
    bytes: scan.bytes,
    format: scan.format,
    examples: scan.result.examples,
    tokensCounted: counted,
    tokens: stats?.total ?? 0,
    billedTokens,
    epochs,
    estimatedCostUsd: priced ? estimateCostUsd(billedTokens, lookup.pricePerMillionTokens) : null,
    errors: errors.slice(0, MAX_ISSUES),
    errorCount,
    warnings,
    warningCount: data.warningCount + added.warningCount,
    valid: errorCount === 0,
    model: lookup.requested ?? null,
    resolvedModel: lookup.facts?.id ?? null,
    method: opts.method ?? null,
    ...(counted ? { encoding: lookup.encoding, tokenLimit: lookup.tokenLimit } : {}),
    pricePerMillionTokens: priced ? lookup.pricePerMillionTokens : null,
    truncatedExamples: truncated,
    cached: scan.cached,
  };
}
