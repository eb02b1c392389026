/**
 * The dataset check both resources run in `check()`: before anything is uploaded or paid for, errors
 * fail the preview with their line numbers, warnings and the cost estimate are shown.
 */
import { analyzeDataset, type AnalyzeOptions, type DatasetIssue, type DatasetReport } from "./dataset";
import { formatBytes, info, throttled, warn } from "./log";

export type DatasetSource = { path: string } | { content: string };

const SHOWN_ISSUES = 10;

export interface PreflightResult {
  report: DatasetReport;
  /** A check-failure reason when the dataset has errors. */
  failure?: string;
}

export async function preflight(label: string, source: DatasetSource, options: AnalyzeOptions): Promise<PreflightResult> {
  const progress = throttled(5_000, (read: number, total: number) =>
    info(`${label}: checking dataset, ${formatBytes(read)} of ${formatBytes(total)} (${Math.floor((read / Math.max(total, 1)) * 100)}%)`),
  );
  const report = await analyzeDataset(source, { ...options, onProgress: progress });
  // A TrainingFile names no model on purpose: the FineTunedModel that trains on it estimates the cost.
  const warnings = options.model ? report.warnings : report.warnings.filter((w) => w.code !== "no_model");
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
