/** The TrainingFile provider methods: a dataset checked, uploaded once, and deleted on destroy. */
import { access, constants } from "node:fs/promises";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { stat } from "node:fs/promises";
import type OpenAI from "openai";
import { defineProvider } from "../define-provider";
import { checkConnectionInput } from "../check-connection";
import { clientOf, resolveConnection, withConnection, type Connection } from "../connections";
import { deleteIgnoringMissing, describeApiError, isNotFound, wrapApiError } from "../errors";
import { info } from "../log";
import { dependentCapRefusals } from "../cost-cap";
import { hashFileContent } from "../lineage";
import { preflight } from "../preflight";
import { checkInputs, diffInputs, echoInputs } from "../schema";
import { FILES_API_LIMIT_BYTES, trainingFileDeclaration, trainingFileSchema, type TrainingFileInputs, type TrainingFileOutputs } from "./schema";
import { bytesOf, hashInUploadName, ownerTagInUploadName, ownerTagOf, upload, uploadName, waitUntilProcessed } from "./upload";
import type { FileObject } from "openai/resources/files";

async function check(_olds: unknown, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
  const { inputs, unknown, failures } = checkInputs(trainingFileSchema, news);
  if (failures.length > 0) return { inputs, failures };
  const connection = checkConnectionInput(inputs.connection, unknown.has("connection"));
  if (connection.failure) return { inputs, failures: [connection.failure] };
  if (unknown.has("path") || unknown.has("content")) return { inputs };
  const sourceFailure = (await checkSource(inputs)) ?? (await checkSize(inputs, connection.value));
  if (sourceFailure) return { inputs, failures: [sourceFailure] };
  if (inputs.purpose !== "fine-tune" || !inputs.validate) return { inputs };
  const label = inputs.path ?? "inline dataset";
  // The dataset's one pass (its tokens counted for every encoding, cached by hash): the models' checks
  // are arithmetic on it and read nothing.
  const source = inputs.path !== undefined ? { path: inputs.path } : { content: inputs.content ?? "" };
  const { failure } = await preflight(label, source, { sha256: inputs.contentHash }, "dataset");
  return failure ? { inputs, failures: [{ property: inputs.path !== undefined ? "path" : "content", reason: `${label}: ${failure}` }] } : { inputs };
}

/**
 * The caps of the models declared on this file, refused before the upload. Here and not in check:
 * a preview reports each cap on its model, and only an `up` without preview reaches this first.
 */
async function refuseOverCaps(inputs: TrainingFileInputs): Promise<void> {
  if (!inputs.costCaps?.length || inputs.purpose !== "fine-tune") return;
  const source = inputs.path !== undefined ? { path: inputs.path } : { content: inputs.content ?? "" };
  const refusals = await dependentCapRefusals(source, inputs.contentHash, inputs.costCaps);
  if (refusals.length === 0) return;
  const name = inputs.owner.split("/").pop() ?? inputs.owner;
  throw new Error(`${name}: uploading the training file: refused, nothing was uploaded, because a model declared on it would be refused:\n${refusals.map((r) => `  ${r}`).join("\n")}`);
}

async function checkSource(inputs: TrainingFileInputs): Promise<dynamic.CheckFailure | undefined> {
  if ((inputs.path === undefined) === (inputs.content === undefined)) {
    return { property: "path", reason: "give exactly one of `path` (a local JSONL file) or `content` (the dataset inline)" };
  }
  if (inputs.path !== undefined) {
    try {
      await access(inputs.path, constants.R_OK);
    } catch (err) {
      return { property: "path", reason: `cannot read dataset ${inputs.path}: ${(err as NodeJS.ErrnoException).code ?? err}` };
    }
  }
  if (inputs.content === "") return { property: "content", reason: "the dataset is empty" };
  if (!inputs.contentHash) return { property: "contentHash", reason: "missing: construct TrainingFile through its class, which hashes the dataset" };
  return undefined;
}

/** Azure has no Uploads API: its Files API takes up to 512 MB, larger files are imported from Blob storage. */
async function checkSize(inputs: TrainingFileInputs, connection: Connection | undefined): Promise<dynamic.CheckFailure | undefined> {
  if (connection?.kind !== "azure" || inputs.importFileId) return undefined;
  const size = inputs.path !== undefined ? (await stat(inputs.path)).size : Buffer.byteLength(inputs.content ?? "");
  if (size <= FILES_API_LIMIT_BYTES) return undefined;
  return {
    property: inputs.path !== undefined ? "path" : "content",
    reason: `${inputs.path ?? "inline dataset"} is ${size} bytes; Azure OpenAI's Files API takes at most ${FILES_API_LIMIT_BYTES} (512 MB): split the dataset, or import it from Azure Blob storage and give its id as importFileId`,
  };
}

async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult> {
  return diffInputs(trainingFileSchema, olds, news);
}

