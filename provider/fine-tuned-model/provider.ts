/**
 * The FineTunedModel provider methods. A job is found before one is created (its metadata names the
 * resource and what defines the training), so an interrupted `pulumi up` never pays twice; a wait that
 * outlives its deadline saves the job id as a partial resource and the next `up` resumes it.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import OpenAI from "openai";
import type { FineTuningJob } from "openai/resources/fine-tuning/jobs/jobs";
import { clientOf, platformOf, withConnection, resolveConnection, type Connection } from "../connections";
import { PartialResourceError, deleteIgnoringMissing, describeApiError, isNotFound, isTransient, wrapApiError } from "../errors";
import { info, infoOnce, warn } from "../log";
import { platformFacts, rootBaseOf, type Platform } from "../models";
import { capRefusal } from "../cost-cap";
import { describeEstimate, preflight } from "../preflight";
import { RETIREMENT_WARNING_DAYS, trainingAvailability } from "../retirement";
import { now } from "../clock";
import { findOrCreate } from "../retry";
import { canonicalJson, checkInputs, containsUnknown, diffInputs, echoInputs, replacingFields, type CheckedInputs } from "../schema";
import { warnIfRetiring } from "../retirement";
import { datasetHashOfJob, ownerOfJob, shutdownDateOf } from "../lineage";
import { describeStack, parseOwner, servingStacks } from "../serving";
import { defineProvider } from "../define-provider";
import { checkConnectionInput } from "../check-connection";
import { effectiveMethod, epochsOf, inputsFromJob, jobParams, outputsFromJob, ownerMetadata } from "./job";
import { MAX_USER_METADATA_KEYS, OWNER_KEY, fineTunedModelDeclaration, fineTunedModelSchema, type FineTunedModelInputs, type FineTunedModelOutputs } from "./schema";
import { verifyBaseModel, wouldTrain } from "./verify";
import { FAILED_STATES, SUCCEEDED, isFinished, waitForJob } from "./wait";


type Props = Record<string, unknown>;

async function check(olds: Props | undefined, news: Props): Promise<dynamic.CheckResult> {
  const checked = checkInputs(fineTunedModelSchema, news);
  const { inputs } = checked;
  if (checked.failures.length > 0) return { inputs, failures: checked.failures };
  const connection = checkConnectionInput(inputs.connection, checked.unknown.has("connection"));
  if (connection.failure) return { inputs, failures: [connection.failure] };
  const platform = connection.value ? platformOf(connection.value) : undefined;
  const failures = [...crossFieldFailures(checked, platform), ...availabilityFailures(olds ?? {}, checked, platform), ...metadataFailures(olds, checked)];
  if (failures.length > 0) return { inputs, failures };
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

function crossFieldFailures({ inputs, unknown }: CheckedInputs<FineTunedModelInputs>, platform: Platform | undefined): dynamic.CheckFailure[] {
  const failures: dynamic.CheckFailure[] = [];
  if (inputs.method && inputs.hyperparameters) {
    failures.push({ property: "hyperparameters", reason: "give hyperparameters either in `method.hyperparameters` or at the top level, not both" });
  }
  // A fine-tuned base is traced to its root: DPO on a gpt-4o-mini fine-tune is refused here, not after paying for the first model.
  const facts = unknown.has("baseModel") || !platform ? undefined : platformFacts(inputs.baseModel, platform);
  const method = unknown.has("method") ? undefined : effectiveMethod(inputs).type;
  if (facts?.methods && method && !facts.methods.includes(method)) {
    const root = rootBaseOf(inputs.baseModel);
    const named = root === inputs.baseModel ? inputs.baseModel : `${inputs.baseModel} (a fine-tune of ${root})`;
    failures.push({ property: "method", reason: `${named} does not support ${method} fine-tuning on ${platform === "azure" ? "Azure OpenAI" : "OpenAI"} (it supports: ${facts.methods.join(", ")})` });
  }
  if (platform === "azure" && inputs.suffix?.includes(".")) failures.push({ property: "suffix", reason: "Azure OpenAI refuses dots in a suffix" });
  return failures;
}

/** 13 user keys leave room for the provider's 3; 14 (allowed before `pulumi_dataset`) stay valid on a trained job that keeps them. */
function metadataFailures(olds: Props | undefined, { inputs, unknown }: CheckedInputs<FineTunedModelInputs>): dynamic.CheckFailure[] {
  const keys = unknown.has("metadata") ? 0 : Object.keys(inputs.metadata ?? {}).length;
  if (keys <= MAX_USER_METADATA_KEYS) return [];
  const kept = olds?.jobId !== undefined && canonicalJson(olds.metadata) === canonicalJson(inputs.metadata);
  if (kept) return [];
  return [{ property: "metadata", reason: `at most ${MAX_USER_METADATA_KEYS} keys (the API allows 16; the provider uses 3: pulumi_owner, pulumi_inputs, pulumi_dataset), not ${keys}` }];
}

