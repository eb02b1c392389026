/**
 * A streaming multipart/form-data parser: file parts go straight to disk through a write stream
 * (with backpressure), text fields are kept up to a small limit. Nothing is buffered whole.
 */
import { createWriteStream, rmSync, type WriteStream } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { ApiError, badRequest } from "./errors";
import { randomId } from "./ids";
import { drain } from "./http";

export interface MultipartFile {
  field: string;
  filename: string;
  contentType: string;
  path: string;
  bytes: number;
}

export interface MultipartResult {
  fields: Record<string, string>;
  files: MultipartFile[];
}

export interface MultipartOptions {
  /** Directory the file parts are written to. */
  dir: string;
  /** Field names whose content is streamed to disk (any part with a filename is, too). */
  fileFields: string[];
  maxFileBytes: number;
  fileTooLarge: () => ApiError;
  maxFieldBytes?: number;
  onChunk?: (chunk: Buffer) => void;
}

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_PREAMBLE_BYTES = 64 * 1024;
const WRITE_HWM = 8 * 1024 * 1024;
const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const EMPTY = Buffer.alloc(0);

const malformed = (detail: string) =>
  badRequest(`Could not parse multipart form: ${detail}.`, null, "invalid_multipart_form");

export function multipartBoundary(contentType: string | undefined): string {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "multipart/form-data") {
    throw badRequest(
      `Invalid Content-Type header (${contentType || "none"}), expected multipart/form-data.`,
      null,
      "invalid_content_type",
    );
  }
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType!);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary || boundary.length > 200) throw malformed("missing or invalid boundary in the Content-Type header");
  return boundary;
}

/** `%22`, `%5C` and escaped control characters, as fetch/undici and the SDK encode them. */
function decodeHeaderValue(v: string): string {
  return v.replace(/%(0[0-9A-F]|1[0-9A-F]|22|5C|7F)/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

interface PartHeaders {
  name: string;
  filename?: string;
  contentType: string;
}

function parsePartHeaders(text: string): PartHeaders {
  let disposition: string | undefined;
  let contentType = "application/octet-stream";
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw malformed("invalid part header line");
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-disposition") disposition = value;
    else if (key === "content-type") contentType = value;
  }
  if (!disposition || !/^form-data\b/i.test(disposition)) throw malformed("part without a form-data Content-Disposition");
  const params: Record<string, string> = {};
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(disposition); m; m = re.exec(disposition)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!.trim();
  }
  if (params.name === undefined) throw malformed("part without a name");
  let filename = params.filename !== undefined ? decodeHeaderValue(params.filename) : undefined;
  const star = params["filename*"];
  if (star) {
    const m = /^([\w-]+)'[^']*'(.*)$/.exec(star);
    if (m) {
      try {
        filename = decodeURIComponent(m[2]!);
      } catch {
        /* keep the plain filename */
      }
    }
  }
  return { name: decodeHeaderValue(params.name), filename, contentType };
}

interface Sink {
  write(data: Buffer): Promise<void> | void;
  end(): Promise<void>;
  abort(): void;
}

class FileSink implements Sink {
  bytes = 0;
  private ws: WriteStream;
  private error: Error | null = null;
  constructor(
    readonly file: MultipartFile,
    private maxBytes: number,
    private tooLarge: () => ApiError,
  ) {
    this.ws = createWriteStream(file.path, { highWaterMark: WRITE_HWM });
    this.ws.on("error", (err) => (this.error = err));
  }
  async write(data: Buffer): Promise<void> {
    if (this.error) throw this.error;
    if (data.length === 0) return;
    this.bytes += data.length;
    if (this.bytes > this.maxBytes) throw this.tooLarge();
    if (!this.ws.write(data)) {
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          this.ws.off("drain", done);
          this.ws.off("error", fail);
          resolve();
        };
        const fail = (err: Error) => {
          this.ws.off("drain", done);
          reject(err);
        };
        this.ws.on("drain", done);
        this.ws.once("error", fail);
      });
    }
  }
  async end(): Promise<void> {
    if (this.error) throw this.error;
    await new Promise<void>((resolve, reject) => {
      this.ws.once("error", reject);
      this.ws.end(() => resolve());
    });
    this.file.bytes = this.bytes;
  }
  abort(): void {
    this.ws.destroy();
  }
}

