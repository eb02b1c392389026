/**
 * `openai-finetune eval --model M --data FILE [--grader G]... [--min-pass-rate R] [--baseline B] [--json]`
 *
 * The release gate of the ModelEvaluation resource, from a shell or CI: the same engine, the same
 * report (`.openai-finetune/evaluations/<name>.{json,md}` under the current directory).
 * Exit status: 0 the gate passed, 1 it failed (or could not evaluate), 2 bad usage or input (flags,
 * dataset, graders, a key or model the API refuses).
 */
import { basename } from "node:path";
import { statSync } from "node:fs";
import type { Command } from "commander";
import type { EvaluationConfig, EvaluationReport, GraderSpec, Progress } from "../provider/evaluation";
import { addConnectionOption, connectionClient } from "./connection";
import { numberOption, usageError } from "./program";

interface EvalFlags {
  model: string;
  data: string;
  grader: string[];
  minPassRate: number;
  baseline?: string;
  minImprovement?: number;
  maxErroredShare: number;
  concurrency: number;
  maxExamples?: number;
  temperature: number;
  maxTokens?: number;
  seed?: number;
  name?: string;
  json?: boolean;
  connection?: string;
}

const share = numberOption((n) => (n >= 0 && n <= 1 ? null : "must be from 0 to 1"));
const positiveInt = numberOption((n) => (Number.isInteger(n) && n >= 1 ? null : "must be a positive integer"));

/** Adds `eval` to the program. */
export function register(program: Command): void {
  addConnectionOption(program.command("eval"))
    .description("score a model on held-out chat examples and gate on the pass rate")
    .requiredOption("--model <M>", "the model to evaluate (e.g. an ft: id)")
    .requiredOption("--data <FILE>", "JSONL chat examples; the last assistant message of each is the reference answer")
    .option(
      "--grader <G>",
      "a grader type (equals, contains, icontains, regex, starts-with, is-json, json-equals, similar, tool-call, llm-rubric), " +
        "TYPE:VALUE (e.g. regex:^Yes), or a JSON object {type, value?, threshold?, ...}; repeatable (default: similar)",
      (raw: string, all: string[]) => [...all, raw],
      [] as string[],
    )
    .option("--min-pass-rate <R>", "the share of evaluated examples that must pass", share, 0.8)
    .option("--baseline <B>", "also evaluate this model (usually the base model) and report the delta")
    .option("--min-improvement <D>", "required pass-rate margin over the baseline (0.1 = 10 points)", numberOption((n) => (n >= -1 && n <= 1 ? null : "must be from -1 to 1")))
    .option("--max-errored-share <S>", "more errored examples than this share fails as 'could not evaluate'", share, 0.1)
    .option("--concurrency <N>", "requests in flight", positiveInt, 8)
    .option("--max-examples <N>", "evaluate only the first N examples", positiveInt)
    .option("--temperature <T>", "sampling temperature", numberOption((n) => (n >= 0 && n <= 2 ? null : "must be from 0 to 2")), 0)
    .option("--max-tokens <N>", "completion token limit per answer", positiveInt)
    .option("--seed <N>", "sampling seed", numberOption((n) => (Number.isInteger(n) ? null : "must be an integer")))
    .option("--name <NAME>", "names the report files (default: eval-<data file name>)")
    .option("--json", "print one JSON object with the results instead of the summary")
    .addHelpText("after", "\nexit status: 0 the gate passed, 1 it failed or could not evaluate, 2 bad usage or input")
    .action(async (flags: EvalFlags, command: Command) => {
      process.exitCode = await evaluate(flags, command);
    });
}

/** `type`, `type:value` or a JSON object. */
export function parseGrader(raw: string): GraderSpec {
  const text = raw.trim();
  if (text.startsWith("{")) return JSON.parse(text) as GraderSpec;
  const colon = text.indexOf(":");
  if (colon < 0) return { type: text } as GraderSpec;
  return { type: text.slice(0, colon), value: text.slice(colon + 1) } as GraderSpec;
}

