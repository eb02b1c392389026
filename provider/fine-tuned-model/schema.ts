/** Every input of a FineTunedModel, declared once: its validation, its description, what a change does. */
import { z } from "zod";
import { HYPERPARAMETERS, MAX_SUFFIX_CHARS, METADATA_LIMITS, METHOD_TYPES, SEED_RANGE, type HyperparameterRule } from "../api-contract";
import { field } from "../schema";

const auto = z.literal("auto");

/** "auto" or a value in the API's range for this hyperparameter (from the API contract). */
function ranged(rule: HyperparameterRule) {
  if (rule.kind === "choice") throw new TypeError("a choice is an enum, not a range");
  const n = rule.kind === "int" ? z.number().int().min(rule.min) : z.number().gt(rule.above);
  return z.union([auto, n.max(rule.max)]).optional();
}
const { supervised, dpo, reinforcement } = HYPERPARAMETERS;

export const hyperparametersSchema = z
  .object({
    nEpochs: ranged(supervised.n_epochs),
    batchSize: ranged(supervised.batch_size),
    learningRateMultiplier: ranged(supervised.learning_rate_multiplier),
  })
  .strict();

const dpoHyperparameters = hyperparametersSchema.extend({ beta: ranged(dpo.beta) }).strict();

const reinforcementHyperparameters = hyperparametersSchema
  .extend({
    computeMultiplier: ranged(reinforcement.compute_multiplier),
    evalInterval: ranged(reinforcement.eval_interval),
    evalSamples: ranged(reinforcement.eval_samples),
    reasoningEffort: z.enum(reinforcement.reasoning_effort.values).optional(),
  })
  .strict();

export const methodSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("supervised"), hyperparameters: hyperparametersSchema.optional() }).strict(),
  z.object({ type: z.literal("dpo"), hyperparameters: dpoHyperparameters.optional() }).strict(),
  z
    .object({
      type: z.literal("reinforcement"),
      grader: z.record(z.string(), z.unknown()),
      hyperparameters: reinforcementHyperparameters.optional(),
    })
    .strict(),
], {
  error: (issue) => {
    const type = (issue.input as { type?: unknown } | undefined)?.type;
    return issue.code === "invalid_union" ? `type must be one of ${METHOD_TYPES.join(", ")}, not ${JSON.stringify(type ?? null)}` : undefined;
  },
});

export const wandbIntegrationSchema = z
  .object({
    type: z.literal("wandb"),
    wandb: z.object({ project: z.string().min(1), entity: z.string().optional(), name: z.string().optional(), tags: z.array(z.string()).optional() }).strict(),
  })
  .strict();

/** The API allows 16 metadata keys; the provider uses these two to find its own jobs again. */
export const OWNER_KEY = "pulumi_owner";
export const INPUTS_KEY = "pulumi_inputs";
const MAX_USER_METADATA_KEYS = METADATA_LIMITS.maxKeys - 2;

const metadataSchema = z
  .record(
    z.string().min(1).max(METADATA_LIMITS.maxKeyChars, `metadata keys are at most ${METADATA_LIMITS.maxKeyChars} characters`),
    z.string().max(METADATA_LIMITS.maxValueChars, `metadata values are at most ${METADATA_LIMITS.maxValueChars} characters`),
  )
  .refine((m) => Object.keys(m).length <= MAX_USER_METADATA_KEYS, `at most ${MAX_USER_METADATA_KEYS} keys (the API allows 16; the provider uses 2)`)
  .refine((m) => !Object.keys(m).some((k) => k.startsWith("pulumi_")), "keys starting with `pulumi_` are reserved for the provider");

const fileId = z.string().min(1, "must not be empty");
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");
const localDataset = z.object({ path: z.string().optional(), content: z.string().optional() });

