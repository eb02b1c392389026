/**
 * The UI's HTTP server: the page's static files and a read-only JSON API over one OpenAI client.
 * Only GET is answered; nothing here can create, cancel or change anything at the API. A running
 * job is followed with Server-Sent Events, polled like the provider does (events by cursor,
 * interval growing while nothing changes, outages ridden out).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import type OpenAI from "openai";
import type { FineTuningJob } from "openai/resources/fine-tuning/jobs/jobs";
import { describeApiError, isNotFound, isTransient } from "../provider/errors";
import { EventFeed } from "../provider/fine-tuned-model/progress";
import { sleep } from "../provider/retry";
import { evaluations, jobDetail, jobMetrics, listEvents, overview, summarise } from "./data";
import { metricsFromEvents, toCsv } from "./metrics";

export interface UiServerOptions {
  client: OpenAI;
  host: string;
  port: number;
  /** Where `.openai-finetune/evaluations/` is looked for. */
  projectDir: string;
  /** First and longest poll interval of a live job (the provider's: 1 s growing 1.5x). */
  minPollMs?: number;
  maxPollMs?: number;
}

export interface RunningUi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const PAGE_DIR = join(__dirname, "page");
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendText(res: ServerResponse, json: string): void {
  res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(json);
}

/**
 * What the page asks for most, kept as the JSON text sent. The overview is served up to
 * FRESH_MS old and refreshed behind the answer up to STALE_MS (a list of 500 jobs is 5 API pages);
 * a job's detail is kept only once the job has ended, when it no longer changes.
 */
class Cache {
  static readonly FRESH_MS = 3000;
  static readonly STALE_MS = 30_000;
  private list: { at: number; json: string } | null = null;
  private refreshing: Promise<string> | null = null;
  private readonly ended = new Map<string, string>();

  overview(client: OpenAI): Promise<string> {
    const age = this.list ? Date.now() - this.list.at : Infinity;
    if (age > Cache.FRESH_MS && !this.refreshing) {
      this.refreshing = overview(client)
        .then((o) => {
          this.list = { at: Date.now(), json: JSON.stringify(o) };
          return this.list.json;
        })
        .finally(() => (this.refreshing = null));
      this.refreshing.catch(() => undefined);
    }
    return age <= Cache.STALE_MS && this.list ? Promise.resolve(this.list.json) : this.refreshing!;
  }

  async job(client: OpenAI, id: string): Promise<string> {
    const kept = this.ended.get(id);
    if (kept) return kept;
    const detail = await jobDetail(client, id);
    const json = JSON.stringify(detail);
    if (TERMINAL.has(detail.job.status)) {
      if (this.ended.size >= 10) this.ended.delete(this.ended.keys().next().value!);
      this.ended.set(id, json);
    }
    return json;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...extra });
  res.end(text);
}

async function sendStatic(res: ServerResponse, path: string): Promise<void> {
  const rel = normalize(path === "/" ? "index.html" : path.replace(/^\/+/, ""));
  if (rel.startsWith("..")) throw new HttpError(404, "not found");
  let body: Buffer;
  try {
    body = await readFile(join(PAGE_DIR, rel));
  } catch {
    throw new HttpError(404, `not found: ${path}`);
  }
  res.writeHead(200, { "content-type": TYPES[extname(rel)] ?? "application/octet-stream", "cache-control": "no-cache" });
  res.end(body);
}

/** The metrics module, compiled once by tsc, served to the page as a browser global. */
async function sendMetricsModule(res: ServerResponse): Promise<void> {
  const code = await readFile(join(__dirname, "metrics.js"), "utf8");
  res.writeHead(200, { "content-type": TYPES[".js"]!, "cache-control": "no-cache" });
  res.end(`(function(){var exports={};var module={exports:exports};\n${code}\nwindow.FtMetrics=module.exports;})();\n`);
}

function jobIdFrom(segment: string | undefined): string {
  if (!segment || !/^[A-Za-z0-9_.:-]+$/.test(segment)) throw new HttpError(400, "bad job id");
  return segment;
}

