/** Files API: create (streamed multipart), list, retrieve, delete, content. */
import { createReadStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FileObject } from "openai/resources/files";
import { FILE_PURPOSES as UPLOAD_PURPOSES, STORED_FILE_PURPOSES } from "../provider/api-contract";
import type { App } from "./app";
import { badRequest, missingParam, notFound, unknownParam } from "./errors";
import { baseHeaders, capture, paginate, queryEnum, type Ctx } from "./http";
import { nowSeconds } from "./ids";
import { parseMultipart } from "./multipart";
import type { Router } from "./router";
import type { FileRecord, Store } from "./store";

const BATCH_EXPIRY_SECONDS = 30 * 24 * 3600;

export function checkPurpose(purpose: unknown): FileObject["purpose"] {
  if (purpose === undefined || purpose === "") throw missingParam("purpose");
  if (typeof purpose !== "string" || !(UPLOAD_PURPOSES as readonly string[]).includes(purpose)) {
    throw badRequest(
      `'${String(purpose)}' is not one of [${UPLOAD_PURPOSES.map((p) => `'${p}'`).join(", ")}] - 'purpose'`,
      "purpose",
      "invalid_value",
    );
  }
  return purpose as FileObject["purpose"];
}

export function checkFilenameForPurpose(filename: string, purpose: string, param: string): void {
  if (purpose === "fine-tune" && !filename.toLowerCase().endsWith(".jsonl")) {
    throw badRequest(
      `Invalid file format for Fine-Tuning API. Must be .jsonl (got '${filename}').`,
      param,
      "invalid_file_format",
    );
  }
}

export function checkExpiresAfter(anchor: unknown, seconds: unknown, param = "expires_after"): number | undefined {
  if (anchor === undefined && seconds === undefined) return undefined;
  if (anchor !== "created_at") {
    throw badRequest(`Invalid value for '${param}.anchor': only 'created_at' is supported.`, `${param}.anchor`, "invalid_value");
  }
  const n = typeof seconds === "string" && /^\d+$/.test(seconds) ? Number(seconds) : seconds;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 3600 || n > 2592000) {
    throw badRequest(
      `Invalid value for '${param}.seconds': must be an integer between 3600 and 2592000.`,
      `${param}.seconds`,
      "invalid_value",
    );
  }
  return n;
}

/** Register a file whose content is already in the blob dir under `segments`. */
export function addFile(
  app: App,
  fields: { filename: string; purpose: FileObject["purpose"]; bytes: number; expiresAfter?: number },
  segments: string[],
  id = app.platform.fileId(),
): FileRecord {
  const created = nowSeconds();
  const obj: FileObject = {
    id,
    object: "file",
    bytes: fields.bytes,
    created_at: created,
    filename: fields.filename,
    purpose: fields.purpose,
    status: app.platform.fileStatus.processed,
    status_details: null as unknown as undefined,
  };
  const expiresAfter = fields.expiresAfter ?? (fields.purpose === "batch" ? BATCH_EXPIRY_SECONDS : undefined);
  if (expiresAfter !== undefined) obj.expires_at = created + expiresAfter;
  const rec: FileRecord = { seq: app.store.nextSeq(), obj, segments };
  app.store.files.set(id, rec);
  app.store.addLog("file.created", id);
  return rec;
}

export function deleteFile(app: App, rec: FileRecord): void {
  app.store.files.delete(rec.obj.id);
  app.store.deletedFiles.set(rec.obj.id, rec.seq);
  app.store.removeBlobs(rec.segments);
  app.store.addLog("file.deleted", rec.obj.id);
}

/** Delete files whose `expires_at` has passed. */
export function sweepExpiredFiles(app: App): void {
  const now = nowSeconds();
  for (const rec of [...app.store.files.values()]) {
    if (rec.obj.expires_at && rec.obj.expires_at <= now) deleteFile(app, rec);
  }
}

export function getFile(app: App, id: string): FileRecord | undefined {
  const rec = app.store.files.get(id);
  if (rec?.obj.expires_at && rec.obj.expires_at <= nowSeconds()) {
    deleteFile(app, rec);
    return undefined;
  }
  return rec;
}

