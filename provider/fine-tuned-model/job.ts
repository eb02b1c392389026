/** Between the resource's camelCase inputs and the API's fine-tuning job. */
import { createHash } from "node:crypto";
import type { FineTuningJob, JobCreateParams } from "openai/resources/fine-tuning/jobs/jobs";
import type { FineTuningJobCheckpoint } from "openai/resources/fine-tuning/jobs/checkpoints";
import { canonicalJson, echoInputs, replacingFields } from "../schema";
import {
  API_METADATA_KEYS,
  DATASET_KEY,
  INPUTS_KEY,
  OWNER_KEY,
  fineTunedModelSchema,
  type CheckpointOutput,
  type FineTunedModelInputs,
  type FineTunedModelOutputs,
  type MethodInput,
} from "./schema";

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function renameKeys(value: Record<string, unknown> | undefined, rename: (key: string) => string): Record<string, unknown> | undefined {
  return value && Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), v]));
}

/** The method to send: `method` as given, or top-level `hyperparameters` as a supervised method. */
export function effectiveMethod(inputs: Pick<FineTunedModelInputs, "method" | "hyperparameters">): MethodInput {
  return inputs.method ?? { type: "supervised", hyperparameters: inputs.hyperparameters };
}

export function epochsOf(inputs: Pick<FineTunedModelInputs, "method" | "hyperparameters">): number | "auto" | undefined {
  return effectiveMethod(inputs).hyperparameters?.nEpochs;
}

function methodParams(method: MethodInput): JobCreateParams.Method {
  const hyperparameters = renameKeys(method.hyperparameters, snake);
  const settings = method.type === "reinforcement" ? { grader: method.grader, hyperparameters } : { hyperparameters };
  return { type: method.type, [method.type]: settings } as JobCreateParams.Method;
}

/**
 * The hash of what defines the trained model: two creates with the same identity would train the same
 * model, so a job carrying it in its metadata is one to adopt, not to pay for again. The content hash
 * stands in for a file id when known, so a re-upload of the same bytes still finds the job.
 */
export function trainingIdentity(inputs: FineTunedModelInputs): string {
  const defining = echoInputs(fineTunedModelSchema, inputs);
  const picked = Object.fromEntries(replacingFields(fineTunedModelSchema).map((key) => [key, defining[key]]));
  if (inputs.trainingFileHash) picked.trainingFile = `sha256:${inputs.trainingFileHash}`;
  if (inputs.validationFileHash) picked.validationFile = `sha256:${inputs.validationFileHash}`;
  return createHash("sha256").update(canonicalJson(picked)).digest("hex").slice(0, 40);
}

export function ownerMetadata(inputs: FineTunedModelInputs): Record<string, string> {
  const owner = inputs.owner.length <= 512 ? inputs.owner : createHash("sha256").update(inputs.owner).digest("hex");
  return { [OWNER_KEY]: owner, [INPUTS_KEY]: trainingIdentity(inputs) };
}

/**
 * The training data's bare sha256 hex, for lineage read from the API. Kept apart from `ownerMetadata`,
 * which finds jobs again: jobs trained before this key existed must still be found. A job whose user
 * metadata leaves no room (14 keys, allowed before) is trained without it.
 */
export function datasetMetadata(inputs: FineTunedModelInputs): Record<string, string> {
  const room = Object.keys(inputs.metadata ?? {}).length + Object.keys(ownerMetadata(inputs)).length < API_METADATA_KEYS;
  return inputs.trainingFileHash && room ? { [DATASET_KEY]: inputs.trainingFileHash } : {};
}

/** Azure's training tier rides along in the body (standard unless given); OpenAI gets none. */
export function jobParams(inputs: FineTunedModelInputs, platform: "openai" | "azure" = "openai"): JobCreateParams {
  const azure = platform === "azure" ? { trainingType: inputs.trainingType ?? "standard" } : {};
  return {
    ...azure,
    model: inputs.baseModel,
    training_file: inputs.trainingFile,
    validation_file: inputs.validationFile,
    method: methodParams(effectiveMethod(inputs)),
    suffix: inputs.suffix,
    seed: inputs.seed,
    metadata: { ...inputs.metadata, ...ownerMetadata(inputs), ...datasetMetadata(inputs) },
    integrations: inputs.integrations as JobCreateParams.Integration[] | undefined,
  };
}

/** Inputs as a job reports them, for `pulumi import` of a job this package did not create. */
export function inputsFromJob(job: FineTuningJob): Partial<FineTunedModelInputs> {
  const type = (job.method?.type ?? "supervised") as MethodInput["type"];
  const settings = (job.method as Record<string, { hyperparameters?: Record<string, unknown>; grader?: unknown }> | undefined)?.[type];
  const hyperparameters = renameKeys(settings?.hyperparameters ?? (job.hyperparameters as Record<string, unknown>), camel);
  const method = (type === "reinforcement" ? { type, grader: settings?.grader, hyperparameters } : { type, hyperparameters }) as MethodInput;
  const userMetadata = Object.fromEntries(Object.entries(job.metadata ?? {}).filter(([k]) => !k.startsWith("pulumi_")));
  return {
    baseModel: job.model,
    trainingFile: job.training_file,
    validationFile: job.validation_file ?? undefined,
    method,
    suffix: (job as { user_provided_suffix?: string | null }).user_provided_suffix ?? suffixOf(job.fine_tuned_model),
    seed: job.seed,
    metadata: Object.keys(userMetadata).length > 0 ? userMetadata : undefined,
  };
}

/** `ft:<base>:<org>:<suffix>:<id>`: the suffix is the fourth part, empty when none was given. Azure ids hold no suffix. */
function suffixOf(model: string | null): string | undefined {
  const parts = model?.split(":") ?? [];
  return parts.length >= 5 && parts[3] ? parts[3] : undefined;
}

function checkpointOutput(c: FineTuningJobCheckpoint): CheckpointOutput {
  return {
    id: c.id,
    fineTunedModelCheckpoint: c.fine_tuned_model_checkpoint,
    stepNumber: c.step_number,
    metrics: renameKeys(c.metrics as Record<string, unknown>, camel) as Record<string, number | undefined>,
  };
}

export function outputsFromJob(
  inputs: FineTunedModelInputs,
  job: FineTuningJob,
  checkpoints: FineTuningJobCheckpoint[],
  baseModelShutdownDate: string | null,
): FineTunedModelOutputs {
  return {
    ...(echoInputs(fineTunedModelSchema, inputs) as FineTunedModelInputs),
    jobId: job.id,
    status: job.status,
    fineTunedModel: job.fine_tuned_model,
    trainedTokens: job.trained_tokens,
    resultFiles: job.result_files,
    createdAt: job.created_at,
    finishedAt: job.finished_at,
    checkpoints: checkpoints.map(checkpointOutput).sort((a, b) => a.stepNumber - b.stepNumber),
    organizationId: job.organization_id,
    baseModelShutdownDate,
    error: job.error ? { code: job.error.code, message: job.error.message } : null,
  };
}
