/**
 * Per-request context and the small HTTP helpers every resource module uses: bounded body reading,
 * JSON answers with OpenAI's headers, query parsing, and cursor pagination.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, badRequest } from "./errors";

export const RECEIVED_BODY_BYTES = 64 * 1024;
const MAX_JSON_BYTES = 16 * 1024 * 1024;

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path in OpenAI form (`/v1/...`), also for Azure routes. */
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  flavor: "openai" | "azure";
  /** Azure's v1 routes (`/openai/v1/…`), which take no api-version. */
  azureV1?: boolean;
  requestId: string;
  startedAt: number;
  received?: ReceivedRequest;
  /** Bytes of the body captured for `received` so far. */
  capturedBytes: number;
  capturedChunks: Buffer[];
}

/** Keep the first 64 KiB of a request body for the admin `received` log. */
export function capture(ctx: Ctx, chunk: Buffer): void {
  if (!ctx.received || ctx.capturedBytes >= RECEIVED_BODY_BYTES) return;
  const take = chunk.subarray(0, RECEIVED_BODY_BYTES - ctx.capturedBytes);
  ctx.capturedChunks.push(Buffer.from(take));
  ctx.capturedBytes += take.length;
  ctx.received.body = Buffer.concat(ctx.capturedChunks).toString("utf8");
}

/** Read and discard whatever is left of the request body (so an early answer reaches the client). */
export function drain(req: IncomingMessage, onChunk?: (chunk: Buffer) => void): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    if (onChunk) req.on("data", onChunk);
    req.on("end", resolve);
    req.on("error", () => resolve());
    req.on("close", () => resolve());
    req.resume();
  });
}

export async function readBody(ctx: Ctx, limit = MAX_JSON_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    capture(ctx, chunk);
    size += chunk.length;
    if (size > limit) {
      await drain(ctx.req);
      throw new ApiError(413, `Request body too large: the limit is ${limit} bytes.`, "invalid_request_error", null, "request_too_large");
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const JSON_ERROR =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. " +
  "The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, " +
  "please contact us through our help center at help.openai.com.)";

/** The request's JSON object body; an empty body is `{}`. */
export async function readJson(ctx: Ctx): Promise<Record<string, unknown>> {
  const raw = await readBody(ctx);
  const text = raw.toString("utf8").trim();
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest(JSON_ERROR);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest(JSON_ERROR);
  }
  return value as Record<string, unknown>;
}

export const ORGANIZATION_ID = "org-emulator";
export const ORGANIZATION_SLUG = "emulator-org";

export function baseHeaders(ctx: Ctx): Record<string, string> {
  return {
    "x-request-id": ctx.requestId,
    "openai-organization": ORGANIZATION_SLUG,
    "openai-version": "2020-10-01",
    "openai-processing-ms": String(Date.now() - ctx.startedAt),
  };
}

export function sendJson(ctx: Ctx, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const { res } = ctx;
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...baseHeaders(ctx),
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Answer an error with the OpenAI envelope, after reading the rest of the request body. */
export async function sendError(ctx: Ctx, err: ApiError): Promise<void> {
  await drain(ctx.req, (chunk) => capture(ctx, chunk));
  sendJson(ctx, err.status, err.body(), err.headers);
}

// ---------------------------------------------------------------------------------------------
// Query parameters

export function queryInt(ctx: Ctx, name: string, def: number, min: number, max: number): number {
  const raw = ctx.query.get(name);
  if (raw === null || raw === "") return def;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw badRequest(`Invalid '${name}': expected an integer, but got '${raw}' instead.`, name, "invalid_type");
  }
  const n = Number(raw);
  if (n < min) {
    throw badRequest(
      `Invalid '${name}': integer below minimum value. Expected a value >= ${min}, but got ${n} instead.`,
      name,
      "integer_below_min_value",
    );
  }
  if (n > max) {
    throw badRequest(
      `Invalid '${name}': integer above maximum value. Expected a value <= ${max}, but got ${n} instead.`,
      name,
      "integer_above_max_value",
    );
  }
  return n;
}

export function queryEnum<T extends string>(ctx: Ctx, name: string, allowed: readonly T[], def: T): T {
  const raw = ctx.query.get(name);
  if (raw === null || raw === "") return def;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw badRequest(
      `Invalid value for '${name}': '${raw}'. Supported values are: ${allowed.map((a) => `'${a}'`).join(", ")}.`,
      name,
      "invalid_value",
    );
  }
  return raw as T;
}

export interface Page<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/**
 * Cursor pagination as the SDK's CursorPage expects: `items` are already in answer order,
 * `after` names the last item of the previous page. `seqOf` gives an item's position (also for
 * ids that are gone, e.g. deleted files), so a cursor survives deletions.
 */
export function paginate<T>(
  ctx: Ctx,
  items: T[],
  opts: {
    id: (item: T) => string;
    defaultLimit: number;
    maxLimit: number;
    seq: (item: T) => number;
    seqOfId: (id: string) => number | undefined;
    descending: boolean;
  },
): Page<T> {
  const limit = queryInt(ctx, "limit", opts.defaultLimit, 1, opts.maxLimit);
  const after = ctx.query.get("after");
  let rest = items;
  if (after) {
    const pos = opts.seqOfId(after);
    if (pos === undefined) {
      throw badRequest(`Invalid 'after': no object with id '${after}' was found.`, "after", "invalid_value");
    }
    rest = items.filter((item) => (opts.descending ? opts.seq(item) < pos : opts.seq(item) > pos));
  }
  const data = rest.slice(0, limit);
  return {
    object: "list",
    data,
    has_more: rest.length > data.length,
    first_id: data.length ? opts.id(data[0]!) : null,
    last_id: data.length ? opts.id(data[data.length - 1]!) : null,
  };
}
