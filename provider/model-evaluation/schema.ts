/**
 * Every input of a ModelEvaluation, declared once. What defines the result (model, dataset bytes,
 * graders, thresholds, sampling, the examples taken) re-evaluates when it changes; how the evaluation
 * runs (concurrency, prices, where the report goes) is recorded without a new evaluation. Nothing is
 * replaced: the evaluation is redone in place, so its report keeps one stable path.
 */
import { z } from "zod";
import { graderSchema } from "../evaluation/graders";
import { declareResource, field, output } from "../schema";

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");
const share = (what: string) => z.number({ error: `${what} must be a number from 0 to 1` }).min(0, `${what} must be from 0 to 1`).max(1, `${what} must be from 0 to 1`);

export const modelEvaluationSchema = z.object({
  model: field(z.string().min(1, "must not be empty"), {
    onChange: "update",
    argType: "EvaluatedModel",
    output: { description: "The evaluated model id.", type: "string" },
    description: "The model evaluated: a FineTunedModel's or ModelDeployment's model, or a model id. A change re-evaluates.",
  }),
  fineTunedModel: field(z.string().optional(), {
    // Derived from `model`, which decides a rerun: comparing it too would add nothing.
    onChange: "ignore",
    role: "internal",
    output: { description: "The fine-tuned model behind `model`: the fine-tune itself, or the one an Azure deployment serves (so a ModelDeployment gated on this evaluation can check it)." },
    description: "Set by the resource class from the evaluated FineTunedModel or ModelDeployment.",
  }),
  dataset: field(z.object({ path: z.string().min(1).optional(), content: z.string().optional() }).strict(), {
    onChange: "ignore",
    argType: "EvaluationDataset",
    description: "Local JSONL of chat examples whose last assistant message is the reference answer (path relative to the project, or content).",
  }),
  datasetHash: field(sha256Hex.optional(), {
    onChange: "update",
    role: "internal",
    output: { description: "sha256 of the evaluated dataset's bytes.", type: "string" },
    description: "sha256 of the dataset's bytes, computed when the program runs. New bytes re-evaluate.",
  }),
  graders: field(z.array(z.unknown()).min(1, "give at least one grader"), {
    onChange: "update",
    argType: "pulumi.Input<pulumi.Input<GraderSpec>[]>",
    description: "One or more graders {type, value?, threshold?, ignoreCase?, schema?, fields?, rubric?, model?, weight?}. A change re-evaluates.",
  }),
  minPassRate: field(share("minPassRate"), {
    onChange: "update",
    description: "The gate: the share of evaluated examples that must pass, 0..1. A change re-evaluates.",
  }),
  baseline: field(z.string().min(1).optional(), {
    onChange: "update",
    description: "A model id (usually the base model) evaluated on the same data for comparison. A change re-evaluates.",
  }),
  minImprovement: field(z.number().min(-1).max(1).optional(), {
    onChange: "update",
    description: "Required pass-rate margin over the baseline (e.g. 0.1 = 10 points). A change re-evaluates.",
  }),
  maxErroredShare: field(share("maxErroredShare").default(0.1), {
    onChange: "update",
    description: "More errored examples than this share fails the gate as 'could not evaluate'. A change re-evaluates.",
  }),
  maxExamples: field(z.number().int().positive().optional(), {
    onChange: "update",
    description: "Evaluate only the first N examples. A change re-evaluates (it changes which examples count).",
  }),
  temperature: field(z.number().min(0).max(2).default(0), {
    onChange: "update",
    description: "Sampling temperature (default 0). A change re-evaluates.",
  }),
  maxTokens: field(z.number().int().positive().optional(), {
    onChange: "update",
    description: "Completion token limit per answer. A change re-evaluates.",
  }),
  seed: field(z.number().int().optional(), {
    onChange: "update",
    description: "Sampling seed. A change re-evaluates.",
  }),
  connection: field(z.string().min(1, "must name a connection").optional(), {
    // Another endpoint serves another copy of the model (or none): its answers are another result.
    onChange: "update",
    description: "The name of a connection in the stack config `openai-finetune:connections` (never a key) whose endpoint answers; default: the evaluated FineTunedModel's or ModelDeployment's connection, else the `openai:*` config and the environment. A change re-evaluates.",
  }),
  concurrency: field(z.number().int().min(1).max(256).default(8), {
    onChange: "update",
    description: "Requests in flight (default 8). Changes only how fast: recorded, no new evaluation.",
  }),
  pricePerMillionTokens: field(z.object({ input: z.number().min(0), output: z.number().min(0) }).strict().optional(), {
    onChange: "update",
    description: "USD per 1M prompt (input) and completion (output) tokens, to price the estimate and the usage.",
  }),
  projectDir: field(z.string().min(1), {
    onChange: "ignore",
    role: "internal",
    description: "The Pulumi project directory, set by the resource class: the report goes to its .openai-finetune/evaluations/.",
  }),
  owner: field(z.string().min(1), {
    onChange: "ignore",
    role: "internal",
    description: "project/stack/resource, set by the resource class: names the report.",
  }),
});

