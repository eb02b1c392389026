/** A FineTunedModel, declared once: every input and output, its validation, its description, what a change does. */
import { z } from "zod";
import { HYPERPARAMETERS, MAX_SUFFIX_CHARS, METADATA_LIMITS, METHOD_TYPES, SEED_RANGE, type HyperparameterRule } from "../api-contract";
import { declareResource, field, named, output } from "../schema";
import { PROGRESS_MODES } from "./progress";

const auto = z.literal("auto");

/** "auto" or a value in the API's range for this hyperparameter (from the API contract). */
function ranged(rule: HyperparameterRule) {
  if (rule.kind === "choice") throw new TypeError("a choice is an enum, not a range");
  const n = rule.kind === "int" ? z.number().int().min(rule.min) : z.number().gt(rule.above);
  return z.union([auto, n.max(rule.max)]).optional();
}
const { supervised, dpo, reinforcement } = HYPERPARAMETERS;

const supervisedShape = {
  nEpochs: ranged(supervised.n_epochs).describe('Passes over the training data; "auto" lets the API choose (OpenAI\'s auto-epochs rule).'),
  batchSize: ranged(supervised.batch_size).describe('Examples per batch; "auto" lets the API choose.'),
  learningRateMultiplier: ranged(supervised.learning_rate_multiplier).describe('Scales the learning rate; "auto" lets the API choose.'),
};

export const hyperparametersSchema = named(z.object(supervisedShape).strict(), "Hyperparameters", "Supervised hyperparameters, each in the API's range or \"auto\".");

const dpoHyperparameters = named(
  z.object({ ...supervisedShape, beta: ranged(dpo.beta).describe("How far the model may move from the reference (DPO's beta).") }).strict(),
  "DpoHyperparameters",
  "DPO hyperparameters: the supervised ones and `beta`.",
);

const reinforcementHyperparameters = named(
  z
    .object({
      ...supervisedShape,
      computeMultiplier: ranged(reinforcement.compute_multiplier).describe("Scales the compute spent on exploration."),
      evalInterval: ranged(reinforcement.eval_interval).describe("Training steps between evaluations."),
      evalSamples: ranged(reinforcement.eval_samples).describe("Samples per evaluation."),
      reasoningEffort: z.enum(reinforcement.reasoning_effort.values).optional().describe("The reasoning effort the model trains with."),
    })
    .strict(),
  "ReinforcementHyperparameters",
  "Reinforcement fine-tuning hyperparameters: the supervised ones and the grader loop's.",
);

const methodUnion = z.discriminatedUnion("type", [
  z.object({ type: z.literal("supervised"), hyperparameters: hyperparametersSchema.optional() }).strict(),
  z.object({ type: z.literal("dpo"), hyperparameters: dpoHyperparameters.optional() }).strict(),
  z
    .object({
      type: z.literal("reinforcement"),
      grader: z.record(z.string(), z.unknown()).describe("The grader, in the API's own (snake_case) shape."),
      hyperparameters: reinforcementHyperparameters.optional(),
    })
    .strict(),
], {
  error: (issue) => {
    const type = (issue.input as { type?: unknown } | undefined)?.type;
    return issue.code === "invalid_union" ? `type must be one of ${METHOD_TYPES.join(", ")}, not ${JSON.stringify(type ?? null)}` : undefined;
  },
});
export const methodSchema = named(methodUnion, "Method", "The training method and its hyperparameters.");

export const wandbIntegrationSchema = named(
  z
    .object({
      type: z.literal("wandb"),
      wandb: z.object({ project: z.string().min(1), entity: z.string().optional(), name: z.string().optional(), tags: z.array(z.string()).optional() }).strict(),
    })
    .strict(),
  "WandbIntegration",
  "A Weights & Biases integration of the job.",
);

/**
 * The API allows 16 metadata keys. The provider finds its own jobs again by the first two, and records
 * the training data's content hash in the third, so a model's lineage can be read from its job alone.
 */
export const OWNER_KEY = "pulumi_owner";
export const INPUTS_KEY = "pulumi_inputs";
export const DATASET_KEY = "pulumi_dataset";
export const API_METADATA_KEYS = METADATA_LIMITS.maxKeys;
export const MAX_USER_METADATA_KEYS = API_METADATA_KEYS - 3;
/** Before `pulumi_dataset`, 14 user keys were allowed: an already trained job keeps them (check() says when). */
const LEGACY_MAX_USER_METADATA_KEYS = API_METADATA_KEYS - 2;

