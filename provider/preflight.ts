/**
 * The dataset check both resources run in `check()`: before anything is uploaded or paid for, errors
 * fail the preview with their line numbers, warnings and the cost estimate are shown.
 */
import { analyzeDataset, formatBytes, type AnalyzeOptions, type DatasetIssue, type DatasetReport } from "./dataset";
import { info, throttled, warn } from "./log";

export type DatasetSource = { path: string } | { content: string };

const SHOWN_ISSUES = 10;

export interface PreflightResult {
  report: DatasetReport;
  /** A check-failure reason when the dataset has errors. */
  failure?: string;
}

/**
 * Warnings that depend on the model or method, shown by the FineTunedModel; the TrainingFile shows the
 * others, so a preview says each thing once.
 */
const MODEL_WARNINGS = new Set(["example_too_long", "images_estimated", "images_not_supported", "unknown_model", "no_price", "dpo_identical_outputs", "dpo_input_last_message_not_user"]);

/** `dataset`: what a TrainingFile reports (no model named); `model`: what a FineTunedModel adds. */
export type PreflightScope = "dataset" | "model";

function shownIn(scope: PreflightScope) {
  return (w: DatasetIssue) => (scope === "model" ? MODEL_WARNINGS.has(w.code) : !MODEL_WARNINGS.has(w.code) && w.code !== "no_model");
}

export async function preflight(label: string, source: DatasetSource, options: AnalyzeOptions, scope: PreflightScope): Promise<PreflightResult> {
  const progress = throttled(5_000, (read: number, total: number) =>
    info(`${label}: checking dataset, ${formatBytes(read)} of ${formatBytes(total)} (${Math.floor((read / Math.max(total, 1)) * 100)}%)`),
  );
  const report = await analyzeDataset(source, { ...options, onProgress: progress });
  const warnings = report.warnings.filter(shownIn(scope));
  const warningCount = report.warningCount - (report.warnings.length - warnings.length);
  if (warningCount > 0) warn(`${label}: ${listIssues(`${warningCount} dataset warning(s)`, warnings, warningCount)}`);
  if (report.errorCount > 0) return { report, failure: listIssues(`dataset has ${report.errorCount} error(s)`, report.errors, report.errorCount) };
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
    `${report.examples} examples, ${report.tokens.toLocaleString("en-US")} tokens × ${report.epochs} epoch(s) = ` +
    `${report.billedTokens.toLocaleString("en-US")} billed tokens, ${cost}${model ? ` on ${model}` : ""}`
  );
}

/** Cents, or four decimals below a cent, so a small dataset's cost does not read as $0.00. */
export function formatUsd(amount: number): string {
  return `$${amount.toFixed(amount > 0 && amount < 0.01 ? 4 : 2)}`;
}
