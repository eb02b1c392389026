/**
 * The dataset check both resources run in `check()`: before anything is uploaded or paid for, errors
 * fail the preview with their line numbers, warnings and the cost estimate are shown.
 */
import { dataFindings, formatBytes, modelFindings, reportFor, scanDataset, type AnalyzeOptions, type DatasetIssue, type DatasetReport } from "./dataset";
import { lookupModel } from "./models";
import { info, throttled, warn } from "./log";

export type DatasetSource = { path: string } | { content: string };

const SHOWN_ISSUES = 10;

export interface PreflightResult {
  report: DatasetReport;
  /** A check-failure reason when the dataset has errors. */
  failure?: string;
}

/** `dataset`: the data's own findings (a TrainingFile's); `model`: what a FineTunedModel's model and method add. */
export type PreflightScope = "dataset" | "model";

/**
 * The dataset's one pass (cached by content hash, so the second scope reads nothing), then the scope's
 * findings: each warning is the data's or the model's, so a preview shows it once.
 */
export async function preflight(label: string, source: DatasetSource, options: AnalyzeOptions, scope: PreflightScope): Promise<PreflightResult> {
  const progress = throttled(5_000, (read: number, total: number) =>
    info(`${label}: checking dataset, ${formatBytes(read)} of ${formatBytes(total)} (${Math.floor((read / Math.max(total, 1)) * 100)}%)`),
  );
  const scan = await scanDataset(source, { sha256: options.sha256, onProgress: progress });
  const report = reportFor(scan, options, "path" in source ? source.path : undefined);
  const shown = scope === "dataset" ? dataFindings(scan) : modelFindings(scan, lookupModel(options.model, options), options.method);
  if (shown.warningCount > 0) warn(`${label}: ${listIssues(`${shown.warningCount} dataset warning(s)`, shown.warnings, shown.warningCount)}`);
  const errors = scope === "dataset" ? shown : report;
  if (errors.errorCount > 0) return { report, failure: listIssues(`dataset has ${errors.errorCount} error(s)`, errors.errors, errors.errorCount) };
  return { report };
}

export function listIssues(headline: string, issues: DatasetIssue[], total: number): string {
  const lines = issues.slice(0, SHOWN_ISSUES).map((i) => `  ${i.line > 0 ? `line ${i.line}` : "file"}: [${i.code}] ${i.message}`);
  const more = total > lines.length ? [`  … and ${total - lines.length} more`] : [];
  return [headline + ":", ...lines, ...more].join("\n");
}

export function describeEstimate(report: DatasetReport, model?: string): string {
  const cost = report.estimatedCostUsd === null ? "no price known" : `≈ ${formatUsd(report.estimatedCostUsd)}`;
  return (
    `${report.examples.toLocaleString("en-US")} examples, ${report.tokens.toLocaleString("en-US")} tokens × ${report.epochs} epoch(s) = ` +
    `${report.billedTokens.toLocaleString("en-US")} billed tokens, ${cost}${model ? ` on ${model}` : ""}`
  );
}

/** Cents, or four decimals below a cent, so a small dataset's cost does not read as $0.00. */
export function formatUsd(amount: number): string {
  return `$${amount.toFixed(amount > 0 && amount < 0.01 ? 4 : 2)}`;
}
