/** Getting a dataset's bytes into the API: whole through the Files API, or in parts through the Uploads API. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import OpenAI, { toStreamingFile } from "openai";
import type { FileObject } from "openai/resources/files";
import { formatBytes } from "../dataset";
import { info } from "../log";
import { isTransient } from "../errors";
import { findOrCreate, retryDelayMs, sleep } from "../retry";
import { cancelStaleUploads, forgetOpenUpload, rememberOpenUpload } from "./open-uploads";
import type { TrainingFileInputs } from "./schema";

/** The Uploads API's largest part. */
export const PART_BYTES = 64 * 1024 * 1024;

/** Where the bytes come from: a local file or the inline string. */
export type Bytes = { path: string; size: number } | { content: Buffer; size: number };

export async function bytesOf(inputs: TrainingFileInputs): Promise<Bytes> {
  if (inputs.path !== undefined) return { path: inputs.path, size: (await stat(inputs.path)).size };
  const content = Buffer.from(inputs.content ?? "", "utf8");
  return { content, size: content.length };
}

/**
 * The name the file gets in the API: the user's name, a tag of the owning resource, and the content
 * hash. Finding this exact name later means these bytes were already uploaded for this resource.
 */
export function uploadName(inputs: TrainingFileInputs): string {
  const given = inputs.filename ?? (inputs.path !== undefined ? basename(inputs.path) : "dataset.jsonl");
  const ext = extname(given) || ".jsonl";
  const ownerTag = ownerTagOf(inputs.owner);
  return `${given.slice(0, given.length - extname(given).length)}.${ownerTag}.${inputs.contentHash}${ext}`;
}

export function ownerTagOf(owner: string): string {
  return createHash("sha256").update(owner).digest("hex").slice(0, 8);
}

/** The uploading resource's tag in a name made by `uploadName`; undefined for other names. */
export function ownerTagInUploadName(filename: string): string | undefined {
  return /\.([0-9a-f]{8})\.[0-9a-f]{64}\.[^.]+$/.exec(filename)?.[1];
}

/** The content hash in a name made by `uploadName`, for imports of files this package uploaded. */
export function hashInUploadName(filename: string): string | undefined {
  return /\.([0-9a-f]{64})\.[^.]+$/.exec(filename)?.[1];
}

/** sha256 and md5 in one streamed pass: the first proves the bytes are those previewed, the second is the Uploads API's check. */
export async function digest(bytes: Bytes): Promise<{ sha256: string; md5: string }> {
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  for await (const chunk of streamOf(bytes)) {
    sha256.update(chunk);
    md5.update(chunk);
  }
  return { sha256: sha256.digest("hex"), md5: md5.digest("hex") };
}

function streamOf(bytes: Bytes, range?: { start: number; end: number }): AsyncIterable<Buffer> {
  if ("path" in bytes) return createReadStream(bytes.path, { highWaterMark: 1024 * 1024, ...range });
  const slice = range ? bytes.content.subarray(range.start, range.end + 1) : bytes.content;
  return (async function* () {
    yield slice;
  })();
}

export async function findUploaded(client: OpenAI, purpose: string, filename: string): Promise<FileObject | undefined> {
  for await (const file of client.files.list({ purpose }, {})) {
    if (file.filename === filename && file.status !== "error") return file;
  }
  return undefined;
}

/** Uploads once: a retry after a lost response finds the first upload by its name instead of paying twice. */
export async function upload(client: OpenAI, bytes: Bytes, name: string, purpose: TrainingFileInputs["purpose"], partThreshold: number, md5: string) {
  return findOrCreate({
    what: `uploading ${name}`,
    noun: "file",
    find: () => findUploaded(client, purpose, name),
    create: () => (bytes.size > partThreshold ? uploadInParts(client, bytes, name, purpose, md5) : uploadWhole(client, bytes, name, purpose)),
  });
}

async function uploadWhole(client: OpenAI, bytes: Bytes, name: string, purpose: TrainingFileInputs["purpose"]): Promise<FileObject> {
  info(`uploading ${name} (${formatBytes(bytes.size)})`);
  return client.files.create({ file: toStreamingFile(streamOf(bytes), name), purpose }, { maxRetries: 0 });
}

async function uploadInParts(client: OpenAI, bytes: Bytes, name: string, purpose: TrainingFileInputs["purpose"], md5: string): Promise<FileObject> {
  const parts = Math.ceil(bytes.size / PART_BYTES);
  info(`uploading ${name} (${formatBytes(bytes.size)}) in ${parts} parts of up to ${formatBytes(PART_BYTES)}`);
  await cancelStaleUploads(client, name);
  const session = await client.uploads.create({ bytes: bytes.size, filename: name, mime_type: "application/jsonl", purpose: purpose as "fine-tune" });
  rememberOpenUpload(name, session.id);
  try {
    const partIds: string[] = [];
    for (let index = 0; index < parts; index++) {
      const start = index * PART_BYTES;
      const end = Math.min(bytes.size, start + PART_BYTES) - 1;
      partIds.push(await uploadPart(client, session.id, bytes, name, { start, end }));
      info(`uploaded part ${index + 1}/${parts} of ${name}`);
    }
    // Not retried here: a completion whose answer was lost is found by its file name on the next look.
    const done = await client.uploads.complete(session.id, { part_ids: partIds, md5 }, { maxRetries: 0 });
    forgetOpenUpload(name, session.id);
    if (!done.file) throw new Error(`the Uploads API completed ${session.id} without a file`);
    return done.file;
  } catch (err) {
    await client.uploads.cancel(session.id).then(
      () => forgetOpenUpload(name, session.id),
      () => undefined,
    );
    throw err;
  }
}

/** A part can be sent again safely (only the ids passed to complete count), but each try needs fresh bytes. */
async function uploadPart(client: OpenAI, uploadId: string, bytes: Bytes, name: string, range: { start: number; end: number }): Promise<string> {
  const attempts = 6;
  for (let attempt = 1; ; attempt++) {
    try {
      const part = await client.uploads.parts.create(uploadId, { data: toStreamingFile(streamOf(bytes, range), name) }, { maxRetries: 0 });
      return part.id;
    } catch (err) {
      if (!isTransient(err) || attempt >= attempts) throw err;
      await sleep(retryDelayMs(err, attempt));
    }
  }
}

/** Fine-tuning jobs accept a file only once the API has processed it. */
export async function waitUntilProcessed(client: OpenAI, file: FileObject, timeoutMs = 30 * 60_000): Promise<FileObject> {
  const deadline = Date.now() + timeoutMs;
  let current = file;
  for (let delay = 500; current.status === "uploaded"; delay = Math.min(delay * 2, 5_000)) {
    if (Date.now() > deadline) throw new Error(`file ${file.id} was still not processed after ${timeoutMs / 60_000} minutes`);
    await sleep(delay);
    current = await client.files.retrieve(file.id);
  }
  if (current.status === "error") throw new Error(`the API could not process file ${file.id}: ${current.status_details ?? "no details"}`);
  return current;
}
