/**
 * The ModelDeployment provider methods: "this stack serves this model". It never trains and never
 * deletes the model: create and update check that the model exists and is callable, read its lineage
 * from the API and record a serving marker (provider/serving.ts) that the owner's delete respects.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type OpenAI from "openai";
import type { Model } from "openai/resources/models";
import { checkConnectionInput } from "../check-connection";
import { configureProvider } from "../client";
import { clientOf, resolveConnection } from "../connections";
import { isNotFound, wrapApiError } from "../errors";
import { datasetHashOfJob, findJobOfModel, ownerOfJob, shutdownDateOf } from "../lineage";
import { info, warn } from "../log";
import { findModel, parseFineTunedId } from "../models";
import { warnIfRetiring } from "../retirement";
import { reportedOnce } from "../report-once";
import { checkInputs, diffInputs, echoInputs, withStateVersions } from "../schema";
import { parseOwner, recordServing, removeServing, type ServingMarker } from "../serving";
import { modelDeploymentDeclaration, modelDeploymentSchema, type ModelDeploymentInputs, type ModelDeploymentOutputs } from "./schema";

type Props = Record<string, unknown>;

/** Base models' owners on OpenAI and the emulator: a model owned by them is not a fine-tune. */
const PLATFORM_OWNERS = new Set(["system", "openai", "openai-internal"]);

async function check(_olds: Props, news: Props): Promise<dynamic.CheckResult> {
  const { inputs, unknown, failures } = checkInputs(modelDeploymentSchema, news);
  if (failures.length > 0) return { inputs, failures: failures.map((f) => explainMissingModel(f, news)) };
  const connection = checkConnectionInput(inputs.connection, unknown.has("connection"));
  if (connection.failure) return { inputs, failures: [connection.failure] };
  const problems = [
    unknown.has("model") ? undefined : baseModelFailure(inputs.model),
    unknown.has("evaluation") || unknown.has("model") ? undefined : evaluationFailure(inputs),
  ].filter((f): f is dynamic.CheckFailure => f !== undefined);
  return { inputs, failures: problems };
}

/** A StackReference output the other stack does not export arrives as nothing: say where to look. */
function explainMissingModel(failure: dynamic.CheckFailure, news: Props): dynamic.CheckFailure {
  if (failure.property !== "model" || news.model !== undefined) return failure;
  return { property: "model", reason: "no model given (a StackReference output that the other stack does not export is undefined: check its `pulumi stack output`)" };
}

function isFineTuneId(model: string): boolean {
  return parseFineTunedId(model) !== undefined || /\.ft-[0-9a-f]+/.test(model);
}

/** Refused with no API call: a base model is served by the platform, not deployed by a stack. */
function baseModelFailure(model: string): dynamic.CheckFailure | undefined {
  if (isFineTuneId(model) || !findModel(model)) return undefined;
  return { property: "model", reason: baseModelMessage(model) };
}

function baseModelMessage(model: string): string {
  return `${model} is a base model, not a fine-tuned one: ModelDeployment serves a model trained by a FineTunedModel (pass the FineTunedModel, its ft: id, or another stack's output)`;
}

function evaluationFailure(inputs: ModelDeploymentInputs): dynamic.CheckFailure | undefined {
  const evaluation = inputs.evaluation;
  if (!evaluation) return undefined;
  const name = evaluation.name ? `evaluation ${evaluation.name}` : "the evaluation";
  if (evaluation.model !== undefined && evaluation.model !== inputs.model) {
    return { property: "evaluation", reason: `${name} judged ${evaluation.model}, not ${inputs.model}: evaluate the model this deployment serves` };
  }
  if (evaluation.passed) return undefined;
  return { property: "evaluation", reason: `${name} of ${inputs.model} did not pass: ${inputs.model} is not served (see its report under .openai-finetune/evaluations/)` };
}

async function diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
  warnIfRetiring(olds.model as string | undefined, olds.baseModel as string | undefined, olds.baseModelShutdownDate as string | null | undefined);
  const result = diffInputs(modelDeploymentSchema, olds, news);
  // A model deleted since the last up: the next up must say so rather than report nothing to do.
  return olds.modelDeleted === true ? { ...result, changes: true } : result;
}

function labelOf(inputs: Pick<ModelDeploymentInputs, "servedBy">): string {
  return inputs.servedBy.split("/").pop() ?? inputs.servedBy;
}

function markerOf(inputs: ModelDeploymentInputs): ServingMarker {
  const servedBy = parseOwner(inputs.servedBy);
  if (!servedBy) throw new Error(`servedBy must be project/stack/resource, not ${inputs.servedBy}`);
  return { model: inputs.model, servedBy };
}

/** The model as the API has it; a missing one is a clear error, with nothing recorded. */
async function callableModel(client: OpenAI, inputs: ModelDeploymentInputs, operation: string): Promise<Model> {
  const label = labelOf(inputs);
  try {
    return await client.models.retrieve(inputs.model);
  } catch (err) {
    if (isNotFound(err)) {
      throw new Error(`${label}: ${operation}: model ${inputs.model} does not exist (never trained, or deleted): nothing is served or recorded`);
    }
    throw wrapApiError(`${label}: ${operation}: reading model ${inputs.model}`, err);
  }
}