async function route(req: IncomingMessage, res: ServerResponse, options: UiServerOptions, cache: Cache): Promise<void> {
  const url = new URL(req.url ?? "/", "http://ui.local");
  const parts = url.pathname.split("/").filter(Boolean);
  if (parts[0] !== "api") {
    if (url.pathname === "/metrics.js") return sendMetricsModule(res);
    return sendStatic(res, url.pathname);
  }
  const { client } = options;
  if (parts[1] === "overview" && parts.length === 2) return sendText(res, await cache.overview(client));
  if (parts[1] === "evaluations" && parts.length === 2) {
    return sendJson(res, 200, evaluations(options.projectDir, url.searchParams.get("model") ?? undefined));
  }
  if (parts[1] === "jobs" && parts.length >= 3) {
    const id = jobIdFrom(parts[2]);
    const tail = parts.slice(3).join("/");
    if (tail === "") return sendText(res, await cache.job(client, id));
    if (tail === "live") return live(req, res, options, id);
    if (tail === "metrics.csv" || tail === "metrics.json") return download(res, client, id, tail.endsWith("csv") ? "csv" : "json");
  }
  throw new HttpError(404, `no such API route: ${url.pathname}`);
}

async function download(res: ServerResponse, client: OpenAI, id: string, kind: "csv" | "json"): Promise<void> {
  const job = await client.fineTuning.jobs.retrieve(id);
  const metrics = await jobMetrics(client, job, job.result_files?.[0] ? [] : await listEvents(client, id));
  const disposition = { "content-disposition": `attachment; filename="${id}-metrics.${kind}"` };
  if (kind === "json") return sendJson(res, 200, { job: id, source: metrics.source, rows: metrics.rows }, disposition);
  res.writeHead(200, { "content-type": "text/csv; charset=utf-8", "cache-control": "no-store", ...disposition });
  res.end(toCsv(metrics.rows));
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * Follows one job until it ends or the page goes away: `job` when it changes, `events` (new ones,
 * oldest first) and `metrics` (rows from new metrics events), `warning` on an outage, `done` at the end.
 */
async function live(req: IncomingMessage, res: ServerResponse, options: UiServerOptions, id: string): Promise<void> {
  const { client } = options;
  const minMs = options.minPollMs ?? 1000;
  const maxMs = options.maxPollMs ?? 10_000;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
  let open = true;
  req.on("close", () => (open = false));
  const cursor = new URL(req.url ?? "/", "http://ui.local").searchParams.get("after");
  const feed = new EventFeed(client, id).startAfter(cursor || undefined);
  let last = "";
  let interval = minMs;
  while (open) {
    let changed = false;
    try {
      const job: FineTuningJob = await client.fineTuning.jobs.retrieve(id);
      const fresh = await feed.fresh();
      const stamp = `${job.status}|${job.trained_tokens}|${job.fine_tuned_model}|${job.finished_at}`;
      if (stamp !== last) {
        sse(res, "job", summarise(job));
        last = stamp;
        changed = true;
      }
      if (fresh.length) {
        sse(res, "events", fresh);
        const rows = metricsFromEvents(fresh);
        if (rows.length) sse(res, "metrics", rows);
        changed = true;
      }
      if (TERMINAL.has(job.status)) {
        sse(res, "done", { status: job.status });
        break;
      }
    } catch (err) {
      if (isNotFound(err)) {
        sse(res, "fatal", { message: describeApiError(`job ${id}`, err) });
        break;
      }
      if (!isTransient(err)) {
        sse(res, "fatal", { message: describeApiError(`following job ${id}`, err) });
        break;
      }
      sse(res, "warning", { message: `${describeApiError(`polling job ${id}`, err)}; still following` });
    }
    interval = changed ? minMs : Math.min(interval * 1.5, maxMs);
    await sleep(interval);
  }
  res.end();
}

function handle(options: UiServerOptions) {
  const cache = new Cache();
  // Warmed at start, so the first page load does not wait for every page of the job list.
  void cache.overview(options.client).catch(() => undefined);
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { error: "the UI is read-only: only GET is served" }, { allow: "GET, HEAD" });
      return;
    }
    route(req, res, options, cache).catch((err: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
      const status = isNotFound(err) ? 404 : 502;
      sendJson(res, status, { error: describeApiError("the API", err) });
    });
  };
}

export async function startUiServer(options: UiServerOptions): Promise<RunningUi> {
  const server = createServer(handle(options));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
