/**
 * The FineTunedModel provider methods. A job is found before one is created (its metadata names the
 * resource and what defines the training), so an interrupted `pulumi up` never pays twice; a wait that
 * outlives its deadline saves the job id as a partial resource and the next `up` resumes it.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import OpenAI from "openai";
import type { FineTuningJob } from "openai/resources/fine-tuning/jobs/jobs";
import { reportedOnce } from "../report-once";
import { configureProvider, createClient, missingCredentials } from "../client";
import { now } from "../clock";
import { PartialResourceError, deleteIgnoringMissing, describeApiError, isNotFound, wrapApiError } from "../errors";
import { info, warn } from "../log";
import { findModel } from "../models";
import { capRefusal } from "../cost-cap";
import { describeEstimate, preflight } from "../preflight";
import { findOrCreate } from "../retry";
import { canonicalJson, checkInputs, diffInputs, echoInputs, withStateVersions, type CheckedInputs } from "../schema";
import { effectiveMethod, epochsOf, inputsFromJob, jobParams, outputsFromJob, ownerMetadata } from "./job";
import { fineTunedModelDeclaration, fineTunedModelSchema, type FineTunedModelInputs, type FineTunedModelOutputs } from "./schema";
import { verifyBaseModel, wouldTrain } from "./verify";
import { FAILED_STATES, SUCCEEDED, isFinished, waitForJob } from "./wait";

/** How far ahead a base model's retirement is worth a warning at every preview. */
export const RETIREMENT_WARNING_DAYS = 90;

type Props = Record<string, unknown>;

async function check(olds: Props | undefined, news: Props): Promise<dynamic.CheckResult> {
  const checked = checkInputs(fineTunedModelSchema, news);
  const { inputs } = checked;
  const failures = checked.failures.length > 0 ? checked.failures : crossFieldFailures(checked);
  if (failures.length > 0) return { inputs, failures };
  const credentials = missingCredentials();
  if (credentials) return { inputs, failures: [{ property: "openai:apiKey", reason: credentials }] };
  const estimate = await estimateCost(checked);
  // A cap refused for want of a price may come from a mistyped base model: saying so first helps more.
  if (estimate.failure && !estimate.priceUnknown) return { inputs, failures: [estimate.failure] };
  const refused = await verifyIfTraining(olds, news, checked);
  if (refused) return { inputs, failures: [refused] };
  return estimate.failure ? { inputs, failures: [estimate.failure] } : { inputs: { ...inputs, ...estimate.outputs } };
}

/** One API call when this check leads to a training (create or replace); none otherwise. */
async function verifyIfTraining(olds: Props | undefined, news: Props, { inputs, unknown }: CheckedInputs<FineTunedModelInputs>) {
  if (inputs.importJobId || unknown.has("baseModel") || !wouldTrain(olds, news)) return undefined;
  return verifyBaseModel(resourceName(inputs), inputs);
}

function crossFieldFailures({ inputs, unknown }: CheckedInputs<FineTunedModelInputs>): dynamic.CheckFailure[] {
  const failures: dynamic.CheckFailure[] = [];
  if (inputs.method && inputs.hyperparameters) {
    failures.push({ property: "hyperparameters", reason: "give hyperparameters either in `method.hyperparameters` or at the top level, not both" });
  }
  const facts = unknown.has("baseModel") ? undefined : findModel(inputs.baseModel);
  const method = unknown.has("method") ? undefined : effectiveMethod(inputs).type;
  if (facts && method && !facts.methods.includes(method)) {
    failures.push({ property: "method", reason: `${inputs.baseModel} does not support ${method} fine-tuning (it supports: ${facts.methods.join(", ")})` });
  }
  return failures;
}