const counts = z.object({ total: z.number(), passed: z.number(), failed: z.number(), errored: z.number() });
const modelSummary = z.object({ model: z.string(), passRate: z.number(), meanScore: z.number(), counts });

export const modelEvaluationOutputs = z.object({
  passed: output(z.boolean(), { description: "Whether the gate passed. A failing gate fails `up`; the resource is then saved with `passed: false`." }),
  passRate: output(z.number(), { description: "passed / (total − errored)." }),
  meanScore: output(z.number(), { description: "The mean example score (weighted mean of its graders' scores) over the evaluated examples." }),
  counts: output(counts, { description: "Examples: total, passed, failed, errored (errored ones are neither).", type: "Counts" }),
  graderResults: output(z.array(z.record(z.string(), z.unknown())), { description: "Per grader: passed, failed, pass rate, mean score.", type: "GraderResult[]" }),
  baselineResult: output(modelSummary.nullable(), { description: "The baseline's model, pass rate, mean score and counts; null without a baseline.", type: "ModelSummary | null" }),
  delta: output(z.number().nullable(), { description: "passRate minus the baseline's; null without a baseline.", type: "number | null" }),
  usage: output(z.record(z.string(), z.unknown()), { description: "Prompt and completion tokens (the grader models' apart), retried requests, estimated cost (null without prices).", type: "EvaluationUsage" }),
  failures: output(z.array(z.record(z.string(), z.unknown())), { description: "The first 20 failing (or errored) examples, worst first: line, prompt excerpt, expected, got, which grader failed.", type: "Failure[]" }),
  reasons: output(z.array(z.string()), { description: "Why the gate failed, each naming the setting and the numbers; empty when it passed." }),
  reportPath: output(z.string(), { description: "`<project>/.openai-finetune/evaluations/<name>.json`, the full report." }),
  reportMarkdownPath: output(z.string(), { description: "The same report as Markdown, beside the JSON." }),
  evaluatedAt: output(z.string(), { description: "When the evaluation ran (ISO 8601)." }),
});

export const modelEvaluationDeclaration = declareResource({
  type: "ModelEvaluation",
  kind: "model-evaluation",
  description: "A release gate: a model scored on held-out examples through chat completions before anything serves it.",
  version: 2,
  inputs: modelEvaluationSchema,
  outputs: modelEvaluationOutputs,
  // Version 2 always holds `fineTunedModel` (the model itself when the class gave none); refresh writes it.
  upgrades: { 1: (state) => ({ ...state, fineTunedModel: state.fineTunedModel ?? state.model }) },
  onReplace: "A change re-evaluates.",
  typeImports: { ".": ["EvaluatedModel", "EvaluationDataset", "EvaluationUsage"], "../evaluation/graders": ["GraderSpec"], "../evaluation/summary": ["Counts", "GraderResult", "ModelSummary", "Failure"] },
});

export type ModelEvaluationInputs = z.infer<typeof modelEvaluationSchema>;

/** The inputs whose change re-evaluates (the others are recorded as they are). */
export const RERUN_KEYS = [
  "model",
  "connection",
  "datasetHash",
  "graders",
  "minPassRate",
  "baseline",
  "minImprovement",
  "maxErroredShare",
  "maxExamples",
  "temperature",
  "maxTokens",
  "seed",
] as const satisfies readonly (keyof ModelEvaluationInputs)[];

export { graderSchema };