/**
 * Training would start (a new resource, or a change that retrains) on a retired base or on a platform
 * past its cutoff: refused here, from the model facts and the clock, with no API call.
 */
function availabilityFailures(olds: Props, { inputs, unknown }: CheckedInputs<FineTunedModelInputs>, platform: Platform | undefined): dynamic.CheckFailure[] {
  if (!platform || inputs.importJobId || unknown.has("baseModel") || !startsTraining(olds, inputs, unknown)) return [];
  const { refusal, warnings } = trainingAvailability(inputs.baseModel, platform);
  const label = resourceName(inputs);
  for (const w of warnings) warn(`${label}: ${w}`);
  return refusal ? [{ property: "baseModel", reason: `${label}: ${refusal}` }] : [];
}

function startsTraining(olds: Props, inputs: FineTunedModelInputs, unknown: Set<string>): boolean {
  if (olds.baseModel === undefined) return true;
  const echoed = echoInputs(fineTunedModelSchema, inputs);
  return replacingFields(fineTunedModelSchema).some((key) => unknown.has(key) || canonicalJson(olds[key]) !== canonicalJson(echoed[key]));
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
  infoOnce(`${label}: ${describeEstimate(report, inputs.baseModel)}`);
  const outputs = { estimatedTrainingTokens: report.billedTokens, estimatedCostUsd: report.estimatedCostUsd };
  const cap = inputs.maxTrainingCostUsd;
  const refusal = cap === undefined ? undefined : capRefusal(label, inputs.baseModel, report, cap);
  if (refusal) return { failure: { property: "maxTrainingCostUsd", reason: refusal }, priceUnknown: report.estimatedCostUsd === null };
  return { outputs };
}

async function diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
  warnIfRetiring((olds.fineTunedModel ?? olds.jobId) as string | undefined, olds.baseModel as string | undefined, olds.baseModelShutdownDate as string | null | undefined);
  // A failed or cancelled job, or a model deleted outside Pulumi, holds no model: train again, even with
  // unchanged inputs. Replacing (not forgetting) the old resource lets its delete clean up its files.
  if (FAILED_STATES.has(String(olds.status))) return { changes: true, replaces: ["status"], deleteBeforeReplace: false };
  if (olds.modelDeleted === true) return { changes: true, replaces: ["fineTunedModel"], deleteBeforeReplace: false };
  const result = diffInputs(fineTunedModelSchema, olds, news);
  return withoutNextTrainingSettings(result, olds, news);
}

/**
 * `metadata` and `integrations` cannot change on an existing job: a change only matters to the next
 * training. Reporting it as an update would make every output unknown at preview, and a model built on
 * this one would show a replace the real `up` never does; so it is no change, with a warning.
 */
function withoutNextTrainingSettings(result: dynamic.DiffResult, olds: Props, news: Props): dynamic.DiffResult {
  const changed = NEXT_TRAINING_KEYS.filter((key) => containsUnknown(news[key]) || canonicalJson(olds[key]) !== canonicalJson(news[key]));
  if (changed.length === 0 || (result.replaces ?? []).length > 0) return result;
  for (const key of changed.filter((k) => !containsUnknown(news[k]))) {
    warn(`${olds.fineTunedModel ?? olds.jobId}: the API cannot change the ${key} of existing job ${olds.jobId}; the new ${key} applies to the next training`);
  }
  const others = diffInputs(fineTunedModelSchema, { ...olds, ...Object.fromEntries(changed.map((k) => [k, news[k]])) }, news);
  return { ...result, changes: others.changes };
}

const NEXT_TRAINING_KEYS = ["metadata", "integrations"] as const;