const metadataSchema = z
  .record(
    z.string().min(1).max(METADATA_LIMITS.maxKeyChars, `metadata keys are at most ${METADATA_LIMITS.maxKeyChars} characters`),
    z.string().max(METADATA_LIMITS.maxValueChars, `metadata values are at most ${METADATA_LIMITS.maxValueChars} characters`),
  )
  .refine((m) => Object.keys(m).length <= LEGACY_MAX_USER_METADATA_KEYS, `at most ${MAX_USER_METADATA_KEYS} keys (the API allows 16; the provider uses 3)`)
  .refine((m) => !Object.keys(m).some((k) => k.startsWith("pulumi_")), "keys starting with `pulumi_` are reserved for the provider");

const fileId = z.string().min(1, "must not be empty");
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");
const localDataset = z.object({ path: z.string().optional(), content: z.string().optional() });

/** Azure OpenAI's training tiers; sent as `trainingType` on Azure connections only. */
export const TRAINING_TYPES = ["standard", "globalstandard", "developer"] as const;

export const fineTunedModelSchema = z.object({
  baseModel: field(z.string().min(1, "must name a base model"), {
    onChange: "replace",
    output: true,
    description: "The model to fine-tune, e.g. `gpt-4.1-mini-2025-04-14`, or an existing fine-tuned model (`ft:…` on OpenAI, `<base>.ft-…` on Azure).",
  }),
  connection: field(z.string().min(1, "must name a connection").optional(), {
    // Another connection is another platform or resource: the model is trained there anew.
    onChange: "replace",
    description: "The name of a connection in the stack config `openai-finetune:connections` (never a key); default: the `openai:*` config and the environment.",
  }),
  trainingType: field(z.enum(TRAINING_TYPES).optional(), {
    onChange: "replace",
    description: "Azure OpenAI training tier: standard (default), globalstandard or developer. Ignored on OpenAI.",
  }),
  trainingFile: field(fileId, {
    onChange: "replace",
    argType: "TrainingFile | pulumi.Input<string>",
    output: { description: "The training file id.", type: "string" },
    description: "The training data: a TrainingFile (its preview-time validation and cost estimate come along) or a file id.",
  }),
  trainingFileHash: field(sha256Hex.optional(), {
    // New bytes always mean a new TrainingFile and so a new trainingFile id, which replaces; comparing the
    // hash as well would only break imports by file id.
    onChange: "ignore",
    role: "internal",
    output: { description: "Content hash of the training data this model was trained on (lineage)." },
    description: "Content hash of the training data (lineage); set when trainingFile is a TrainingFile.",
  }),
  trainingDataset: field(localDataset.optional(), {
    onChange: "ignore",
    role: "internal",
    description: "The local dataset behind trainingFile, for the preview's validation and cost estimate.",
  }),
  validationFile: field(fileId.optional(), {
    onChange: "replace",
    argType: "TrainingFile | pulumi.Input<string>",
    description: "Held-out data for validation loss: a TrainingFile or a file id.",
  }),
  validationFileHash: field(sha256Hex.optional(), {
    onChange: "ignore",
    role: "internal",
    description: "Content hash of the validation data (lineage); set when validationFile is a TrainingFile.",
  }),
  method: field(methodSchema.optional(), {
    onChange: "replace",
    description: "`supervised` (default), `dpo` or `reinforcement`, with its hyperparameters.",
  }),
  hyperparameters: field(hyperparametersSchema.optional(), {
    onChange: "replace",
    description: "Supervised hyperparameters; shorthand for `method: { type: \"supervised\", hyperparameters }`.",
  }),
  suffix: field(
    z.string().min(1).max(MAX_SUFFIX_CHARS, `the API allows at most ${MAX_SUFFIX_CHARS} characters`).regex(/^[A-Za-z0-9_-]+$/, "use letters, digits, - and _ only (no dots: Azure refuses them)").optional(),
    { onChange: "replace", description: "Up to 64 characters (letters, digits, `-`, `_`) in the model's name." },
  ),
  seed: field(z.number().int().min(SEED_RANGE.min).max(SEED_RANGE.max).optional(), { onChange: "replace", description: "Training seed, for reproducibility." }),
  metadata: field(metadataSchema.optional(), {
    onChange: "update",
    argType: "pulumi.Input<Record<string, pulumi.Input<string>>>",
    description: "Job metadata (at most 13 keys; the provider uses 3). The API cannot change an existing job's metadata: a change shows no diff and applies to the next training.",
  }),
  integrations: field(z.array(wandbIntegrationSchema).optional(), {
    onChange: "update",
    argType: "pulumi.Input<pulumi.Input<WandbIntegration>[]>",
    description: "Weights & Biases integration. Like metadata, a change shows no diff and applies to the next training.",
  }),
  waitTimeoutMinutes: field(z.number().positive().max(7 * 24 * 60).default(120), {
    onChange: "update",
    description: "How long `pulumi up` waits for training, in minutes; then the resource is saved with its job id and the next `up` resumes waiting.",
  }),
  pollIntervalSeconds: field(z.number().positive().max(600).default(30), {
    onChange: "update",
    description: "The longest pause between two status polls, in seconds (polling starts at 1 s and backs off to this).",
  }),
  progress: field(z.enum(PROGRESS_MODES).optional(), {
    // No default: an absent value is the default mode, so stacks from before this input show no change.
    onChange: "update",
    description: "What `pulumi up` shows of the training: `default` (status, checkpoints, a metrics line per 10% of steps or per minute), `verbose` (every event) or `quiet` (status changes only).",
  }),
  deleteModelOnDestroy: field(z.boolean().default(true), {
    onChange: "update",
    description: "Delete the fine-tuned model when the resource is destroyed or replaced.",
  }),
  maxTrainingCostUsd: field(z.number().nonnegative().optional(), {
    onChange: "update",
    description: "Fail the preview when the estimated training cost (USD) exceeds this.",
  }),
  pricePerMillionTokens: field(z.number().nonnegative().optional(), {
    onChange: "update",
    description: "Training price per 1M tokens (USD), overriding the package's price data.",
  }),
  importJobId: field(z.string().regex(/^ftjob-/, "must be a fine-tuning job id (ftjob-…)").optional(), {
    // Only create() reads it: once the job is managed, the resource is that job whatever this says.
    onChange: "ignore",
    description:
      "Manage this existing job (`ftjob-…`, trained outside Pulumi) instead of training: the first `up` checks it was trained with the declared arguments and adopts it. Use this rather than Pulumi's `import` option, which dynamic providers cannot serve.",
  }),
  owner: field(z.string().min(1), {
    onChange: "ignore",
    role: "internal",
    description: "project/stack/resource, set by the resource class: finds this resource's jobs again after an interruption.",
  }),
  estimatedTrainingTokens: field(z.number().nonnegative().optional(), {
    onChange: "ignore",
    role: "internal",
    output: { description: "Billed tokens estimated at preview from the local dataset." },
    description: "Set by check(): billed tokens estimated from the local dataset.",
  }),
  estimatedCostUsd: field(z.number().nonnegative().nullable().optional(), {
    onChange: "ignore",
    role: "internal",
    output: { description: "Estimated training cost in USD; null when no price is known." },
    description: "Set by check(): estimated training cost, null when no price is known.",
  }),
});

