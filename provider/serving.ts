/**
 * Which stacks serve which fine-tuned model, recorded in the API itself so that it reaches every stack of
 * every backend with nothing wired by hand: a `ModelDeployment` uploads one small marker file through
 * the Files API at create/update and deletes it at delete; a `FineTunedModel`'s delete, the `models` CLI
 * and the UI read the markers back with `listServing`.
 *
 * The marker's file name carries the model and the serving `{project, stack, resource}` (base64url
 * JSON), so listing is one paginated `files.list`; a name too long for that carries a digest instead and
 * the marker is read from the file's content.
 */
import { createHash } from "node:crypto";
import OpenAI, { AzureOpenAI, toFile } from "openai";
import type { FileObject, FilePurpose } from "openai/resources/files";
import { deleteIgnoringMissing, isNotFound } from "./errors";

export interface StackResource {
  project: string;
  stack: string;
  resource: string;
}

export interface ServingMarker {
  model: string;
  servedBy: StackResource;
}

const PREFIX = "pulumi-serving.";
const SUFFIX = ".json";
/** Kept well under file-name limits of both platforms. */
const MAX_NAME_LENGTH = 200;

/**
 * The one place the platform decides the marker's file purpose: OpenAI has `user_data` for files of any
 * use; Azure OpenAI does not accept `user_data` (nor `evals`), and `fine-tune` files are validated as
 * training data, so there the marker is an `assistants` file (JSON is an accepted type).
 */
export function markerPurpose(client: OpenAI): FilePurpose {
  return isAzure(client) ? "assistants" : "user_data";
}

function isAzure(client: OpenAI): boolean {
  return client instanceof AzureOpenAI || /\.openai\.azure\.com|\/openai(\/v1)?\/?$/.test(client.baseURL);
}

export function markerFileName(marker: ServingMarker): string {
  const encoded = Buffer.from(JSON.stringify(canonical(marker))).toString("base64url");
  const name = `${PREFIX}${encoded}${SUFFIX}`;
  if (name.length <= MAX_NAME_LENGTH) return name;
  return `${PREFIX}sha256-${createHash("sha256").update(JSON.stringify(canonical(marker))).digest("hex")}${SUFFIX}`;
}

/** The marker a file name holds; null for a digest name (read the content), undefined when not a marker. */
export function parseMarkerFileName(filename: string): ServingMarker | null | undefined {
  if (!filename.startsWith(PREFIX) || !filename.endsWith(SUFFIX)) return undefined;
  const body = filename.slice(PREFIX.length, filename.length - SUFFIX.length);
  if (body.startsWith("sha256-")) return null;
  try {
    return asMarker(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
  } catch {
    return undefined;
  }
}

function canonical(marker: ServingMarker): ServingMarker {
  const { project, stack, resource } = marker.servedBy;
  return { model: marker.model, servedBy: { project, stack, resource } };
}

function asMarker(value: unknown): ServingMarker | undefined {
  const v = value as Partial<ServingMarker> | undefined;
  const by = v?.servedBy as Partial<StackResource> | undefined;
  if (typeof v?.model !== "string" || typeof by?.project !== "string" || typeof by.stack !== "string" || typeof by.resource !== "string") return undefined;
  return canonical(v as ServingMarker);
}

interface MarkerFile {
  fileId: string;
  marker: ServingMarker;
}

async function listMarkerFiles(client: OpenAI): Promise<MarkerFile[]> {
  const found: MarkerFile[] = [];
  for await (const file of client.files.list({ purpose: markerPurpose(client) })) {
    const marker = await markerOf(client, file);
    if (marker) found.push({ fileId: file.id, marker });
  }
  return found;
}

async function markerOf(client: OpenAI, file: FileObject): Promise<ServingMarker | undefined> {
  const parsed = parseMarkerFileName(file.filename);
  if (parsed !== null) return parsed;
  try {
    return asMarker(await (await client.files.content(file.id)).json());
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every serving marker in the account, one per (model, serving resource). */
export async function listServing(client: OpenAI): Promise<ServingMarker[]> {
  const seen = new Map<string, ServingMarker>();
  for (const { marker } of await listMarkerFiles(client)) seen.set(markerFileName(marker), marker);
  return [...seen.values()];
}

/** The stacks other than `self`'s that serve `model`. */
export async function servingStacks(client: OpenAI, model: string, self?: { project: string; stack: string }): Promise<StackResource[]> {
  return (await listServing(client))
    .filter((m) => m.model === model && !(self && m.servedBy.project === self.project && m.servedBy.stack === self.stack))
    .map((m) => m.servedBy);
}

/** Records that `servedBy` serves `model`; an existing marker is reused, so a retried create adds none. Returns its file id. */
export async function recordServing(client: OpenAI, marker: ServingMarker): Promise<string> {
  const name = markerFileName(marker);
  const existing = (await listMarkerFiles(client)).find((f) => markerFileName(f.marker) === name);
  if (existing) return existing.fileId;
  const content = JSON.stringify({ ...canonical(marker), recordedAt: new Date().toISOString() }, null, 2);
  const file = await client.files.create({ file: await toFile(Buffer.from(content), name, { type: "application/json" }), purpose: markerPurpose(client) });
  return file.id;
}

/** Removes every marker of `marker` (the model served by that resource); already gone counts as removed. */
export async function removeServing(client: OpenAI, marker: ServingMarker): Promise<void> {
  const name = markerFileName(marker);
  for (const file of await listMarkerFiles(client)) {
    if (markerFileName(file.marker) === name) await deleteIgnoringMissing(() => client.files.delete(file.fileId), `serving marker ${file.fileId}`);
  }
}

export function describeStack(s: StackResource): string {
  return `${s.project}/${s.stack} (resource ${s.resource})`;
}

/** `project/stack/resource` as the resource classes write it (a project or stack holds no `/`). */
export function parseOwner(owner: string | undefined): StackResource | null {
  const parts = owner?.split("/") ?? [];
  if (parts.length < 3 || parts.some((p) => p === "")) return null;
  const [project, stack, ...rest] = parts;
  return { project: project!, stack: stack!, resource: rest.join("/") };
}
