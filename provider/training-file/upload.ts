/** Getting a dataset's bytes into the API: whole through the Files API, or in parts through the Uploads API. */
import { createHash, type Hash } from "node:crypto";
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

/** Bytes read per read() of a file being uploaded (the benchmark's fastest, `npm run bench:emulator`). */
export const READ_BYTES = 4 * 1024 * 1024;
/** Parts of an Uploads API upload sent at once (the benchmark's fastest). */
export const PARTS_IN_FLIGHT = 4;

/** The bytes read for an upload are not the bytes the preview checked. */
export class BytesChangedError extends Error {}

/**
 * sha256 and md5 of the bytes as they are uploaded, fed in file order whatever order the parts go in:
 * part i is read once part i-1 has been, and a read cut short (a retried part) is undone, so the
 * upload itself proves it sent the previewed bytes, without reading the dataset beforehand.
 */
class UploadDigest {
  private sha256 = createHash("sha256");
  private md5 = createHash("md5");
  private next = 0;
  private wake = new Map<number, () => void>();

  constructor(private readonly expected: string, private readonly label: string) {}

  /** Whether the bytes of `part` still have to be hashed (a retry of a hashed part reads without hashing). */
  pending(part: number): boolean {
    return part >= this.next;
  }

  async turn(part: number): Promise<void> {
    while (this.next !== part) await new Promise<void>((r) => this.wake.set(part, r));
  }

  /** A checkpoint to go back to if this part's read does not finish. */
  save(): [Hash, Hash] {
    return [this.sha256.copy(), this.md5.copy()];
  }

  restore([sha256, md5]: [Hash, Hash]): void {
    this.sha256 = sha256;
    this.md5 = md5;
  }

  update(chunk: Uint8Array): void {
    this.sha256.update(chunk);
    this.md5.update(chunk);
  }

  done(part: number): void {
    this.next = part + 1;
    this.wake.get(this.next)?.();
    this.wake.delete(this.next);
  }

  /** Set once the bytes were found to differ. */
  changed: BytesChangedError | null = null;

  /** The md5 for the Uploads API, once every byte was hashed and found to be the previewed ones. */
  verify(): string {
    const sha256 = this.sha256.copy().digest("hex");
    if (sha256 !== this.expected) {
      throw (this.changed = new BytesChangedError(`the dataset ${this.label} changed while pulumi was running (sha256 ${sha256}, expected ${this.expected}); nothing was uploaded; run again`));
    }
    return this.md5.copy().digest("hex");
  }
}

function readRange(bytes: Bytes, range?: { start: number; end: number }): AsyncIterable<Buffer> {
  if ("path" in bytes) return createReadStream(bytes.path, { highWaterMark: READ_BYTES, ...range });
  const slice = range ? bytes.content.subarray(range.start, range.end + 1) : bytes.content;
  return (async function* () {
    for (let i = 0; i < slice.length; i += READ_BYTES) yield slice.subarray(i, i + READ_BYTES);
  })();
}

/**
 * A part's bytes, hashed in file order on their first complete read. With `holdLast`, the last chunk
 * is sent only once the whole file is verified: a changed file ends the request before the server
 * has a complete body, so no file is created.
 */
async function* hashedPart(bytes: Bytes, part: number, range: { start: number; end: number } | undefined, digest: UploadDigest, holdLast: boolean): AsyncGenerator<Buffer> {
  if (!digest.pending(part)) {
    yield* readRange(bytes, range);
    return;
  }
  await digest.turn(part);
  const saved = digest.save();
  let complete = false;
  try {
    let held: Buffer | null = null;
    for await (const chunk of readRange(bytes, range)) {
      digest.update(chunk);
      if (!holdLast) yield chunk;
      else {
        if (held) yield held;
        held = Buffer.from(chunk);
      }
    }
    complete = true;
    if (holdLast) digest.verify();
    if (held) yield held;
  } finally {
    if (complete) digest.done(part);
    else digest.restore(saved);
  }
}

export async function findUploaded(client: OpenAI, purpose: string, filename: string): Promise<FileObject | undefined> {
  for await (const file of client.files.list({ purpose }, {})) {
    if (file.filename === filename && file.status !== "error") return file;
  }
  return undefined;
}