export const fineTunedModelSchema = z.object({
  baseModel: field(z.string().min(1, "must name a base model"), {
    onChange: "replace",
    description: "The model to fine-tune, e.g. gpt-4.1-mini-2025-04-14, or an existing ft: model.",
  }),
  trainingFile: field(fileId, { onChange: "replace", description: "The training file id." }),
  trainingFileHash: field(sha256Hex.optional(), {
    // New bytes always mean a new TrainingFile and so a new trainingFile id, which replaces; comparing the
    // hash as well would only break imports by file id.
    onChange: "ignore",
    description: "Content hash of the training data (lineage); set when trainingFile is a TrainingFile.",
  }),
  trainingDataset: field(localDataset.optional(), {
    onChange: "ignore",
    description: "The local dataset behind trainingFile, for the preview's validation and cost estimate.",
  }),
  validationFile: field(fileId.optional(), { onChange: "replace", description: "The validation file id." }),
  validationFileHash: field(sha256Hex.optional(), { onChange: "ignore", description: "Content hash of the validation data (lineage)." }),
  method: field(methodSchema.optional(), {
    onChange: "replace",
    description: "supervised, dpo or reinforcement, with its hyperparameters.",
  }),
  hyperparameters: field(hyperparametersSchema.optional(), {
    onChange: "replace",
    description: "Supervised hyperparameters (shorthand for method supervised).",
  }),
  suffix: field(
    z.string().min(1).max(MAX_SUFFIX_CHARS, `the API allows at most ${MAX_SUFFIX_CHARS} characters`).regex(/^[A-Za-z0-9_-]+$/, "use letters, digits, - and _ only").optional(),
    { onChange: "replace", description: "Up to 64 characters added to the fine-tuned model's name." },
  ),
  seed: field(z.number().int().min(SEED_RANGE.min).max(SEED_RANGE.max).optional(), { onChange: "replace", description: "Training seed, for reproducibility." }),
  metadata: field(metadataSchema.optional(), {
    onChange: "update",
    description: "Job metadata. The API cannot change an existing job's metadata: a change is recorded and applies to the next training.",
  }),
  integrations: field(z.array(wandbIntegrationSchema).optional(), {
    onChange: "update",
    description: "Weights & Biases integration. Like metadata, a change applies to the next training.",
  }),
  waitTimeoutMinutes: field(z.number().positive().max(7 * 24 * 60).default(120), {
    onChange: "update",
    description: "How long `pulumi up` waits for training; then the resource is saved with its job id and the next up resumes waiting.",
  }),
  pollIntervalSeconds: field(z.number().positive().max(600).default(30), {
    onChange: "update",
    description: "The longest pause between two status polls (polling starts at 1 s and backs off to this).",
  }),
  deleteModelOnDestroy: field(z.boolean().default(true), {
    onChange: "update",
    description: "Delete the fine-tuned model when the resource is destroyed or replaced.",
  }),
  maxTrainingCostUsd: field(z.number().nonnegative().optional(), {
    onChange: "update",
    description: "Fail the preview when the estimated training cost exceeds this.",
  }),
  pricePerMillionTokens: field(z.number().nonnegative().optional(), {
    onChange: "update",
    description: "Training price per 1M tokens, overriding the package's price data.",
  }),
  importJobId: field(z.string().regex(/^ftjob-/, "must be a fine-tuning job id (ftjob-…)").optional(), {
    // Only create() reads it: once the job is managed, the resource is that job whatever this says.
    onChange: "ignore",
    description: "Manage this existing job instead of training a new one; create() checks it was trained as declared.",
  }),
  owner: field(z.string().min(1), {
    onChange: "ignore",
    description: "project/stack/resource, set by the resource class: finds this resource's jobs again after an interruption.",
  }),
  estimatedTrainingTokens: field(z.number().nonnegative().optional(), {
    onChange: "ignore",
    description: "Set by check(): billed tokens estimated from the local dataset.",
  }),
  estimatedCostUsd: field(z.number().nonnegative().nullable().optional(), {
    onChange: "ignore",
    description: "Set by check(): estimated training cost, null when no price is known.",
  }),
});

export type FineTunedModelInputs = z.infer<typeof fineTunedModelSchema>;
export type MethodInput = z.infer<typeof methodSchema>;

export interface CheckpointOutput {
  id: string;
  fineTunedModelCheckpoint: string;
  stepNumber: number;
  metrics: Record<string, number | undefined>;
}

/** What create and read add to the echoed inputs. */
export interface FineTunedModelOutputs extends FineTunedModelInputs {
  jobId: string;
  status: string;
  fineTunedModel: string | null;
  trainedTokens: number | null;
  resultFiles: string[];
  createdAt: number;
  finishedAt: number | null;
  checkpoints: CheckpointOutput[];
  organizationId: string;
  baseModelShutdownDate: string | null;
  error: { code: string; message: string } | null;
  /** Set by refresh when the model was deleted outside Pulumi. */
  modelDeleted?: boolean;
}
