/** From per-example results to the numbers a release gate decides on. */
import { promptExcerpt, type EvalExample } from "./dataset";
import type { Grader } from "./graders";
import type { ExampleResult, RunResult, Usage } from "./runner";

export interface Counts {
  total: number;
  passed: number;
  failed: number;
  errored: number;
}

export interface GraderResult {
  grader: string;
  type: string;
  passed: number;
  failed: number;
  passRate: number;
  meanScore: number;
}

export interface Failure {
  line: number;
  prompt: string;
  expected: string;
  got: string;
  /** The graders that failed it (or "error" when it could not be evaluated), with why. */
  failedGraders: string[];
  score: number;
}

export interface ModelSummary {
  model: string;
  /** passed / (total − errored); 0 when nothing could be evaluated. */
  passRate: number;
  /** Mean example score over the examples evaluated (errored ones excluded). */
  meanScore: number;
  counts: Counts;
}

export interface Summary extends ModelSummary {
  graders: GraderResult[];
  failures: Failure[];
  usage: Usage;
}

export const MAX_FAILURES = 20;

export function summarize(run: RunResult, examples: EvalExample[], graders: Grader[]): Summary {
  const { results } = run;
  const counts: Counts = {
    total: results.length,
    passed: results.filter((r) => r.status === "passed").length,
    failed: results.filter((r) => r.status === "failed").length,
    errored: results.filter((r) => r.status === "errored").length,
  };
  const evaluated = results.filter((r) => r.status !== "errored");
  const byLine = new Map(examples.map((e) => [e.line, e]));
  return {
    model: run.model,
    passRate: evaluated.length ? round(counts.passed / evaluated.length) : 0,
    meanScore: evaluated.length ? round(evaluated.reduce((s, r) => s + r.score, 0) / evaluated.length) : 0,
    counts,
    graders: graders.map((g, i) => graderResult(g, i, evaluated)),
    failures: worstFirst(results.filter((r) => r.status !== "passed")).slice(0, MAX_FAILURES).map((r) => failureOf(r, byLine.get(r.line)!)),
    usage: run.usage,
  };
}

function graderResult(grader: Grader, index: number, evaluated: ExampleResult[]): GraderResult {
  const grades = evaluated.map((r) => r.grades[index]!).filter(Boolean);
  const passed = grades.filter((g) => g.pass).length;
  return {
    grader: grader.label,
    type: grader.spec.type,
    passed,
    failed: grades.length - passed,
    passRate: grades.length ? round(passed / grades.length) : 0,
    meanScore: grades.length ? round(grades.reduce((s, g) => s + g.score, 0) / grades.length) : 0,
  };
}

/** Lowest score first, failures before errors, then by line: the examples worth reading first. */
export function worstFirst(results: ExampleResult[]): ExampleResult[] {
  const rank = (r: ExampleResult) => (r.status === "failed" ? 0 : 1);
  return [...results].sort((a, b) => rank(a) - rank(b) || a.score - b.score || a.line - b.line);
}

function failureOf(result: ExampleResult, example: EvalExample): Failure {
  const got = result.toolCalls?.length ? JSON.stringify(result.toolCalls) : (result.answer ?? "");
  const expected = example.referenceToolCalls.length && !example.reference ? JSON.stringify(example.referenceToolCalls) : example.reference;
  return {
    line: result.line,
    prompt: promptExcerpt(example),
    expected: excerpt(expected),
    got: excerpt(got),
    failedGraders: result.status === "errored" ? [`error: ${result.error ?? "unknown"}`] : result.grades.filter((g) => !g.pass).map((g) => `${g.grader}: ${g.reason}`),
    score: round(result.score),
  };
}

function excerpt(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

export interface GateOptions {
  minPassRate: number;
  minImprovement?: number;
  /** More than this share of errored examples: "could not evaluate". */
  maxErroredShare: number;
}

export interface GateDecision {
  passed: boolean;
  /** Why it failed, each naming the setting and the numbers; empty when it passed. */
  reasons: string[];
  delta: number | null;
}

export function decideGate(result: ModelSummary, baseline: ModelSummary | null, gate: GateOptions): GateDecision {
  const reasons: string[] = [];
  const { counts } = result;
  const erroredShare = counts.total ? counts.errored / counts.total : 1;
  if (erroredShare > gate.maxErroredShare) {
    reasons.push(
      `could not evaluate: ${counts.errored} of ${counts.total} examples errored (${pct(erroredShare)}), more than maxErroredShare ${pct(gate.maxErroredShare)}`,
    );
  }
  if (result.passRate < gate.minPassRate) {
    reasons.push(`pass rate ${pct(result.passRate)} (${counts.passed}/${counts.total - counts.errored}) is below minPassRate ${pct(gate.minPassRate)}`);
  }
  const delta = baseline ? round(result.passRate - baseline.passRate) : null;
  if (baseline && gate.minImprovement !== undefined && delta! < gate.minImprovement) {
    reasons.push(`improvement over the baseline ${baseline.model} is ${pts(delta!)} (${pct(result.passRate)} vs ${pct(baseline.passRate)}), below minImprovement ${pts(gate.minImprovement)}`);
  }
  return { passed: reasons.length === 0, reasons, delta };
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function pts(x: number): string {
  return `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} points`;
}