/** Prices the dataset for this model and method: arithmetic on its scan, cached by hash when its TrainingFile was checked. */
async function estimateCost({ inputs, unknown }: CheckedInputs<FineTunedModelInputs>) {
  const dataset = inputs.importJobId ? undefined : inputs.trainingDataset;
  const knowable = ["trainingDataset", "baseModel", "method", "hyperparameters"].every((key) => !unknown.has(key));
  if (!knowable) return {};
  if (!dataset || (dataset.path === undefined && dataset.content === undefined)) {
    if (inputs.maxTrainingCostUsd === undefined || inputs.importJobId) return {};
    const reason = `${resourceName(inputs)}: maxTrainingCostUsd is set but the training data is a file id, so its cost cannot be estimated and the cap cannot be enforced; pass the TrainingFile itself (its local data is estimated) or remove the cap`;
    return { failure: { property: "maxTrainingCostUsd", reason } };
  }
  const label = resourceName(inputs);
  const source = dataset.path !== undefined ? { path: dataset.path } : { content: dataset.content ?? "" };
  const { report, failure } = await preflight(label, source, {
    model: inputs.baseModel,
    method: effectiveMethod(inputs).type,
    nEpochs: epochsOf(inputs),
    pricePerMillionTokens: inputs.pricePerMillionTokens,
    sha256: unknown.has("trainingFileHash") ? undefined : inputs.trainingFileHash,
  }, "model");
  if (failure) return { failure: { property: "trainingFile", reason: `${dataset.path ?? "inline dataset"}: ${failure}` } };
  info(`${label}: ${describeEstimate(report, inputs.baseModel)}`);
  const outputs = { estimatedTrainingTokens: report.billedTokens, estimatedCostUsd: report.estimatedCostUsd };
  const cap = inputs.maxTrainingCostUsd;
  const refusal = cap === undefined ? undefined : capRefusal(label, inputs.baseModel, report, cap);
  if (refusal) return { failure: { property: "maxTrainingCostUsd", reason: refusal }, priceUnknown: report.estimatedCostUsd === null };
  return { outputs };
}

async function diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
  warnIfRetiring(olds as Partial<FineTunedModelOutputs>);
  // A failed or cancelled job, or a model deleted outside Pulumi, holds no model: train again, even with
  // unchanged inputs. Replacing (not forgetting) the old resource lets its delete clean up its files.
  if (FAILED_STATES.has(String(olds.status))) return { changes: true, replaces: ["status"], deleteBeforeReplace: false };
  if (olds.modelDeleted === true) return { changes: true, replaces: ["fineTunedModel"], deleteBeforeReplace: false };
  return diffInputs(fineTunedModelSchema, olds, news);
}

/** From state only: a no-op preview makes no API call. */
function warnIfRetiring(olds: Partial<FineTunedModelOutputs>): void {
  if (!olds.baseModelShutdownDate) return;
  const days = Math.ceil((Date.parse(olds.baseModelShutdownDate) - now()) / 86_400_000);
  if (!(days <= RETIREMENT_WARNING_DAYS)) return;
  const when = days < 0 ? `retired on ${olds.baseModelShutdownDate}` : `retires on ${olds.baseModelShutdownDate} (in ${days} days)`;
  warn(`${olds.fineTunedModel ?? olds.jobId}: its base model ${olds.baseModel} ${when}; the fine-tuned model stops serving then`);
}

async function create(news: Props): Promise<dynamic.CreateResult> {
  const inputs = fineTunedModelSchema.parse(news);
  const client = createClient();
  if (inputs.importJobId) return adopt(client, inputs, inputs.importJobId, news.__provider);
  const label = resourceName(inputs);
  const { value: job, created } = await findOrCreate({
    what: `${label}: creating the fine-tuning job`,
    noun: "job",
    find: () => findAdoptableJob(client, inputs),
    create: () => client.fineTuning.jobs.create(jobParams(inputs), { maxRetries: 0 }).catch(explainRefusal),
  });
  info(created ? `${label}: created fine-tuning job ${job.id}` : `${label}: found job ${job.id} (${job.status}) for these inputs; adopting it instead of creating another`);
  // A job found again (an interrupted `up`) showed its history then; a new one shows it all.
  const outs = await finish(client, inputs, job, news.__provider, created);
  return { id: job.id, outs };
}