const checkpointSchema = z.object({
  id: z.string(),
  fineTunedModelCheckpoint: z.string(),
  stepNumber: z.number(),
  metrics: z.record(z.string(), z.number().optional()),
});

export const fineTunedModelOutputs = z.object({
  // Typed as after a successful `up` (a failed or unfinished job fails the `up` before the program sees it).
  fineTunedModel: output(z.string().nullable(), { description: "The model id to call, `ft:<base>:<org>:<suffix>:<id>`.", type: "string" }),
  jobId: output(z.string(), { description: "The fine-tuning job id (also the resource id)." }),
  status: output(z.string(), { description: "The job's status (`succeeded` once the model exists)." }),
  trainedTokens: output(z.number().nullable(), { description: "Tokens the job was billed for, as the API reports them.", type: "number" }),
  resultFiles: output(z.array(z.string()), { description: "The job's result files (training metrics as CSV)." }),
  createdAt: output(z.number(), { description: "When the job was created, in Unix seconds." }),
  finishedAt: output(z.number().nullable(), { description: "When the job finished, in Unix seconds.", type: "number" }),
  checkpoints: output(z.array(checkpointSchema), { description: "The job's checkpoints (id, model checkpoint, step, metrics), by step." }),
  organizationId: output(z.string(), { description: "The organization that owns the job." }),
  baseModelShutdownDate: output(z.string().nullable(), { description: "When the base model retires (the fine-tuned model stops serving then), as the API reports it." }),
  error: output(z.object({ code: z.string(), message: z.string() }).nullable(), { description: "Why the job failed, as the API reports it; null when it did not." }),
  modelDeleted: output(z.boolean().optional(), { description: "Set by refresh when the model was deleted outside Pulumi: the next `up` trains it again." }),
});

export const fineTunedModelDeclaration = declareResource({
  type: "FineTunedModel",
  kind: "fine-tuned-model",
  description: "A fine-tuning job declared as infrastructure, trained once per set of defining inputs.",
  version: 2,
  inputs: fineTunedModelSchema,
  outputs: fineTunedModelOutputs,
  // v0.1.0's state already holds every field of version 2; only the version is new.
  upgrades: { 1: (state) => state },
  onReplace: "A change retrains.",
  typeImports: { "../training-file": ["TrainingFile"] },
});

export type FineTunedModelInputs = z.infer<typeof fineTunedModelSchema>;
export type MethodInput = z.infer<typeof methodSchema>;
export type CheckpointOutput = z.infer<typeof checkpointSchema>;

/** What create and read store: the echoed inputs and what the API reports. */
export type FineTunedModelOutputs = FineTunedModelInputs & z.infer<typeof fineTunedModelOutputs>;
