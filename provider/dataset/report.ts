/** Human-readable dataset reports, for the CLI and for check() failure messages. */
import { FORMAT_LABEL } from "./lines";
import type { DatasetIssue, DatasetReport } from "./types";

export interface FormatReportOptions {
  /** Errors and warnings listed at most (default 20 each). */
  maxIssues?: number;
}

function where(i: DatasetIssue): string {
  return i.line > 0 ? `line ${i.line}` : "file";
}

function num(n: number): string {
  return n.toLocaleString("en-US");
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** One issue as `line 12: [code] message`. */
export function formatIssue(i: DatasetIssue): string {
  return `${where(i)}: [${i.code}] ${i.message}`;
}

/** A list of issues with a headline, at most `max` shown, then "... and N more". */
export function formatIssues(headline: string, issues: DatasetIssue[], total: number, max = 20): string {
  const shown = issues.slice(0, max).map((i) => `  ${formatIssue(i)}`);
  if (total > shown.length) shown.push(`  ... and ${num(total - shown.length)} more`);
  return [headline, ...shown].join("\n");
}

/**
 * The report as text: a verdict line, the facts (format, examples, tokens, epochs, cost), then
 * the first errors and warnings with their line numbers.
 */
export function formatReport(report: DatasetReport, opts: FormatReportOptions = {}): string {
  const max = opts.maxIssues ?? 20;
  const name = report.file ?? "dataset";
  const out: string[] = [];
  out.push(
    report.errorCount === 0
      ? `${name}: valid`
      : `${name}: INVALID, ${num(report.errorCount)} error${report.errorCount === 1 ? "" : "s"}`,
  );
  const model = report.resolvedModel ?? report.model;
  out.push(`  format       ${report.format ? FORMAT_LABEL[report.format] : "unknown"}`);
  out.push(`  examples     ${num(report.examples)}`);
  out.push(`  size         ${formatBytes(report.bytes)} (sha256 ${report.sha256})`);
  out.push(
    `  tokens       ${num(report.tokens)}` +
      (report.encoding ? ` (${report.encoding}${report.tokenLimit ? `, limit ${num(report.tokenLimit)} per example` : ""})` : ""),
  );
  if (report.truncatedExamples) out.push(`  truncated    ${num(report.truncatedExamples)} example(s) over the limit`);
  out.push(`  epochs       ${report.epochs}`);
  out.push(`  billed       ${num(report.billedTokens)} tokens`);
  out.push(
    `  est. cost    ${
      report.estimatedCostUsd === null
        ? "unknown"
        : `$${report.estimatedCostUsd.toFixed(report.estimatedCostUsd > 0 && report.estimatedCostUsd < 0.01 ? 4 : 2)}${report.pricePerMillionTokens != null ? ` at $${report.pricePerMillionTokens}/1M tokens` : ""}`
    }${model ? ` (${model})` : ""}`,
  );
  if (report.cached) out.push("  (from cache: content unchanged since the last check)");
  if (report.errorCount > 0) out.push("", formatIssues(`Errors (${num(report.errorCount)}):`, report.errors, report.errorCount, max));
  if (report.warningCount > 0) {
    out.push("", formatIssues(`Warnings (${num(report.warningCount)}):`, report.warnings, report.warningCount, max));
  }
  return out.join("\n") + "\n";
}