async function create(news: Record<string, unknown>): Promise<dynamic.CreateResult> {
  const inputs = trainingFileSchema.parse(news);
  const connection = resolveConnection(inputs.connection);
  const client = clientOf(connection);
  if (inputs.importFileId) return adopt(client, inputs, inputs.importFileId);
  await refuseOverCaps(inputs);
  const name = uploadName(inputs);
  // The upload hashes what it sends and refuses bytes other than the previewed ones (nothing is created then).
  const bytes = await bytesOf(inputs);
  const req = { bytes, name, purpose: inputs.purpose, partThreshold: connection.kind === "azure" ? Infinity : inputs.uploadPartThresholdBytes, sha256: inputs.contentHash ?? "", label: inputs.path ?? "inline dataset" };
  const { value, created } = await upload(client, req);
  if (!created) info(`${name}: already uploaded as ${value.id}; adopting it instead of uploading again`);
  const file = await waitUntilProcessed(client, value).catch((err) => {
    throw wrapApiError(`waiting for ${value.id} to be processed`, err);
  });
  return { id: file.id, outs: outputs(inputs, file) };
}

/** Import, done by the provider (Pulumi's `import` option cannot reach a dynamic provider): the bytes must match. */
async function adopt(client: OpenAI, inputs: TrainingFileInputs, fileId: string): Promise<dynamic.CreateResult> {
  const file = await client.files.retrieve(fileId).catch((err) => {
    throw wrapApiError(`reading file ${fileId} to import it`, err);
  });
  const remote = await hashRemote(client, fileId);
  if (remote !== inputs.contentHash) {
    throw new Error(`file ${fileId} does not hold the declared dataset (sha256 ${remote}, the dataset's is ${inputs.contentHash}), so it is not imported`);
  }
  const tag = ownerTagInUploadName(file.filename);
  if (tag !== undefined && tag !== ownerTagOf(inputs.owner)) {
    // Another resource (of this or another stack) uploaded it and deletes it: adopted read-only.
    info(`importing file ${fileId} (${file.filename}) read-only: another resource uploaded it, so this stack's destroy keeps it`);
    return { id: file.id, outs: { ...outputs(inputs, file), readOnly: true } };
  }
  info(`importing file ${fileId} (${file.filename}); nothing is uploaded`);
  return { id: file.id, outs: outputs(inputs, file) };
}

function outputs(inputs: TrainingFileInputs, file: FileObject): TrainingFileOutputs {
  return {
    ...(echoInputs(trainingFileSchema, inputs) as TrainingFileInputs),
    fileId: file.id,
    bytes: file.bytes,
    filename: file.filename,
    purpose: file.purpose as TrainingFileInputs["purpose"],
    status: file.status,
    createdAt: file.created_at,
  };
}

/** Refresh: reports a file deleted outside Pulumi as gone. Import: recovers the content hash. */
async function read(id: string, props?: Record<string, unknown>): Promise<dynamic.ReadResult> {
  return withConnection(props?.connection as string | undefined, "refresh", (client) => readWith(client, id, props));
}

async function readWith(client: OpenAI, id: string, props?: Record<string, unknown>): Promise<dynamic.ReadResult> {
  let file: FileObject;
  try {
    file = await client.files.retrieve(id);
  } catch (err) {
    if (isNotFound(err)) return {};
    const name = typeof props?.owner === "string" ? props.owner.split("/").pop() : id;
    throw new Error(`${describeApiError(`${name}: refreshing: reading file ${id}`, err)}; the state is unchanged`, { cause: err });
  }
  const old = (props ?? {}) as Partial<TrainingFileOutputs>;
  const contentHash = old.contentHash ?? hashInUploadName(file.filename) ?? (await hashRemote(client, id));
  const inputs: TrainingFileInputs = {
    ...(echoInputs(trainingFileSchema, old) as TrainingFileInputs),
    contentHash,
    purpose: file.purpose as TrainingFileInputs["purpose"],
    owner: old.owner ?? `imported/${id}`,
    uploadPartThresholdBytes: old.uploadPartThresholdBytes ?? trainingFileSchema.shape.uploadPartThresholdBytes.parse(undefined),
    validate: old.validate ?? true,
  };
  const imported = old.contentHash === undefined;
  const readProps = { ...outputs(inputs, file), ...(old.readOnly ? { readOnly: true } : {}) };
  return { id, props: readProps, inputs: imported ? echoInputs(trainingFileSchema, inputs) : undefined };
}

/** The sha256 of a file in the API, streamed: an import proves which bytes it holds. */
const hashRemote = hashFileContent;

/** Only provider-side settings update in place: nothing to tell the API. */
async function update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult> {
  const inputs = trainingFileSchema.parse(news);
  return { outs: { ...olds, ...echoInputs(trainingFileSchema, inputs) } };
}

async function remove(id: string, props: Record<string, unknown> = {}): Promise<void> {
  if (props.readOnly === true) {
    info(`kept file ${id}: it was imported read-only (another resource uploaded it)`);
    return;
  }
  await withConnection(props.connection as string | undefined, "destroy", (client) => deleteIgnoringMissing(() => client.files.delete(id), `file ${id}`));
}

export const provider: Required<dynamic.ResourceProvider> = defineProvider(trainingFileDeclaration, {
  check,
  diff,
  create,
  read,
  update,
  delete: remove,
});