async function create(news: Props): Promise<dynamic.CreateResult> {
  const inputs = fineTunedModelSchema.parse(news);
  const connection = resolveConnection(inputs.connection);
  const client = clientOf(connection);
  if (inputs.importJobId) return adopt(client, inputs, inputs.importJobId, news.__provider);
  const label = resourceName(inputs);
  const { value: job, created } = await findOrCreate({
    what: `${label}: creating the fine-tuning job`,
    noun: "job",
    find: () => findAdoptableJob(client, inputs),
    create: () => client.fineTuning.jobs.create(jobParams(inputs, platformOf(connection)), { maxRetries: 0 }).catch((err) => explainRefusal(err, connection)),
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
  refuseOtherOwner(inputs, job);
  const mismatches = importMismatches(inputs, inputsFromJob(job));
  const fileMismatch = mismatches.findIndex((m) => m.startsWith("trainingFile:"));
  if (fileMismatch >= 0 && (await sameTrainingData(client, inputs, job))) mismatches.splice(fileMismatch, 1);
  if (mismatches.length > 0) {
    throw new Error(`${label}: job ${jobId} was not trained as declared, so it is not imported:\n${mismatches.map((m) => `  ${m}`).join("\n")}`);
  }
  info(`${label}: importing job ${jobId} (${job.status}); nothing is trained`);
  return { id: job.id, outs: await finish(client, inputs, job, provider) };
}

/**
 * A job another stack's resource trained is that stack's: adopting it would make two stacks own (and
 * delete) one model. Serving it is what ModelDeployment is for.
 */
function refuseOtherOwner(inputs: FineTunedModelInputs, job: FineTuningJob): void {
  const owner = job.metadata?.[OWNER_KEY];
  if (owner === undefined || owner === ownerMetadata(inputs)[OWNER_KEY]) return;
  const by = ownerOfJob(job);
  throw new Error(
    `${resourceName(inputs)}: job ${job.id} belongs to ${by ? describeStack(by) : `another resource (${owner})`}, so it is not imported: ` +
      `two stacks would own one model and either one's destroy would delete it. To serve that stack's model here, declare ` +
      `\`new ModelDeployment("…", { model: "${job.fine_tuned_model ?? "<its ft: model id>"}" })\` (or pass the other stack's output through a StackReference); nothing was created.`,
  );
}

/** The declared TrainingFile holds the same bytes as the job's training file (another file id, e.g. a re-upload). */
async function sameTrainingData(client: OpenAI, inputs: FineTunedModelInputs, job: FineTuningJob): Promise<boolean> {
  if (!inputs.trainingFileHash) return false;
  const hash = await datasetHashOfJob(client, job).catch((err) => {
    throw wrapApiError(`${resourceName(inputs)}: reading the training file ${job.training_file} of job ${job.id}`, err);
  });
  return hash === inputs.trainingFileHash;
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
function explainRefusal(err: unknown, connection: Connection): never {
  if (err instanceof OpenAI.PermissionDeniedError && connection.kind === "openai") {
    throw new Error(
      `${describeApiError("OpenAI refused to create a fine-tuning job", err)}. This organisation cannot start new fine-tuning jobs ` +
        "(OpenAI accepts none from 2027-01-06 on): train on Azure OpenAI instead, by giving the resource `connection` naming an Azure connection " +
        "(README, \"Moving off OpenAI fine-tuning\"). Existing fine-tuned models stay managed: refresh, import and destroy keep working.",
    );
  }
  // A transient failure stays as it is: findOrCreate looks again and retries it.
  if (err instanceof OpenAI.APIError && !isTransient(err)) throw wrapApiError(`${connection.kind === "azure" ? "Azure OpenAI" : "The API"} refused to create a fine-tuning job`, err);
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
  // The API's own date first; the model facts of the resource's platform when the API gives none.
  const known = platformFacts(inputs.baseModel, platformOf(resolveConnection(inputs.connection)))?.shutdownDate ?? null;
  return outputsFromJob(inputs, job, checkpoints, (await shutdownDateOf(client, inputs.baseModel)) ?? known);
}


/**
 * Refresh: a job gone from the API is reported gone; a model deleted outside Pulumi is marked
 * `modelDeleted`, which diff turns into a retrain. Import by job id: inputs read from the job.
 */
async function read(id: string, props: Props = {}): Promise<dynamic.ReadResult> {
  return withConnection(props.connection as string | undefined, "refresh", (client) => readWith(client, id, props));
}

async function readWith(client: OpenAI, id: string, props: Props): Promise<dynamic.ReadResult> {
  let job: FineTuningJob;
  try {
    job = await client.fineTuning.jobs.retrieve(id);
  } catch (err) {
    if (isNotFound(err)) return {};
    throw new Error(`${describeApiError(`${ownerName(props, id)}: refreshing: reading fine-tuning job ${id}`, err)}; the state is unchanged`, { cause: err });
  }
  const modelDeleted = job.status === SUCCEEDED && !(await modelExists(client, job.fine_tuned_model));
  const imported = props.baseModel === undefined;
  if (modelDeleted && imported) throw new Error(`job ${id} succeeded but its model ${job.fine_tuned_model} was deleted: nothing to import`);
  const inputs = imported ? importedInputs(id, job, props.connection as string | undefined) : fineTunedModelSchema.parse(props);
  const outs = { ...(await describeJob(client, inputs, job)), ...estimatesOf(props), ...(modelDeleted ? { modelDeleted } : {}) };
  if (modelDeleted) warn(`${resourceName(inputs)}: model ${job.fine_tuned_model} was deleted outside Pulumi; the next \`pulumi up\` trains it again`);
  return { id, props: outs, inputs: imported ? echoInputs(fineTunedModelSchema, inputs) : undefined };
}

function importedInputs(id: string, job: FineTuningJob, connection: string | undefined): FineTunedModelInputs {
  return fineTunedModelSchema.parse({ ...inputsFromJob(job), owner: `imported/${id}`, connection });
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
    const client = clientOf(resolveConnection(inputs.connection));
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
  await withConnection(props.connection as string | undefined, "destroy", (client) => removeWith(client, id, props));
}

async function removeWith(client: OpenAI, id: string, props: Props): Promise<void> {
  const keepModel = props.deleteModelOnDestroy === false;
  let job: FineTuningJob;
  try {
    job = await client.fineTuning.jobs.retrieve(id);
  } catch (err) {
    if (isNotFound(err)) return;
    throw new Error(`${describeApiError(`${ownerName(props, id)}: deleting: reading job ${id}`, err)}; nothing was deleted (the job and its model are still there)`);
  }
  const label = resourceName({ owner: String(props.owner ?? id) });
  if (ownedElsewhere(job, props)) {
    warn(`${label}: job ${id} belongs to ${job.metadata?.[OWNER_KEY]}, not to this resource: nothing of it is deleted`);
    return;
  }
  if (!isFinished(job.status)) job = await cancel(client, job);
  const model = job.fine_tuned_model;
  if (model && !keepModel && !(await keptForOtherStacks(client, label, model, props))) {
    await deleteIgnoringMissing(() => client.models.delete(model), `model ${model}`);
  }
  for (const file of job.result_files) await deleteIgnoringMissing(() => client.files.delete(file), `result file ${file}`);
}

/** A job imported (by an older version) from another stack's resource: deleting it would break that stack. */
function ownedElsewhere(job: FineTuningJob, props: Props): boolean {
  const owner = job.metadata?.[OWNER_KEY];
  if (owner === undefined || typeof props.owner !== "string" || props.owner.startsWith("imported/")) return false;
  return owner !== ownerMetadata({ ...(props as FineTunedModelInputs), owner: props.owner })[OWNER_KEY];
}

/**
 * A model another stack's ModelDeployment serves is kept (the choice documented in the README's
 * "Environments"): deleting it would break that stack. This stack's own deployments are gone by now
 * (they depend on the model, so the engine deleted them first, with their markers).
 */
async function keptForOtherStacks(client: OpenAI, label: string, model: string, props: Props): Promise<boolean> {
  const self = parseOwner(String(props.owner ?? ""));
  const others = await servingStacks(client, model, self ?? undefined).catch((err) => {
    throw wrapApiError(`${label}: listing which stacks serve ${model} before deleting it (nothing was deleted)`, err);
  });
  if (others.length === 0) return false;
  warn(
    `${label}: kept model ${model}: it is served by ${others.map(describeStack).join(", ")}. ` +
      "It is no longer managed by this stack; once no stack serves it, delete it with `npx openai-finetune models delete " + model + "`",
  );
  return true;
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

export const provider: Required<dynamic.ResourceProvider> = defineProvider(fineTunedModelDeclaration, {
  check,
  diff,
  create,
  read,
  update,
  delete: remove,
});
