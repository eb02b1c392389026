/**
 * The full report of one evaluation: JSON (what the UI and CI tools read) and Markdown (what a
 * person reads), in `<project dir>/.openai-finetune/evaluations/<name>.{json,md}`.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Counts, Failure, GraderResult, ModelSummary } from "./summary";
import { pct } from "./summary";

export interface EvaluationReport {
  /** The ModelEvaluation's resource id (absent for the CLI): a delete removes only its own report. */
  id?: string;
  name: string;
  model: string;
  passed: boolean;
  reasons: string[];
  passRate: number;
  meanScore: number;
  counts: Counts;
  graders: GraderResult[];
  baselineResult: ModelSummary | null;
  delta: number | null;
  minPassRate: number;
  minImprovement: number | null;
  usage: { promptTokens: number; completionTokens: number; graderPromptTokens: number; graderCompletionTokens: number; retries: number; estimatedCostUsd: number | null };
  failures: Failure[];
  datasetHash: string;
  createdAt: string;
}

export function reportDir(projectDir: string): string {
  return join(projectDir, ".openai-finetune", "evaluations");
}

/** Written to a temporary name first, so a reader never sees half a report. */
export async function writeReport(projectDir: string, report: EvaluationReport): Promise<{ json: string; markdown: string }> {
  const dir = reportDir(projectDir);
  await mkdir(dir, { recursive: true });
  const json = join(dir, `${report.name}.json`);
  const markdown = join(dir, `${report.name}.md`);
  await atomicWrite(json, JSON.stringify(report, null, 2) + "\n");
  await atomicWrite(markdown, renderMarkdown(report));
  return { json, markdown };
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export function renderMarkdown(r: EvaluationReport): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\s+/g, " ");
  const lines = [
    `# Evaluation ${r.name}: ${r.passed ? "PASSED" : "FAILED"}`,
    "",
    `- model: \`${r.model}\``,
    `- pass rate: **${pct(r.passRate)}** (${r.counts.passed} passed, ${r.counts.failed} failed, ${r.counts.errored} errored of ${r.counts.total}); minPassRate ${pct(r.minPassRate)}`,
    `- mean score: ${r.meanScore.toFixed(3)}`,
  ];
  if (r.baselineResult) {
    lines.push(`- baseline \`${r.baselineResult.model}\`: pass rate ${pct(r.baselineResult.passRate)}, mean score ${r.baselineResult.meanScore.toFixed(3)}; delta ${r.delta! >= 0 ? "+" : ""}${(r.delta! * 100).toFixed(1)} points${r.minImprovement !== null ? ` (minImprovement ${(r.minImprovement * 100).toFixed(1)} points)` : ""}`);
  }
  const cost = r.usage.estimatedCostUsd === null ? "cost unknown" : `$${r.usage.estimatedCostUsd.toFixed(4)}`;
  lines.push(`- usage: ${r.usage.promptTokens} prompt + ${r.usage.completionTokens} completion tokens (grader models: ${r.usage.graderPromptTokens} + ${r.usage.graderCompletionTokens}), ${r.usage.retries} retried requests, ${cost}`);
  lines.push(`- dataset sha256 \`${r.datasetHash}\`, ${r.createdAt}`, "");
  if (r.reasons.length) lines.push("## Why it failed", "", ...r.reasons.map((x) => `- ${x}`), "");
  lines.push("## Graders", "", "| grader | passed | failed | pass rate | mean score |", "|---|---|---|---|---|");
  for (const g of r.graders) lines.push(`| ${cell(g.grader)} | ${g.passed} | ${g.failed} | ${pct(g.passRate)} | ${g.meanScore.toFixed(3)} |`);
  lines.push("");
  if (r.failures.length) {
    lines.push(`## Failing examples (worst first, at most ${r.failures.length})`, "", "| line | prompt | expected | got | failed |", "|---|---|---|---|---|");
    for (const f of r.failures) lines.push(`| ${f.line} | ${cell(f.prompt)} | ${cell(f.expected)} | ${cell(f.got)} | ${cell(f.failedGraders.join("; "))} |`);
    lines.push("");
  }
  return lines.join("\n");
}
