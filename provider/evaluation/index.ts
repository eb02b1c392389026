/**
 * The evaluation engine, shared by the `ModelEvaluation` resource and `openai-finetune eval`: read and
 * check the examples, compile the graders, estimate, run the model (and a baseline) with bounded
 * concurrency, and decide the gate. Nothing here knows about Pulumi.
 */
import type OpenAI from "openai";
import { sha256Content, sha256File } from "../dataset";
import type { DatasetSource } from "../dataset/analyze";
import { readEvalDataset, type EvalExample, type EvalIssue } from "./dataset";
import { estimateEvaluation, costOf, type Estimate, type Prices } from "./estimate";
import { compileGraders, type Grader, type GraderSpec } from "./graders";
import type { EvaluationReport } from "./report";
import { runModel, type Sampling } from "./runner";
import { decideGate, summarize, type ModelSummary } from "./summary";

export { GRADER_TYPES, type GraderSpec, type GraderType } from "./graders";
export { writeReport, renderMarkdown, reportDir, type EvaluationReport } from "./report";
export { describeEstimate, type Estimate, type Prices } from "./estimate";
export { pct } from "./summary";

export interface EvaluationConfig {
  /** Names the report files (the resource name, or the CLI's). */
  name: string;
  model: string;
  source: DatasetSource;
  graders: GraderSpec[];
  minPassRate: number;
  baseline?: string;
  minImprovement?: number;
  maxErroredShare: number;
  concurrency: number;
  maxExamples?: number;
  sampling: Sampling;
  prices?: Prices;
  /** Attempts per request, the first included. */
  attempts?: number;
}

export const DEFAULT_MAX_ERRORED_SHARE = 0.1;
export const DEFAULT_CONCURRENCY = 8;

export interface PreparedEvaluation {
  examples: EvalExample[];
  graders: Grader[];
  /** Dataset problems by line and grader problems; the evaluation cannot run unless both are empty. */
  issues: EvalIssue[];
  graderProblems: string[];
  estimate: Estimate;
  datasetHash: string;
}

/** Everything a preview can know: no request is made. */
export async function prepareEvaluation(config: EvaluationConfig): Promise<PreparedEvaluation> {
  const dataset = await readEvalDataset(config.source);
  const { graders, problems } = compileGraders(config.graders);
  const examples = config.maxExamples !== undefined ? dataset.examples.slice(0, config.maxExamples) : dataset.examples;
  const estimate = estimateEvaluation(examples, graders, { model: config.model, baseline: config.baseline, maxTokens: config.sampling.maxTokens, prices: config.prices });
  const datasetHash = "path" in config.source ? (await sha256File(config.source.path)).sha256 : sha256Content(config.source.content).sha256;
  return { examples, graders, issues: dataset.issues, graderProblems: problems, estimate, datasetHash };
}

/** One message for every problem a preview refuses, with line numbers. */
export function describeProblems(label: string, prepared: PreparedEvaluation): string | undefined {
  const lines = [
    ...prepared.issues.map((i) => (i.line > 0 ? `line ${i.line}: ${i.message}` : i.message)),
    ...prepared.graderProblems,
  ];
  if (lines.length === 0) return undefined;
  return `${label}: ${lines.length} problem(s), nothing was evaluated:\n${lines.map((l) => `  ${l}`).join("\n")}`;
}

export interface Progress {
  model: string;
  done: number;
  total: number;
}

export async function runEvaluation(
  client: OpenAI,
  config: EvaluationConfig,
  prepared: PreparedEvaluation,
  onProgress?: (p: Progress) => void,
): Promise<EvaluationReport> {
  const run = (model: string) =>
    runModel({
      client,
      model,
      examples: prepared.examples,
      graders: prepared.graders,
      sampling: config.sampling,
      concurrency: config.concurrency,
      attempts: config.attempts,
      onProgress: (done, total) => onProgress?.({ model, done, total }),
    });
  const main = summarize(await run(config.model), prepared.examples, prepared.graders);
  const baseline = config.baseline ? summarize(await run(config.baseline), prepared.examples, prepared.graders) : null;
  const gate = decideGate(main, baseline, { minPassRate: config.minPassRate, minImprovement: config.minImprovement, maxErroredShare: config.maxErroredShare });
  const usage = addUsage(main.usage, baseline?.usage);
  return {
    name: config.name,
    model: config.model,
    passed: gate.passed,
    reasons: gate.reasons,
    passRate: main.passRate,
    meanScore: main.meanScore,
    counts: main.counts,
    graders: main.graders,
    baselineResult: baseline ? modelSummary(baseline) : null,
    delta: gate.delta,
    minPassRate: config.minPassRate,
    minImprovement: config.minImprovement ?? null,
    usage: { ...usage, estimatedCostUsd: costOf({ promptTokens: usage.promptTokens + usage.graderPromptTokens, completionTokens: usage.completionTokens + usage.graderCompletionTokens }, config.prices) },
    failures: main.failures,
    datasetHash: prepared.datasetHash,
    createdAt: new Date().toISOString(),
  };
}

function modelSummary(s: ModelSummary): ModelSummary {
  return { model: s.model, passRate: s.passRate, meanScore: s.meanScore, counts: s.counts };
}

function addUsage(a: EvaluationReport["usage"] | Omit<EvaluationReport["usage"], "estimatedCostUsd">, b?: typeof a) {
  return {
    promptTokens: a.promptTokens + (b?.promptTokens ?? 0),
    completionTokens: a.completionTokens + (b?.completionTokens ?? 0),
    graderPromptTokens: a.graderPromptTokens + (b?.graderPromptTokens ?? 0),
    graderCompletionTokens: a.graderCompletionTokens + (b?.graderCompletionTokens ?? 0),
    retries: a.retries + (b?.retries ?? 0),
  };
}

/** The gate's failure in one message: the numbers, the settings and the worst examples. */
export function describeFailure(label: string, report: EvaluationReport, reportPath: string, worst = 5): string {
  const examples = report.failures.slice(0, worst).map((f) => `  line ${f.line}: ${JSON.stringify(f.prompt)} expected ${JSON.stringify(f.expected)} got ${JSON.stringify(f.got)} (${f.failedGraders.join("; ")})`);
  return [
    `${label}: the evaluation gate failed for ${report.model}: ${report.reasons.join("; ")}`,
    ...(examples.length ? [`worst examples:`, ...examples] : []),
    `full report: ${reportPath}`,
  ].join("\n");
}
