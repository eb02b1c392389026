/**
 * The ModelEvaluation provider methods. Preview (check) reads and checks the dataset and graders and
 * estimates the cost without a request; create (and update, when what defines the result changed)
 * evaluates through chat completions, writes the report and decides the gate. A failing gate saves
 * the resource as partial with `passed: false` and fails `up`, so nothing depending on it proceeds.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { randomUUID } from "node:crypto";
import { rm, readFile } from "node:fs/promises";
import { join } from "node:path";
import { defineProvider } from "../define-provider";
import { checkConnectionInput } from "../check-connection";
import { clientOf, resolveConnection } from "../connections";
import { PartialResourceError } from "../errors";
import {
  describeEstimate,
  describeFailure,
  describeProblems,
  prepareEvaluation,
  reportDir,
  runEvaluation,
  writeReport,
  pct,
  type EvaluationConfig,
  type EvaluationReport,
} from "../evaluation";
import { info, throttled } from "../log";
import { canonicalJson, checkInputs, diffInputs, echoInputs } from "../schema";
import { RERUN_KEYS, modelEvaluationDeclaration, modelEvaluationSchema, type ModelEvaluationInputs } from "./schema";

type Props = Record<string, unknown>;

async function check(_olds: unknown, news: Props): Promise<dynamic.CheckResult> {
  const { inputs, unknown, failures } = checkInputs(modelEvaluationSchema, news);
  if (failures.length > 0) return { inputs, failures };
  const connection = checkConnectionInput(inputs.connection, unknown.has("connection"));
  if (connection.failure) return { inputs, failures: [connection.failure] };
  if (unknown.has("dataset") || unknown.has("graders")) return { inputs };
  const dataset = inputs.dataset;
  if ((dataset.path === undefined) === (dataset.content === undefined)) {
    return { inputs, failures: [{ property: "dataset", reason: "give exactly one of a path (a local JSONL file) or `{content}` (the examples inline)" }] };
  }
  const label = nameOf(inputs);
  let prepared;
  try {
    prepared = await prepareEvaluation(configOf(inputs, unknown.has("model")));
  } catch (err) {
    return { inputs, failures: [{ property: "dataset", reason: `${label}: cannot read ${dataset.path ?? "the dataset"}: ${(err as Error).message}` }] };
  }
  const problems = describeProblems(`${label} (${dataset.path ?? "inline dataset"})`, prepared);
  if (problems) return { inputs, failures: [{ property: prepared.issues.length ? "dataset" : "graders", reason: problems }] };
  info(`${label}: will evaluate ${unknown.has("model") ? "the model" : inputs.model}${inputs.baseline ? ` and the baseline ${inputs.baseline}` : ""} on ${describeEstimate(prepared.estimate)}`);
  return { inputs: { ...inputs, examples: prepared.estimate.examples, estimatedCostUsd: prepared.estimate.estimatedCostUsd } };
}

function configOf(inputs: ModelEvaluationInputs, modelUnknown = false): EvaluationConfig {
  return {
    name: nameOf(inputs),
    model: modelUnknown ? "" : inputs.model,
    source: inputs.dataset.path !== undefined ? { path: inputs.dataset.path } : { content: inputs.dataset.content ?? "" },
    graders: inputs.graders as EvaluationConfig["graders"],
    minPassRate: inputs.minPassRate,
    baseline: inputs.baseline,
    minImprovement: inputs.minImprovement,
    maxErroredShare: inputs.maxErroredShare,
    concurrency: inputs.concurrency,
    maxExamples: inputs.maxExamples,
    sampling: { temperature: inputs.temperature, maxTokens: inputs.maxTokens, seed: inputs.seed },
    prices: inputs.pricePerMillionTokens,
  };
}

/**
 * A gate that failed on its numbers is not re-run on unchanged inputs (same data, same model: same
 * answer, paid again): update fails it again from state. One that could not evaluate (too many
 * errors) is worth another try.
 */
async function diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
  const result = diffInputs(modelEvaluationSchema, olds, news);
  if (olds.passed === false) return { ...result, changes: true };
  return result;
}

async function create(news: Props): Promise<dynamic.CreateResult> {
  const inputs = modelEvaluationSchema.parse(news);
  const id = `meval-${randomUUID()}`;
  return { id, outs: await evaluate(id, inputs, news.__provider) };
}

