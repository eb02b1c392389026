/** Uploads API: create, add parts (<= 64 MB each, streamed to disk), complete (bytes/md5 checked), cancel. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import type { Upload } from "openai/resources/uploads/uploads";
import type { UploadPart } from "openai/resources/uploads/parts";
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_PART_BYTES, UPLOAD_TTL_SECONDS } from "../provider/api-contract";
import type { App } from "./app";
import { badRequest, invalidType, missingParam, notFound, unknownParam } from "./errors";
import { addFile, checkExpiresAfter, checkFilenameForPurpose, checkPurpose } from "./files";
import { capture, readJson, type Ctx } from "./http";
import { newId, nowSeconds } from "./ids";
import { parseMultipart } from "./multipart";
import type { Router } from "./router";
import type { UploadRecord } from "./store";


/** Uploads being completed right now (a second complete must not race the first). */
const completing = new Set<string>();

function expireIfDue(app: App, rec: UploadRecord): void {
  if (rec.obj.status === "pending" && rec.obj.expires_at <= nowSeconds()) {
    rec.obj.status = "expired";
    app.store.removeBlobs(rec.parts.map((p) => p.blob));
    rec.parts = [];
    app.store.markDirty();
  }
}

export function sweepExpiredUploads(app: App): void {
  for (const rec of app.store.uploads.values()) expireIfDue(app, rec);
}

function requireUpload(app: App, id: string): UploadRecord {
  const rec = app.store.uploads.get(id);
  if (!rec) throw notFound(`No such Upload object: ${id}`, "upload_id");
  expireIfDue(app, rec);
  return rec;
}

function requirePending(rec: UploadRecord, action: string): void {
  if (rec.obj.status !== "pending") {
    throw badRequest(
      `Cannot ${action} Upload ${rec.obj.id}: it is ${rec.obj.status}, not pending.`,
      "upload_id",
      "upload_not_pending",
    );
  }
}

async function create(ctx: Ctx, app: App): Promise<Upload> {
  const body = await readJson(ctx);
  for (const key of Object.keys(body)) {
    if (!["bytes", "filename", "mime_type", "purpose", "expires_after"].includes(key)) throw unknownParam(key);
  }
  const { bytes, filename, mime_type } = body;
  if (bytes === undefined) throw missingParam("bytes");
  if (typeof bytes !== "number" || !Number.isInteger(bytes)) throw invalidType("bytes", "integer", bytes);
  if (bytes < 0 || bytes > MAX_UPLOAD_BYTES) {
    throw badRequest(`Invalid 'bytes': an Upload can hold between 0 and ${MAX_UPLOAD_BYTES} bytes.`, "bytes", "invalid_value");
  }
  if (filename === undefined) throw missingParam("filename");
  if (typeof filename !== "string") throw invalidType("filename", "string", filename);
  if (!filename.trim()) throw badRequest("Invalid 'filename': must not be empty.", "filename", "invalid_value");
  if (mime_type === undefined) throw missingParam("mime_type");
  if (typeof mime_type !== "string") throw invalidType("mime_type", "string", mime_type);
  const purpose = checkPurpose(body.purpose);
  checkFilenameForPurpose(filename, purpose, "filename");
  if (purpose === "fine-tune" && !/^(text\/jsonl|application\/jsonl|application\/x-ndjson|application\/json|text\/plain|application\/octet-stream)$/.test(mime_type)) {
    throw badRequest(`Invalid 'mime_type' for purpose fine-tune: '${mime_type}'. Use 'text/jsonl'.`, "mime_type", "invalid_value");
  }
  let expiresAfter: number | undefined;
  if (body.expires_after !== undefined) {
    const ea = body.expires_after as Record<string, unknown> | null;
    if (typeof ea !== "object" || ea === null || Array.isArray(ea)) throw invalidType("expires_after", "object", ea);
    expiresAfter = checkExpiresAfter(ea.anchor, ea.seconds);
  }
  const created = nowSeconds();
  const obj: Upload = {
    id: newId.upload(),
    object: "upload",
    bytes,
    created_at: created,
    expires_at: created + UPLOAD_TTL_SECONDS,
    filename,
    purpose,
    status: "pending",
    file: null,
  };
  const rec: UploadRecord = { seq: app.store.nextSeq(), obj, parts: [] };
  if (expiresAfter !== undefined) rec.expiresAfter = expiresAfter;
  app.store.uploads.set(obj.id, rec);
  app.store.markDirty();
  return obj;
}