export interface UploadRequest {
  bytes: Bytes;
  /** The name in the API (see uploadName). */
  name: string;
  purpose: TrainingFileInputs["purpose"];
  /** Larger files go through the Uploads API in parts. */
  partThreshold: number;
  /** The sha256 the preview checked: other bytes are refused and nothing is created. */
  sha256: string;
  /** Shown in the refusal (the dataset's path). */
  label?: string;
  /** Parts sent at once; PARTS_IN_FLIGHT unless a benchmark compares others. */
  partsInFlight?: number;
}

/** Uploads once: a retry after a lost response finds the first upload by its name instead of paying twice. */
export async function upload(client: OpenAI, req: UploadRequest) {
  return findOrCreate({
    what: `uploading ${req.name}`,
    noun: "file",
    find: () => findUploaded(client, req.purpose, req.name),
    create: async () => {
      const digest = new UploadDigest(req.sha256, req.label ?? req.name);
      try {
        return await (req.bytes.size > req.partThreshold ? uploadInParts(client, req, digest) : uploadWhole(client, req, digest));
      } catch (err) {
        // The SDK reports a body that failed as a connection error (which would be retried); changed bytes are final.
        throw digest.changed ?? err;
      }
    },
  });
}

async function uploadWhole(client: OpenAI, { bytes, name, purpose }: UploadRequest, digest: UploadDigest): Promise<FileObject> {
  info(`uploading ${name} (${formatBytes(bytes.size)})`);
  return client.files.create({ file: toStreamingFile(hashedPart(bytes, 0, undefined, digest, true), name), purpose }, { maxRetries: 0 });
}

async function uploadInParts(client: OpenAI, { bytes, name, purpose, partsInFlight = PARTS_IN_FLIGHT }: UploadRequest, digest: UploadDigest): Promise<FileObject> {
  const parts = Math.ceil(bytes.size / PART_BYTES);
  info(`uploading ${name} (${formatBytes(bytes.size)}) in ${parts} parts of up to ${formatBytes(PART_BYTES)}, ${partsInFlight} at a time`);
  await cancelStaleUploads(client, name);
  const session = await client.uploads.create({ bytes: bytes.size, filename: name, mime_type: "application/jsonl", purpose: purpose as "fine-tune" });
  rememberOpenUpload(name, session.id);
  try {
    const partIds: string[] = new Array(parts);
    let next = 0;
    let sent = 0;
    const sender = async () => {
      for (let index = next++; index < parts; index = next++) {
        const start = index * PART_BYTES;
        const end = Math.min(bytes.size, start + PART_BYTES) - 1;
        partIds[index] = await uploadPart(client, session.id, bytes, name, index, { start, end }, digest);
        info(`uploaded part ${++sent}/${parts} of ${name}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(partsInFlight, parts) }, sender));
    const md5 = digest.verify();
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
async function uploadPart(client: OpenAI, uploadId: string, bytes: Bytes, name: string, index: number, range: { start: number; end: number }, digest: UploadDigest): Promise<string> {
  const attempts = 6;
  for (let attempt = 1; ; attempt++) {
    try {
      const data = toStreamingFile(hashedPart(bytes, index, range, digest, false), name);
      const part = await client.uploads.parts.create(uploadId, { data }, { maxRetries: 0 });
      return part.id;
    } catch (err) {
      if (!isTransient(err) || attempt >= attempts) throw err;
      await sleep(retryDelayMs(err, attempt));
    }
  }
}

/** Not processed yet: OpenAI's `uploaded`, Azure's `pending`/`running` (older Azure API versions: `notRunning`). */
const IN_PROGRESS = new Set(["uploaded", "pending", "running", "notRunning"]);

/** Fine-tuning jobs accept a file only once the API has processed it. */
export async function waitUntilProcessed(client: OpenAI, file: FileObject, timeoutMs = 30 * 60_000): Promise<FileObject> {
  const deadline = Date.now() + timeoutMs;
  let current = file;
  for (let delay = 500; IN_PROGRESS.has(current.status as string); delay = Math.min(delay * 2, 5_000)) {
    if (Date.now() > deadline) throw new Error(`file ${file.id} was still not processed after ${timeoutMs / 60_000} minutes`);
    await sleep(delay);
    current = await client.files.retrieve(file.id);
  }
  if (current.status === "error" || (current.status as string) === "failed") throw new Error(`the API could not process file ${file.id}: ${current.status_details ?? "no details"}`);
  return current;
}