async function update(id: string, olds: Props, news: Props): Promise<dynamic.UpdateResult> {
  const inputs = modelEvaluationSchema.parse(news);
  const rerun = RERUN_KEYS.some((key) => canonicalJson(olds[key]) !== canonicalJson(inputs[key])) || couldNotEvaluate(olds);
  if (rerun) return { outs: await evaluate(id, inputs, news.__provider) };
  const outs = { ...olds, ...echoedInputs(inputs) };
  if (olds.passed === false) {
    const message = `${nameOf(inputs)}: the evaluation gate failed for ${inputs.model} and nothing that defines it changed, so it is not run again: ${(olds.reasons as string[] | undefined)?.join("; ") ?? `pass rate ${olds.passRate}`}. Retrain the model, change the data or the graders. Full report: ${olds.reportPath}`;
    throw new PartialResourceError(message, id, { ...outs, __provider: news.__provider });
  }
  return { outs };
}

function couldNotEvaluate(olds: Props): boolean {
  return olds.passed === false && Array.isArray(olds.reasons) && olds.reasons.some((r) => String(r).startsWith("could not evaluate"));
}

async function evaluate(id: string, inputs: ModelEvaluationInputs, provider: unknown): Promise<Props> {
  const label = nameOf(inputs);
  const config = configOf(inputs);
  const prepared = await prepareEvaluation(config);
  const problems = describeProblems(label, prepared);
  if (problems) throw new Error(problems);
  if (prepared.datasetHash !== inputs.datasetHash) {
    throw new Error(`${label}: the dataset changed while pulumi was running (sha256 ${prepared.datasetHash}, expected ${inputs.datasetHash}); run again`);
  }
  info(`${label}: evaluating ${inputs.model} on ${prepared.examples.length} examples (${inputs.concurrency} in flight)`);
  const progress = throttled(2_000, (p: { model: string; done: number; total: number }) => info(`${label}: ${p.model}: ${p.done}/${p.total} examples`));
  const report = await runEvaluation(clientOf(resolveConnection(inputs.connection)), config, prepared, (p) => (p.done === p.total ? undefined : progress(p)));
  const { json, markdown } = await writeReport(inputs.projectDir, { ...report, id });
  const outs = outputsOf(inputs, report, json, markdown);
  if (!report.passed) throw new PartialResourceError(describeFailure(label, report, json), id, { ...outs, __provider: provider });
  info(`${label}: passed: pass rate ${pct(report.passRate)} (minPassRate ${pct(inputs.minPassRate)})${report.delta !== null ? `, ${signedPoints(report.delta)} over ${inputs.baseline}` : ""}; report ${json}`);
  return outs;
}

function signedPoints(delta: number): string {
  return `${delta >= 0 ? "+" : ""}${(delta * 100).toFixed(1)} points`;
}

/**
 * The inputs as state keeps them, `fineTunedModel` always set (to `model` when the class had none): a
 * gated ModelDeployment reads it, and an output absent from state would be unknown at every preview.
 */
function echoedInputs(inputs: ModelEvaluationInputs): Props {
  return { ...echoInputs(modelEvaluationSchema, inputs), fineTunedModel: inputs.fineTunedModel ?? inputs.model };
}

function outputsOf(inputs: ModelEvaluationInputs, report: EvaluationReport, json: string, markdown: string): Props {
  return {
    ...echoedInputs(inputs),
    passed: report.passed,
    reasons: report.reasons,
    passRate: report.passRate,
    meanScore: report.meanScore,
    counts: report.counts,
    graderResults: report.graders,
    baselineResult: report.baselineResult,
    delta: report.delta,
    usage: report.usage,
    failures: report.failures,
    reportPath: json,
    reportMarkdownPath: markdown,
    evaluatedAt: report.createdAt,
  };
}

/** Refresh: an evaluation lives in state and in its report; nothing in the API to read back. */
async function read(id: string, props: Props = {}): Promise<dynamic.ReadResult> {
  return { id, props };
}

/** Removes the report, unless a newer evaluation of the same name (another resource id) wrote it. */
async function remove(id: string, props: Props): Promise<void> {
  const name = typeof props.owner === "string" ? props.owner.split("/").pop()! : undefined;
  if (!name || typeof props.projectDir !== "string") return;
  const json = join(reportDir(props.projectDir), `${name}.json`);
  const written = await readFile(json, "utf8").then((t) => (JSON.parse(t) as { id?: string }).id, () => undefined);
  if (written !== id) return;
  await rm(json, { force: true });
  await rm(join(reportDir(props.projectDir), `${name}.md`), { force: true });
}

function nameOf(inputs: Pick<ModelEvaluationInputs, "owner">): string {
  return inputs.owner.split("/").pop() ?? inputs.owner;
}

export const provider: Required<dynamic.ResourceProvider> = defineProvider(modelEvaluationDeclaration, {
  check,
  diff,
  create,
  read,
  update,
  delete: remove,
});