class FieldSink implements Sink {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(
    private name: string,
    private max: number,
    private done: (value: string) => void,
  ) {}
  write(data: Buffer): void {
    this.size += data.length;
    if (this.size > this.max) throw badRequest(`Form field '${this.name}' is too long.`, this.name, "invalid_value");
    this.chunks.push(Buffer.from(data));
  }
  async end(): Promise<void> {
    this.done(Buffer.concat(this.chunks).toString("utf8"));
  }
  abort(): void {}
}

/** Parse a multipart request body; on any error the written files are removed and the body drained. */
export async function parseMultipart(req: IncomingMessage, opts: MultipartOptions): Promise<MultipartResult> {
  const boundary = multipartBoundary(req.headers["content-type"]);
  const delim = Buffer.from(`\r\n--${boundary}`);
  const result: MultipartResult = { fields: {}, files: [] };
  let state: "preamble" | "afterDelim" | "headers" | "body" | "epilogue" = "preamble";
  let buf: Buffer = CRLF; // lets the first boundary match as a delimiter
  let seen = 0;
  let sink: Sink | null = null;

  const openPart = (h: PartHeaders): Sink => {
    if (h.filename !== undefined || opts.fileFields.includes(h.name)) {
      const file: MultipartFile = {
        field: h.name,
        filename: h.filename ?? h.name,
        contentType: h.contentType,
        path: join(opts.dir, `.part-${randomId(16)}`),
        bytes: 0,
      };
      result.files.push(file);
      return new FileSink(file, opts.maxFileBytes, opts.fileTooLarge);
    }
    return new FieldSink(h.name, opts.maxFieldBytes ?? 64 * 1024, (v) => (result.fields[h.name] = v));
  };

  /** Where a delimiter could start in the tail of `b` (so those bytes must wait for more input). */
  const safeLength = (b: Buffer): number => {
    const from = Math.max(0, b.length - delim.length + 1);
    for (let i = b.indexOf(13, from); i !== -1; i = b.indexOf(13, i + 1)) {
      const tail = b.subarray(i);
      if (delim.subarray(0, tail.length).equals(tail)) return i;
    }
    return b.length;
  };

  const step = async (): Promise<void> => {
    for (;;) {
      switch (state) {
        case "preamble": {
          const idx = buf.indexOf(delim);
          if (idx < 0) {
            seen += buf.length;
            if (seen > MAX_PREAMBLE_BYTES) throw malformed("no boundary found");
            buf = buf.subarray(safeLength(buf));
            return;
          }
          buf = buf.subarray(idx + delim.length);
          state = "afterDelim";
          break;
        }
        case "afterDelim": {
          if (buf.length < 2) return;
          if (buf[0] === 45 && buf[1] === 45) {
            state = "epilogue";
            buf = EMPTY;
            return;
          }
          const nl = buf.indexOf(CRLF);
          if (nl < 0) {
            if (buf.length > 256) throw malformed("garbage after a boundary");
            return;
          }
          if (!/^[ \t]*$/.test(buf.subarray(0, nl).toString("latin1"))) throw malformed("garbage after a boundary");
          buf = buf.subarray(nl + 2);
          state = "headers";
          break;
        }
        case "headers": {
          if (buf.length >= 2 && buf[0] === 13 && buf[1] === 10) throw malformed("part without headers");
          const idx = buf.indexOf(HEADER_END);
          if (idx < 0) {
            if (buf.length > MAX_HEADER_BYTES) throw malformed("part headers too large");
            return;
          }
          sink = openPart(parsePartHeaders(buf.subarray(0, idx).toString("utf8")));
          buf = buf.subarray(idx + 4);
          state = "body";
          break;
        }
        case "body": {
          const idx = buf.indexOf(delim);
          if (idx >= 0) {
            await sink!.write(buf.subarray(0, idx));
            await sink!.end();
            sink = null;
            buf = buf.subarray(idx + delim.length);
            state = "afterDelim";
            break;
          }
          const safe = safeLength(buf);
          if (safe > 0) await sink!.write(buf.subarray(0, safe));
          buf = buf.subarray(safe);
          return;
        }
        case "epilogue":
          buf = EMPTY;
          return;
      }
    }
  };

  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      opts.onChunk?.(chunk);
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      await step();
    }
    if ((state as string) !== "epilogue") throw malformed("unexpected end of the body (no closing boundary)");
    return result;
  } catch (err) {
    (sink as Sink | null)?.abort();
    for (const f of result.files) rmSync(f.path, { force: true });
    await drain(req);
    throw err;
  }
}
