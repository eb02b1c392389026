/**
 * The ModelDeployment provider methods: "this stack serves this model". It never trains and never
 * deletes the model: create and update check that the model exists and is callable, read its lineage
 * from the API and record a serving marker (provider/serving.ts) that the owner's delete respects.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type OpenAI from "openai";
import type { Model } from "openai/resources/models";
import { defineProvider } from "../define-provider";
import { checkConnectionInput } from "../check-connection";
import { clientOf, resolveConnection, withConnection, type Connection } from "../connections";
import { PartialResourceError, isNotFound, wrapApiError } from "../errors";
import { datasetHashOfJob, findJobOfModel, ownerOfJob, shutdownDateOf } from "../lineage";
import { info, warn } from "../log";
import { findModel, parseFineTunedId } from "../models";
import { warnIfRetiring } from "../retirement";
import { checkInputs, diffInputs, echoInputs, sameValue } from "../schema";
import { parseOwner, recordServing, removeServing, type ServingMarker } from "../serving";
import { deleteAzureDeployment, deployOnAzure, describeArmError, deploymentNameOf, deploymentTarget, managementEndpointOf, readAzureDeployment, type AzureDeploymentInput, type AzureDeploymentOutputs } from "./azure";
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
    unknown.has("azure") ? undefined : azureFailure(inputs, connection.value),
    unknown.has("model") ? undefined : baseModelFailure(inputs.model),
    unknown.has("evaluation") || unknown.has("model") ? undefined : evaluationFailure(inputs),
  ].filter((f): f is dynamic.CheckFailure => f !== undefined);
  return { inputs, failures: problems };
}

/** On Azure a fine-tuned model answers only through a deployment; elsewhere there is none to make. */
function azureFailure(inputs: ModelDeploymentInputs, connection: Connection | undefined): dynamic.CheckFailure | undefined {
  if (!connection) return undefined;
  const name = connection.name === undefined ? "the default connection" : `connection "${connection.name}"`;
  if (connection.kind === "azure" && !inputs.azure) {
    return {
      property: "azure",
      reason: `${name} is Azure OpenAI, where a fine-tuned model answers only through a deployment: give azure: {subscriptionId, resourceGroup, account, sku: {name: "Standard"}} (a Resource Manager deployment, billed per hour)`,
    };
  }
  if (connection.kind !== "azure" && inputs.azure) {
    return { property: "azure", reason: `${name} is not an Azure connection (kind "${connection.kind}"): azure deployments are made only on Azure OpenAI; remove azure or name an Azure connection` };
  }
  if (!inputs.azure) return undefined;
  try {
    managementEndpointOf(connection);
  } catch (err) {
    return { property: "connection", reason: (err as Error).message };
  }
  return undefined;
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
  const judged = evaluation.fineTunedModel ?? evaluation.model;
  if (judged !== undefined && judged !== inputs.model) {
    return { property: "evaluation", reason: `${name} judged ${judged}, not ${inputs.model}: evaluate the model this deployment serves` };
  }
  if (evaluation.passed) return undefined;
  return { property: "evaluation", reason: `${name} of ${inputs.model} did not pass: ${inputs.model} is not served (see its report under .openai-finetune/evaluations/)` };
}

async function diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
  const recorded = recordedInputs(olds);
  warnIfRetiring(recorded.model as string | undefined, olds.baseModel as string | undefined, olds.baseModelShutdownDate as string | null | undefined);
  const result = diffInputs(modelDeploymentSchema, recorded, news);
  const replaces = (result.replaces ?? []).filter((key) => key !== "azure" || replacesDeployment(recorded, news));
  // A model deleted since the last up must be named by the next up; a deployment gone is made again.
  const changes = result.changes || olds.modelDeleted === true || olds.deploymentDeleted === true;
  // The same Resource Manager name cannot hold the old and the new deployment at once.
  const sameTarget = replaces.length > 0 && sameDeploymentTarget(recorded, news);
  return { ...result, changes, replaces, ...(sameTarget ? { deleteBeforeReplace: true } : {}) };
}

/** State keeps the deployment's name in `model` on Azure: the program's `model` is compared with the fine-tune. */
function recordedInputs(props: Props): Props {
  return props.fineTunedModel === undefined ? props : { ...props, model: props.fineTunedModel };
}

/** Capacity scales in place; another account, name, SKU or source is another deployment. */
function replacesDeployment(olds: Props, news: Props): boolean {
  const before = olds.azure as AzureDeploymentInput | undefined;
  const after = news.azure as AzureDeploymentInput | undefined;
  if (sameValue(before, after)) return false;
  if (!before || !after) return true;
  const withoutCapacity = (a: AzureDeploymentInput) => ({ ...a, sku: { ...a.sku, capacity: undefined } });
  return !sameValue(withoutCapacity(before), withoutCapacity(after));
}