/**
 * Import, done by the provider: Pulumi's `import` option cannot reach a dynamic provider (the engine's
 * read carries no `__provider`), so the resource adopts the job named by `importJobId` at create,
 * once its training matches what the program declares. Nothing is trained or paid for.
 */
async function adopt(client: OpenAI, inputs: FineTunedModelInputs, jobId: string, provider: unknown): Promise<dynamic.CreateResult> {
  const label = resourceName(inputs);
  const job = await client.fineTuning.jobs.retrieve(jobId).catch((err) => {
    throw wrapApiError(`${label}: reading job ${jobId} to import it`, err);
  });
  const mismatches = importMismatches(inputs, inputsFromJob(job));
  if (mismatches.length > 0) {
    throw new Error(`${label}: job ${jobId} was not trained as declared, so it is not imported:\n${mismatches.map((m) => `  ${m}`).join("\n")}`);
  }
  info(`${label}: importing job ${jobId} (${job.status}); nothing is trained`);
  return { id: job.id, outs: await finish(client, inputs, job, provider) };
}

/** The declared training-defining inputs that differ from the job's; undeclared ones take the job's. */
function importMismatches(declared: FineTunedModelInputs, actual: Partial<FineTunedModelInputs>): string[] {
  const method = (inputs: Partial<FineTunedModelInputs>) => ({ ...effectiveMethod({ method: inputs.method, hyperparameters: inputs.hyperparameters }) });
  const compared: [string, unknown, unknown][] = [
    ["baseModel", declared.baseModel, actual.baseModel],
    ["trainingFile", declared.trainingFile, actual.trainingFile],
    ["validationFile", declared.validationFile, actual.validationFile],
    ["suffix", declared.suffix, actual.suffix],
    ["seed", declared.seed, actual.seed],
  ];
  const wanted = method(declared);
  const got = method(actual) as Record<string, unknown>;
  compared.push(["method.type", wanted.type, got.type]);
  for (const [key, value] of Object.entries(wanted.hyperparameters ?? {})) {
    compared.push([`hyperparameters.${key}`, value, (got.hyperparameters as Record<string, unknown> | undefined)?.[key]]);
  }
  return compared
    .filter(([, want, have]) => want !== undefined && canonicalJson(want) !== canonicalJson(have))
    .map(([key, want, have]) => `${key}: declared ${JSON.stringify(want)}, the job has ${JSON.stringify(have ?? null)}`);
}

/** A job of this resource with the same training-defining inputs, still training or holding a live model. */
async function findAdoptableJob(client: OpenAI, inputs: FineTunedModelInputs): Promise<FineTuningJob | undefined> {
  const wanted = ownerMetadata(inputs);
  for await (const job of client.fineTuning.jobs.list({ metadata: wanted }, {})) {
    const matches = Object.entries(wanted).every(([k, v]) => job.metadata?.[k] === v);
    if (!matches || FAILED_STATES.has(job.status)) continue;
    if (job.status !== SUCCEEDED || (await modelExists(client, job.fine_tuned_model))) return job;
  }
  return undefined;
}