/** Checks the model, reads its lineage from the API, and records that this stack serves it. */
async function serve(inputs: ModelDeploymentInputs, operation: string): Promise<ModelDeploymentOutputs> {
  const label = labelOf(inputs);
  const refusal = evaluationFailure(inputs);
  if (refusal) throw new Error(`${label}: ${operation}: ${refusal.reason}`);
  const client = clientFor(inputs);
  const model = await callableModel(client, inputs, operation);
  const job = await findJobOfModel(client, inputs.model).catch((err) => {
    throw wrapApiError(`${label}: ${operation}: listing fine-tuning jobs for ${inputs.model}'s lineage`, err);
  });
  if (!job && (PLATFORM_OWNERS.has(model.owned_by) || !isFineTuneId(model.id))) {
    throw new Error(`${label}: ${operation}: ${baseModelMessage(inputs.model)}; nothing was recorded`);
  }
  const baseModel = job?.model ?? parseFineTunedId(inputs.model) ?? null;
  const ownShutdown = (model as { shutdown_date?: string | null }).shutdown_date;
  const markerFileId = await recordServing(client, markerOf(inputs)).catch((err) => {
    throw wrapApiError(`${label}: ${operation}: recording that this stack serves ${inputs.model}`, err);
  });
  return {
    ...(echoInputs(modelDeploymentSchema, inputs) as ModelDeploymentInputs),
    jobId: job?.id ?? null,
    baseModel,
    trainingFileId: job?.training_file ?? null,
    datasetHash: job ? await datasetHashOfJob(client, job) : null,
    owner: job ? ownerOfJob(job) : null,
    baseModelShutdownDate: ownShutdown ?? (baseModel ? await shutdownDateOf(client, baseModel) : null),
    markerFileId,
  };
}

async function create(news: Props): Promise<dynamic.CreateResult> {
  const inputs = modelDeploymentSchema.parse(news);
  const outs = await serve(inputs, "create");
  info(`${labelOf(inputs)}: serving ${inputs.model}${outs.owner ? ` (trained by ${outs.owner.project}/${outs.owner.stack})` : ""}`);
  return { id: inputs.servedBy, outs };
}

/** A promotion or a rollback: the new model is checked and marked served before the old marker goes. */
async function update(_id: string, olds: Props, news: Props): Promise<dynamic.UpdateResult> {
  const inputs = modelDeploymentSchema.parse(news);
  const outs = await serve(inputs, "update");
  const previous = olds.model as string | undefined;
  if (previous && previous !== inputs.model) {
    const client = clientFor(inputs);
    await removeServing(client, { ...markerOf(inputs), model: previous }).catch((err) => {
      throw wrapApiError(`${labelOf(inputs)}: removing the serving marker of the previous model ${previous}`, err);
    });
    info(`${labelOf(inputs)}: now serving ${inputs.model} (was ${previous}); nothing was trained or deleted`);
  }
  return { outs };
}

/** Refresh: a model deleted since the last up is marked, and the next up fails on it with the reason. */
async function read(id: string, props: Props = {}): Promise<dynamic.ReadResult> {
  if (props.model === undefined) throw new Error("ModelDeployment cannot be imported: declare it with the model to serve");
  const inputs = modelDeploymentSchema.parse(props);
  const client = clientFor(inputs);
  let model: Model;
  try {
    model = await client.models.retrieve(inputs.model);
  } catch (err) {
    if (!isNotFound(err)) throw wrapApiError(`${labelOf(inputs)}: reading model ${inputs.model}`, err);
    warn(`${labelOf(inputs)}: model ${inputs.model} was deleted: this stack serves nothing; the next \`pulumi up\` fails until \`model\` names an existing model`);
    return { id, props: { ...props, modelDeleted: true } };
  }
  const { modelDeleted: _gone, ...rest } = props;
  const shutdown = (model as { shutdown_date?: string | null }).shutdown_date;
  return { id, props: { ...rest, baseModelShutdownDate: shutdown ?? props.baseModelShutdownDate ?? null } };
}

/** Removes this stack's serving marker; the model itself stays (its owner decides). */
async function remove(_id: string, props: Props): Promise<void> {
  const inputs = modelDeploymentSchema.parse(props);
  const client = clientFor(inputs);
  await removeServing(client, markerOf(inputs)).catch((err) => {
    throw wrapApiError(`${labelOf(inputs)}: removing the serving marker of ${inputs.model}`, err);
  });
  info(`${labelOf(inputs)}: no longer serving ${inputs.model} (the model is left to its owner)`);
}

function clientFor(inputs: Pick<ModelDeploymentInputs, "connection">): OpenAI {
  return clientOf(resolveConnection(inputs.connection));
}

export const provider: Required<dynamic.ResourceProvider> = reportedOnce(withStateVersions(modelDeploymentDeclaration, {
  configure: configureProvider,
  check,
  diff,
  create,
  read,
  update,
  delete: remove,
}));