function requireFile(app: App, id: string): FileRecord {
  const rec = getFile(app, id);
  if (!rec) throw notFound(`No such File object: ${id}`, "id");
  return rec;
}

/** The content of a file as one stream (its segments in order). */
export function openContent(store: Store, rec: FileRecord): Readable {
  const paths = rec.segments.map((s) => store.blobPath(s));
  return Readable.from(
    (async function* () {
      for (const p of paths) yield* createReadStream(p, { highWaterMark: 1024 * 1024 });
    })(),
  );
}

async function create(ctx: Ctx, app: App): Promise<FileObject> {
  const form = await parseMultipart(ctx.req, {
    dir: app.store.blobDir,
    fileFields: ["file"],
    maxFileBytes: app.options.maxFileBytes,
    fileTooLarge: () =>
      badRequest(
        `File is too large: the Files API accepts files up to ${app.options.maxFileBytes} bytes; use the Uploads API for larger files.`,
        "file",
        "file_too_large",
      ),
    onChunk: (chunk) => capture(ctx, chunk),
  });
  const temp = form.files.map((f) => f.path);
  try {
    for (const key of Object.keys(form.fields)) {
      if (!["purpose", "expires_after[anchor]", "expires_after[seconds]"].includes(key)) throw unknownParam(key);
    }
    const purpose = checkPurpose(form.fields.purpose);
    const file = form.files.find((f) => f.field === "file");
    if (!file) throw missingParam("file");
    const extra = form.files.find((f) => f.field !== "file");
    if (extra) throw unknownParam(extra.field);
    checkFilenameForPurpose(file.filename, purpose, "file");
    const expiresAfter = checkExpiresAfter(form.fields["expires_after[anchor]"], form.fields["expires_after[seconds]"]);
    const id = app.platform.fileId();
    await rename(file.path, app.store.blobPath(id));
    temp.splice(temp.indexOf(file.path), 1);
    const created = addFile(app, { filename: file.filename, purpose, bytes: file.bytes, expiresAfter }, [id], id).obj;
    // Azure answers the upload with `pending`; the file reads as processed from the next request on.
    return { ...created, status: app.platform.fileStatus.uploaded };
  } finally {
    await Promise.all(temp.map((p) => rm(p, { force: true })));
  }
}

function list(ctx: Ctx, app: App) {
  sweepExpiredFiles(app);
  const purpose = ctx.query.get("purpose");
  if (purpose && !(STORED_FILE_PURPOSES as readonly string[]).includes(purpose)) {
    throw badRequest(`Invalid value for 'purpose': '${purpose}'.`, "purpose", "invalid_value");
  }
  const order = queryEnum(ctx, "order", ["asc", "desc"] as const, "desc");
  let items = [...app.store.files.values()];
  if (purpose) items = items.filter((r) => r.obj.purpose === purpose);
  items.sort((a, b) => (order === "asc" ? a.seq - b.seq : b.seq - a.seq));
  const page = paginate(ctx, items, {
    id: (r) => r.obj.id,
    defaultLimit: 10000,
    maxLimit: 10000,
    seq: (r) => r.seq,
    seqOfId: (id) => app.store.files.get(id)?.seq ?? app.store.deletedFiles.get(id),
    descending: order === "desc",
  });
  return { ...page, data: page.data.map((r) => r.obj) };
}

async function content(ctx: Ctx, app: App): Promise<void> {
  const rec = requireFile(app, ctx.params.id!);
  ctx.res.writeHead(200, {
    ...baseHeaders(ctx),
    "content-type": "application/octet-stream",
    "content-length": rec.obj.bytes,
    "content-disposition": `attachment; filename="${encodeURIComponent(rec.obj.filename)}"`,
  });
  await pipeline(openContent(app.store, rec), ctx.res);
}

export function registerFiles(router: Router): void {
  router
    .add("POST", "/v1/files", create)
    .add("GET", "/v1/files", list)
    .add("GET", "/v1/files/{id}", (ctx, app) => requireFile(app, ctx.params.id!).obj)
    .add("DELETE", "/v1/files/{id}", (ctx, app) => {
      const rec = requireFile(app, ctx.params.id!);
      deleteFile(app, rec);
      return { id: rec.obj.id, object: "file", deleted: true };
    })
    .add("GET", "/v1/files/{id}/content", content);
}