async function modelExists(client: OpenAI, model: string | null): Promise<boolean> {
  if (!model) return false;
  try {
    await client.models.retrieve(model);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** OpenAI stops accepting new fine-tuning jobs on 2027-01-06; say so plainly when that is the refusal. */
function explainRefusal(err: unknown): never {
  if (err instanceof OpenAI.PermissionDeniedError) {
    throw new Error(
      `${describeApiError("OpenAI refused to create a fine-tuning job", err)}. This organisation cannot start new fine-tuning jobs ` +
        "(OpenAI stops accepting them on 2027-01-06). Existing fine-tuned models stay managed: refresh, import and destroy keep working.",
    );
  }
  throw err;
}

/**
 * Waits for the job and turns its end into outputs. At the deadline the resource is saved as partial
 * (with the job id) and the next `up` resumes here through update; a failed job fails the deployment
 * with the API's code and message.
 */
async function finish(client: OpenAI, inputs: FineTunedModelInputs, job: FineTuningJob, provider: unknown, replayHistory = false): Promise<FineTunedModelOutputs> {
  const label = resourceName(inputs);
  const deadline = Date.now() + inputs.waitTimeoutMinutes * 60_000;
  const options = { label, deadline, maxIntervalMs: inputs.pollIntervalSeconds * 1000, progress: inputs.progress, replayHistory };
  const outcome = await waitForJob(client, job, options).catch((err) => {
    throw waitFailure(label, job.id, err);
  });
  const outs = await describeJob(client, inputs, outcome.job);
  if (!outcome.done) {
    const message = `${label}: job ${job.id} is still ${outcome.job.status} after ${inputs.waitTimeoutMinutes} minute(s); run \`pulumi up\` again to keep waiting (no new job will be created)`;
    throw new PartialResourceError(message, job.id, { ...outs, __provider: provider });
  }
  if (outcome.job.status !== SUCCEEDED) {
    const why = outcome.job.error ? `${outcome.job.error.code}: ${outcome.job.error.message}` : "no error given";
    const message = `${label}: fine-tuning job ${job.id} ${outcome.job.status} (${why})`;
    // Saved with its status, so the next `up` trains again instead of waiting on a dead job.
    throw new PartialResourceError(message, job.id, { ...outs, __provider: provider });
  }
  info(`${label}: trained ${outs.fineTunedModel} (${outs.trainedTokens ?? "?"} tokens)`);
  return outs;
}

/** A wait that ends in an error still leaves the job training: say so, and what the next `up` does. */
function waitFailure(label: string, jobId: string, err: unknown): Error {
  return new Error(`${describeApiError(`${label}: waiting for fine-tuning job ${jobId}`, err)}; the job exists at the API and keeps training; the next \`pulumi up\` finds it again (no second job)`);
}

async function describeJob(client: OpenAI, inputs: FineTunedModelInputs, job: FineTuningJob): Promise<FineTunedModelOutputs> {
  const checkpoints = job.status === SUCCEEDED ? (await client.fineTuning.jobs.checkpoints.list(job.id, { limit: 10 })).data : [];
  return outputsFromJob(inputs, job, checkpoints, await shutdownDateOf(client, inputs.baseModel));
}

async function shutdownDateOf(client: OpenAI, model: string): Promise<string | null> {
  try {
    const found = (await client.models.retrieve(model)) as { shutdown_date?: string | null };
    return found.shutdown_date ?? null;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/**
 * Refresh: a job gone from the API is reported gone; a model deleted outside Pulumi is marked
 * `modelDeleted`, which diff turns into a retrain. Import by job id: inputs read from the job.
 */
async function read(id: string, props: Props = {}): Promise<dynamic.ReadResult> {
  const client = createClient();
  let job: FineTuningJob;
  try {
    job = await client.fineTuning.jobs.retrieve(id);
  } catch (err) {
    if (isNotFound(err)) return {};
    throw new Error(`${describeApiError(`${ownerName(props, id)}: refreshing: reading fine-tuning job ${id}`, err)}; the state is unchanged`);
  }
  const modelDeleted = job.status === SUCCEEDED && !(await modelExists(client, job.fine_tuned_model));
  const imported = props.baseModel === undefined;
  if (modelDeleted && imported) throw new Error(`job ${id} succeeded but its model ${job.fine_tuned_model} was deleted: nothing to import`);
  const inputs = imported ? importedInputs(id, job) : fineTunedModelSchema.parse(props);
  const outs = { ...(await describeJob(client, inputs, job)), ...estimatesOf(props), ...(modelDeleted ? { modelDeleted } : {}) };
  if (modelDeleted) warn(`${resourceName(inputs)}: model ${job.fine_tuned_model} was deleted outside Pulumi; the next \`pulumi up\` trains it again`);
  return { id, props: outs, inputs: imported ? echoInputs(fineTunedModelSchema, inputs) : undefined };
}

function importedInputs(id: string, job: FineTuningJob): FineTunedModelInputs {
  return fineTunedModelSchema.parse({ ...inputsFromJob(job), owner: `imported/${id}` });
}

/** Kept from state: a refresh has no dataset to estimate from. Absent stays absent (the engine refuses undefined). */
function estimatesOf(props: Props): Partial<FineTunedModelOutputs> {
  const keys = ["estimatedTrainingTokens", "estimatedCostUsd"] as const;
  return Object.fromEntries(keys.filter((key) => props[key] !== undefined).map((key) => [key, props[key]]));
}

/**
 * Two reasons to be here: a partial resource (the last `up` stopped waiting), which resumes waiting on
 * the same job; or a provider-side setting changed, which needs no API call at all.
 */
async function update(id: string, olds: Props, news: Props): Promise<dynamic.UpdateResult> {
  const inputs = fineTunedModelSchema.parse(news);
  const label = resourceName(inputs);
  if (olds.status !== SUCCEEDED) {
    const client = createClient();
    info(`${label}: resuming the wait for job ${id}`);
    const job = await client.fineTuning.jobs.retrieve(id).catch((err) => {
      throw wrapApiError(`${label}: reading job ${id}`, err);
    });
    return { outs: await finish(client, inputs, job, news.__provider) };
  }
  for (const key of ["metadata", "integrations"] as const) {
    if (canonicalJson(olds[key]) !== canonicalJson(inputs[key])) {
      warn(`${label}: the API cannot change the ${key} of existing job ${id}; the new ${key} is recorded and applies to the next training`);
    }
  }
  return { outs: { ...olds, ...echoInputs(fineTunedModelSchema, inputs) } };
}

/** Cancels a job still training, then deletes the model (unless kept) and the job's result files. */
async function remove(id: string, props: Props): Promise<void> {
  const client = createClient();
  const keepModel = props.deleteModelOnDestroy === false;
  let job: FineTuningJob;
  try {
    job = await client.fineTuning.jobs.retrieve(id);
  } catch (err) {
    if (isNotFound(err)) return;
    throw new Error(`${describeApiError(`${ownerName(props, id)}: deleting: reading job ${id}`, err)}; nothing was deleted (the job and its model are still there)`);
  }
  if (!isFinished(job.status)) job = await cancel(client, job);
  if (job.fine_tuned_model && !keepModel) await deleteIgnoringMissing(() => client.models.delete(job.fine_tuned_model as string), `model ${job.fine_tuned_model}`);
  for (const file of job.result_files) await deleteIgnoringMissing(() => client.files.delete(file), `result file ${file}`);
}

async function cancel(client: OpenAI, job: FineTuningJob): Promise<FineTuningJob> {
  try {
    return await client.fineTuning.jobs.cancel(job.id);
  } catch (err) {
    // It may have finished meanwhile: what is there now decides what to delete.
    const now = await client.fineTuning.jobs.retrieve(job.id);
    if (isFinished(now.status)) return now;
    throw wrapApiError(`cancelling job ${job.id}`, err);
  }
}

/** The resource's name from its stored owner, or the id when the state has none (an import). */
function ownerName(props: Props | undefined, id: string): string {
  return typeof props?.owner === "string" ? (props.owner.split("/").pop() ?? id) : id;
}

function resourceName(inputs: Pick<FineTunedModelInputs, "owner">): string {
  return inputs.owner.split("/").pop() ?? inputs.owner;
}

export const provider: Required<dynamic.ResourceProvider> = reportedOnce(withStateVersions(fineTunedModelDeclaration, {
  configure: configureProvider,
  check,
  diff,
  create,
  read,
  update,
  delete: remove,
}));
