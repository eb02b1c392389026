/**
 * Every input of a ModelEvaluation, declared once. What defines the result (model, dataset bytes,
 * graders, thresholds, sampling, the examples taken) re-evaluates when it changes; how the evaluation
 * runs (concurrency, prices, where the report goes) is recorded without a new evaluation. Nothing is
 * replaced: the evaluation is redone in place, so its report keeps one stable path.
 */
import { z } from "zod";
import { graderSchema } from "../evaluation/graders";
import { field } from "../schema";

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");
const share = (what: string) => z.number({ error: `${what} must be a number from 0 to 1` }).min(0, `${what} must be from 0 to 1`).max(1, `${what} must be from 0 to 1`);

export const modelEvaluationSchema = z.object({
  model: field(z.string().min(1, "must not be empty"), {
    onChange: "update",
    description: "The model evaluated: a FineTunedModel's or ModelDeployment's model, or a model id. A change re-evaluates.",
  }),
  dataset: field(z.object({ path: z.string().min(1).optional(), content: z.string().optional() }).strict(), {
    onChange: "ignore",
    description: "Local JSONL of chat examples whose last assistant message is the reference answer (path relative to the project, or content).",
  }),
  datasetHash: field(sha256Hex.optional(), {
    onChange: "update",
    description: "sha256 of the dataset's bytes, computed when the program runs. New bytes re-evaluate.",
  }),
  graders: field(z.array(z.unknown()).min(1, "give at least one grader"), {
    onChange: "update",
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
    description: "The Pulumi project directory, set by the resource class: the report goes to its .openai-finetune/evaluations/.",
  }),
  owner: field(z.string().min(1), {
    onChange: "ignore",
    description: "project/stack/resource, set by the resource class: names the report.",
  }),
});

export type ModelEvaluationInputs = z.infer<typeof modelEvaluationSchema>;

/** The inputs whose change re-evaluates (the others are recorded as they are). */
export const RERUN_KEYS = [
  "model",
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