function sameDeploymentTarget(olds: Props, news: Props): boolean {
  const before = olds.azure as AzureDeploymentInput | undefined;
  const after = news.azure as AzureDeploymentInput | undefined;
  if (!before || !after || typeof olds.servedBy !== "string" || typeof news.servedBy !== "string") return false;
  return deploymentTarget(before, olds.servedBy) === deploymentTarget(after, news.servedBy);
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

type Lineage = Pick<ModelDeploymentOutputs, "jobId" | "baseModel" | "trainingFileId" | "datasetHash" | "owner" | "baseModelShutdownDate">;

/** Checks the model, reads its lineage from the API, records that this stack serves it and, on Azure, deploys it. */
async function serve(inputs: ModelDeploymentInputs, operation: string, provider: unknown): Promise<ModelDeploymentOutputs> {
  const label = labelOf(inputs);
  const refusal = evaluationFailure(inputs);
  if (refusal) throw new Error(`${label}: ${operation}: ${refusal.reason}`);
  const client = clientFor(inputs);
  const lineage = inputs.azure?.source ? lineageElsewhere(inputs, inputs.azure.source) : await lineageOf(client, inputs, operation);
  const markerFileId = await recordServing(client, markerOf(inputs)).catch((err) => {
    throw wrapApiError(`${label}: ${operation}: recording that this stack serves ${inputs.model}`, err);
  });
  const outs: ModelDeploymentOutputs = {
    ...(echoInputs(modelDeploymentSchema, inputs) as ModelDeploymentInputs),
    ...lineage,
    markerFileId,
    fineTunedModel: inputs.model,
    deploymentName: null,
    endpoint: null,
    provisioningState: null,
  };
  return inputs.azure ? { ...outs, ...(await deployed(inputs, inputs.azure, operation, outs, provider)) } : outs;
}

/** The model as this connection's API has it, and where it came from. */
async function lineageOf(client: OpenAI, inputs: ModelDeploymentInputs, operation: string): Promise<Lineage> {
  const label = labelOf(inputs);
  const model = await callableModel(client, inputs, operation);
  const job = await findJobOfModel(client, inputs.model).catch((err) => {
    throw wrapApiError(`${label}: ${operation}: listing fine-tuning jobs for ${inputs.model}'s lineage`, err);
  });
  if (!job && (PLATFORM_OWNERS.has(model.owned_by) || !isFineTuneId(model.id))) {
    throw new Error(`${label}: ${operation}: ${baseModelMessage(inputs.model)}; nothing was recorded`);
  }
  const baseModel = job?.model ?? parseFineTunedId(inputs.model) ?? null;
  const ownShutdown = (model as { shutdown_date?: string | null }).shutdown_date;
  return {
    jobId: job?.id ?? null,
    baseModel,
    trainingFileId: job?.training_file ?? null,
    datasetHash: job ? await datasetHashOfJob(client, job) : null,
    owner: job ? ownerOfJob(job) : null,
    baseModelShutdownDate: ownShutdown ?? (baseModel ? await shutdownDateOf(client, baseModel) : null),
  };
}

/** A model trained in another Azure account (`source`): this connection's data plane does not have it; Resource Manager checks it. */
function lineageElsewhere(inputs: ModelDeploymentInputs, source: string): Lineage {
  info(`${labelOf(inputs)}: ${inputs.model} was trained in ${source.split("/").pop()}: its lineage is read there, not here; Resource Manager checks that it exists`);
  return { jobId: null, baseModel: null, trainingFileId: null, datasetHash: null, owner: null, baseModelShutdownDate: null };
}

/**
 * The Resource Manager deployment, created or updated. One that fails after the serving marker was
 * recorded is kept as a partial resource: the stack knows what exists, the next `up` tries again and
 * `destroy` removes it.
 */
async function deployed(inputs: ModelDeploymentInputs, azure: AzureDeploymentInput, operation: string, outs: ModelDeploymentOutputs, provider: unknown) {
  const label = labelOf(inputs);
  const connection = resolveConnection(inputs.connection);
  try {
    return placementOf(await deployOnAzure(connection, azure, inputs.model, { label, owner: inputs.servedBy }));
  } catch (err) {
    const name = deploymentNameOf(azure, inputs.servedBy);
    const state = await readAzureDeployment(connection, azure, name).catch(() => undefined);
    const exists = state ? `deployment ${name} exists on ${azure.account} (${state.provisioningState}) and is recorded in the stack` : `no deployment ${name} exists on ${azure.account}`;
    const message = `${describeArmError(`${label}: ${operation}: deploying ${inputs.model} as ${name} on Azure`, err)}; ${exists}; the next \`pulumi up\` tries again, \`pulumi destroy\` removes what exists`;
    const partial = { ...outs, ...(state ? placementOf(state) : { deploymentName: name, endpoint: null, provisioningState: null }), deploymentDeleted: !state, __provider: provider };
    throw new PartialResourceError(message, inputs.servedBy, partial);
  }
}

function placementOf(d: AzureDeploymentOutputs): Pick<ModelDeploymentOutputs, "model" | "deploymentName" | "endpoint" | "provisioningState"> {
  return { model: d.model, deploymentName: d.deploymentName, endpoint: d.endpoint, provisioningState: d.provisioningState };
}

async function create(news: Props): Promise<dynamic.CreateResult> {
  const inputs = modelDeploymentSchema.parse(news);
  const outs = await serve(inputs, "create", news.__provider);
  info(`${labelOf(inputs)}: serving ${inputs.model}${outs.owner ? ` (trained by ${outs.owner.project}/${outs.owner.stack})` : ""}`);
  return { id: inputs.servedBy, outs };
}

/** A promotion, a rollback or a new capacity: the new model is checked and marked served before the old marker goes. */
async function update(_id: string, olds: Props, news: Props): Promise<dynamic.UpdateResult> {
  const inputs = modelDeploymentSchema.parse(news);
  const outs = await serve(inputs, "update", news.__provider);
  const previous = recordedInputs(olds).model as string | undefined;
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
  const inputs = modelDeploymentSchema.parse(recordedInputs(props));
  // A model from another account is not in this data plane: the deployment is what can be read.
  if (inputs.azure?.source) return { id, props: { ...props, ...(await readPlacement(inputs, inputs.azure, props)) } };
  return withConnection(inputs.connection, "refresh", (client) => readWith(client, id, props, inputs));
}

async function readWith(client: OpenAI, id: string, props: Props, inputs: ModelDeploymentInputs): Promise<dynamic.ReadResult> {
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
  const placement = inputs.azure ? await readPlacement(inputs, inputs.azure, props) : {};
  return { id, props: { ...rest, ...placement, baseModelShutdownDate: shutdown ?? props.baseModelShutdownDate ?? null } };
}

/** The Azure deployment as it is now; one gone (24 hours on Developer, 15 days idle, deleted by hand) is made again by the next up. */
async function readPlacement(inputs: ModelDeploymentInputs, azure: AzureDeploymentInput, props: Props): Promise<Props> {
  const label = labelOf(inputs);
  const name = (props.deploymentName as string | null | undefined) ?? deploymentNameOf(azure, inputs.servedBy);
  const now = await readAzureDeployment(resolveConnection(inputs.connection), azure, name).catch((err) => {
    throw new Error(describeArmError(`${label}: refresh: reading deployment ${name} on ${azure.account}`, err));
  });
  if (now) return { ...placementOf(now), deploymentDeleted: undefined };
  const why = azure.sku.name === "Developer" ? "a Developer deployment lives 24 hours" : "Azure deletes a deployment after 15 days without calls";
  warn(`${label}: deployment ${name} no longer exists on ${azure.account} (${why}, or it was deleted outside Pulumi): nothing serves ${inputs.model}; the next \`pulumi up\` deploys it again`);
  return { provisioningState: null, deploymentDeleted: true };
}

/** Removes the Azure deployment (when there is one) and this stack's serving marker; the model itself stays (its owner decides). */
async function remove(_id: string, props: Props): Promise<void> {
  const inputs = modelDeploymentSchema.parse(recordedInputs(props));
  const label = labelOf(inputs);
  if (inputs.azure) {
    const name = (props.deploymentName as string | null | undefined) ?? deploymentNameOf(inputs.azure, inputs.servedBy);
    await deleteAzureDeployment(resolveConnection(inputs.connection), inputs.azure, name, label).catch((err) => {
      throw new Error(`${describeArmError(`${label}: delete: deleting deployment ${name} on ${inputs.azure!.account}`, err)}; it still exists and the stack still holds it`);
    });
  }
  await withConnection(inputs.connection, "destroy", (client) =>
    removeServing(client, markerOf(inputs)).catch((err) => {
      throw wrapApiError(`${label}: removing the serving marker of ${inputs.model}`, err);
    }),
  );
  info(`${label}: no longer serving ${inputs.model} (the model is left to its owner)`);
}

function clientFor(inputs: Pick<ModelDeploymentInputs, "connection">): OpenAI {
  return clientOf(resolveConnection(inputs.connection));
}

export const provider: Required<dynamic.ResourceProvider> = defineProvider(modelDeploymentDeclaration, {
  check,
  diff,
  create,
  read,
  update,
  delete: remove,
});