async function evaluate(flags: EvalFlags, command: Command): Promise<number> {
  try {
    if (!statSync(flags.data).isFile()) throw new Error("not a regular file");
  } catch (err) {
    usageError(command, `cannot read ${flags.data}: ${(err as Error).message}`);
  }
  let graders: GraderSpec[];
  try {
    graders = flags.grader.length ? flags.grader.map(parseGrader) : [{ type: "similar" }];
  } catch (err) {
    usageError(command, `--grader: not a grader: ${(err as Error).message}`);
  }
  const chosen = connectionClient(flags.connection);
  if ("problem" in chosen) usageError(command, chosen.problem);
  const engine = await import("../provider/evaluation");
  const config: EvaluationConfig = {
    name: flags.name ?? `eval-${basename(flags.data).replace(/\.jsonl?$/i, "")}`,
    model: flags.model,
    source: { path: flags.data },
    graders,
    minPassRate: flags.minPassRate,
    baseline: flags.baseline,
    minImprovement: flags.minImprovement,
    maxErroredShare: flags.maxErroredShare,
    concurrency: flags.concurrency,
    maxExamples: flags.maxExamples,
    sampling: { temperature: flags.temperature, maxTokens: flags.maxTokens, seed: flags.seed },
  };
  const prepared = await engine.prepareEvaluation(config);
  const problems = engine.describeProblems(flags.data, prepared);
  if (problems) usageError(command, problems);
  process.stderr.write(`evaluating ${flags.model}${flags.baseline ? ` and ${flags.baseline}` : ""}: ${engine.describeEstimate(prepared.estimate)}\n`);
  let report: EvaluationReport;
  try {
    report = await engine.runEvaluation(chosen.client, config, prepared, progressLine(process.stderr));
  } catch (err) {
    process.stderr.write(`openai-finetune eval: ${(err as Error).message}\n`);
    return 2;
  }
  const paths = await engine.writeReport(process.cwd(), report);
  if (flags.json) process.stdout.write(JSON.stringify({ ...report, reportPath: paths.json, reportMarkdownPath: paths.markdown }) + "\n");
  else process.stdout.write(summaryText(report, paths.json, engine.pct));
  return report.passed ? 0 : 1;
}

/**
 * One line per 10% or per 2 s, whichever comes first, as plain lines (no carriage returns), so a CI
 * log shows the run advancing without being flooded.
 */
export function progressLine(stream: NodeJS.WritableStream, everyMs = 2_000): (p: Progress) => void {
  let last = Date.now();
  let lastDecile = 0;
  const started = Date.now();
  return ({ model, done, total }) => {
    const now = Date.now();
    const decile = Math.floor((done * 10) / total);
    if (done < total && now - last < everyMs && decile === lastDecile) return;
    if (done === total && decile === lastDecile) return;
    last = now;
    lastDecile = decile;
    const rate = done / Math.max(0.001, (now - started) / 1000);
    stream.write(`${model}: ${done}/${total} examples (${Math.floor((done * 100) / total)}%, ${rate.toFixed(1)}/s)\n`);
  };
}

function summaryText(r: EvaluationReport, reportPath: string, pct: (x: number) => string): string {
  const lines = [
    `${r.passed ? "PASSED" : "FAILED"}: ${r.model}: pass rate ${pct(r.passRate)} (${r.counts.passed} passed, ${r.counts.failed} failed, ${r.counts.errored} errored of ${r.counts.total}), minPassRate ${pct(r.minPassRate)}, mean score ${r.meanScore.toFixed(3)}`,
  ];
  if (r.baselineResult) lines.push(`baseline ${r.baselineResult.model}: pass rate ${pct(r.baselineResult.passRate)}; delta ${r.delta! >= 0 ? "+" : ""}${(r.delta! * 100).toFixed(1)} points`);
  for (const reason of r.reasons) lines.push(`  ${reason}`);
  for (const f of r.failures.slice(0, 5)) lines.push(`  line ${f.line}: ${JSON.stringify(f.prompt)} expected ${JSON.stringify(f.expected)} got ${JSON.stringify(f.got)} (${f.failedGraders.join("; ")})`);
  lines.push(`report: ${reportPath}`);
  return lines.join("\n") + "\n";
}