async function addPart(ctx: Ctx, app: App): Promise<UploadPart> {
  const rec = requireUpload(app, ctx.params.id!);
  requirePending(rec, "add a Part to");
  const form = await parseMultipart(ctx.req, {
    dir: app.store.blobDir,
    fileFields: ["data"],
    maxFileBytes: MAX_UPLOAD_PART_BYTES,
    fileTooLarge: () => badRequest("Part is too large: each Part can be at most 64 MB.", "data", "part_too_large"),
    onChunk: (chunk) => capture(ctx, chunk),
  });
  const temp = form.files.map((f) => f.path);
  try {
    const extraField = Object.keys(form.fields)[0];
    if (extraField !== undefined) throw unknownParam(extraField);
    const data = form.files.find((f) => f.field === "data");
    if (!data) throw missingParam("data");
    const extra = form.files.find((f) => f.field !== "data");
    if (extra) throw unknownParam(extra.field);
    // The upload may have been cancelled or completed while this part was arriving.
    requirePending(rec, "add a Part to");
    const total = rec.parts.reduce((n, p) => n + p.bytes, 0) + data.bytes;
    if (total > MAX_UPLOAD_BYTES) {
      throw badRequest(`Upload ${rec.obj.id} would exceed the 8 GB limit.`, "data", "upload_too_large");
    }
    const part: UploadPart = { id: newId.part(), object: "upload.part", created_at: nowSeconds(), upload_id: rec.obj.id };
    const blob = `${rec.obj.id}.${part.id}`;
    await rename(data.path, app.store.blobPath(blob));
    temp.splice(temp.indexOf(data.path), 1);
    rec.parts.push({ id: part.id, created_at: part.created_at, blob, bytes: data.bytes });
    app.store.markDirty();
    return part;
  } finally {
    await Promise.all(temp.map((p) => rm(p, { force: true })));
  }
}

async function md5Of(paths: string[]): Promise<string> {
  const hash = createHash("md5");
  for (const p of paths) {
    for await (const chunk of createReadStream(p, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

async function complete(ctx: Ctx, app: App): Promise<Upload | undefined> {
  if (app.faults.holdUploadCompletion) {
    // Never answered: the client is expected to die waiting (the request then ends with its socket).
    await new Promise((resolve) => ctx.req.socket.once("close", resolve));
    return undefined;
  }
  const body = await readJson(ctx);
  for (const key of Object.keys(body)) if (!["part_ids", "md5"].includes(key)) throw unknownParam(key);
  const rec = requireUpload(app, ctx.params.id!);
  const id = rec.obj.id;
  if (completing.has(id)) {
    throw badRequest(`Upload ${id} is already being completed.`, "upload_id", "upload_not_pending");
  }
  requirePending(rec, "complete");
  const { part_ids, md5 } = body;
  if (part_ids === undefined) throw missingParam("part_ids");
  if (!Array.isArray(part_ids)) throw invalidType("part_ids", "array", part_ids);
  if (md5 !== undefined && typeof md5 !== "string") throw invalidType("md5", "string", md5);
  const seen = new Set<string>();
  const parts = part_ids.map((pid, i) => {
    if (typeof pid !== "string") throw invalidType(`part_ids[${i}]`, "string", pid);
    if (seen.has(pid)) throw badRequest(`Part ${pid} is listed more than once.`, "part_ids", "invalid_value");
    seen.add(pid);
    const part = rec.parts.find((p) => p.id === pid);
    if (!part) throw badRequest(`Part ${pid} does not belong to Upload ${id}.`, "part_ids", "invalid_value");
    return part;
  });
  const total = parts.reduce((n, p) => n + p.bytes, 0);
  if (total !== rec.obj.bytes) {
    throw badRequest(
      `The number of bytes in the listed Parts (${total}) does not match the number of bytes specified when the Upload was created (${rec.obj.bytes}).`,
      "part_ids",
      "upload_bytes_mismatch",
    );
  }
  completing.add(id);
  try {
    if (md5) {
      const actual = await md5Of(parts.map((p) => app.store.blobPath(p.blob)));
      if (actual !== md5.toLowerCase()) {
        throw badRequest(
          `The md5 checksum of the uploaded bytes (${actual}) does not match the expected checksum (${md5}).`,
          "md5",
          "md5_mismatch",
        );
      }
    }
    requirePending(rec, "complete");
    const unused = rec.parts.filter((p) => !seen.has(p.id));
    app.store.removeBlobs(unused.map((p) => p.blob));
    const file = addFile(
      app,
      {
        filename: rec.obj.filename,
        purpose: rec.obj.purpose as Parameters<typeof addFile>[1]["purpose"],
        bytes: total,
        expiresAfter: rec.expiresAfter,
      },
      parts.map((p) => p.blob),
    );
    rec.parts = [];
    rec.obj.status = "completed";
    rec.obj.file = file.obj;
    app.store.markDirty();
    return rec.obj;
  } finally {
    completing.delete(id);
  }
}

function cancel(ctx: Ctx, app: App): Upload {
  const rec = requireUpload(app, ctx.params.id!);
  if (completing.has(rec.obj.id)) {
    throw badRequest(`Cannot cancel Upload ${rec.obj.id}: it is being completed.`, "upload_id", "upload_not_pending");
  }
  requirePending(rec, "cancel");
  app.store.removeBlobs(rec.parts.map((p) => p.blob));
  rec.parts = [];
  rec.obj.status = "cancelled";
  app.store.markDirty();
  return rec.obj;
}

export function registerUploads(router: Router): void {
  router
    .add("POST", "/v1/uploads", create)
    .add("POST", "/v1/uploads/{id}/parts", addPart)
    .add("POST", "/v1/uploads/{id}/complete", complete)
    .add("POST", "/v1/uploads/{id}/cancel", cancel);
}
