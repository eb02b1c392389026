/**
 * The emulator's HTTP server: request pipeline (admin routes; then count, record, authenticate,
 * inject faults, route), the job clock and the periodic sweeps.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { App, EmulatorOptions } from "./app";
import { DEFAULT_FAULTS, handleAdmin, type AdminHost, type EmulatorState, type Faults } from "./admin";
import { registerChat } from "./chat";
import { MANAGEMENT_PREFIX, deploymentObject, registerDeployments, sweepDeployments } from "./deployments";
import { platformRules, type PlatformRules } from "./platform";
import { extractExamples, validateJobFiles } from "./dataset";
import { ApiError, badRequest, notFound, serverError } from "./errors";
import { getFile, registerFiles, sweepExpiredFiles } from "./files";
import { sendError, sendJson, type Ctx, type ReceivedRequest } from "./http";
import { newId } from "./ids";
import { registerJobs } from "./jobs";
import { fineTunedModelObject, registerModels } from "./models";
import { Router } from "./router";
import { seededRandom } from "./random";
import { Store, type JobRecord } from "./store";
import { advanceJob } from "./training";
import { registerUploads, sweepExpiredUploads } from "./uploads";

const MAX_RECEIVED = 500;
const TICK_MS = 20;
const SWEEP_MS = 1000;

export class Emulator implements App, AdminHost {
  readonly store: Store;
  readonly faults: Required<Faults> = { ...DEFAULT_FAULTS };
  readonly platform: PlatformRules;
  private readonly router = new Router();
  private readonly management = new Router();
  private server: Server | null = null;
  private requests = { total: 0, retried: 0, byRoute: new Map<string, number>() };
  private injected = { injected429: 0, injected500: 0, resets: 0, droppedResponses: 0 };
  private received: ReceivedRequest[] = [];
  private timers: NodeJS.Timeout[] = [];
  private jobWork = new Map<string, Promise<void>>();
  private sockets = new Set<Socket>();
  private generation = 0;
  url = "";

  constructor(readonly options: EmulatorOptions) {
    this.store = new Store(options.dataDir);
    this.platform = platformRules(options.flavor ?? "openai");
    if (this.platform.flavor === "azure") registerDeployments(this.management);
    registerFiles(this.router);
    registerUploads(this.router);
    registerJobs(this.router);
    registerModels(this.router);
    registerChat(this.router);
  }

  async start(): Promise<string> {
    const server = createServer({ requestTimeout: 0, maxHeaderSize: 16 * 1024 }, (req, res) => {
      void this.handle(req, res);
    });
    // Clients reuse an idle connection until the advertised keep-alive timeout (5 s) minus a margin;
    // one whose event loop is starved (a loaded CI machine, a synchronous build of a large body) can
    // send on it later than that, and the server's close (at 5 + 1 s by default) then meets the
    // request: ECONNRESET. Idle connections are kept a minute past what is advertised; stop() still
    // closes them at once.
    server.keepAliveTimeoutBuffer = 60_000;
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    server.on("clientError", (err: NodeJS.ErrnoException, socket) => this.clientError(err, socket as Socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    this.url = `http://${host}:${addr.port}`;
    // Jobs persisted mid-validation are validated again.
    for (const rec of this.store.jobs.values()) {
      if (rec.stage === "validating" && !rec.validation) this.startJobWork(rec.obj.id);
    }
    this.tick();
    this.timers.push(setInterval(() => this.tick(), TICK_MS));
    this.timers.push(
      setInterval(() => {
        sweepExpiredFiles(this);
        sweepExpiredUploads(this);
        sweepDeployments(this);
      }, SWEEP_MS),
    );
    return this.url;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const server = this.server;
    this.server = null;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests in flight get a moment to finish, then their connections are closed.
      const deadline = setTimeout(() => {
        for (const s of this.sockets) s.destroy();
      }, 2000);
      await closed;
      clearTimeout(deadline);
    }
    await Promise.allSettled([...this.jobWork.values()]);
    await this.store.close();
  }

  // ------------------------------------------------------------------------------------------
  // App

  today(): string {
    return this.options.today ?? new Date().toISOString().slice(0, 10);
  }

  tick(): void {
    const now = Date.now();
    for (const rec of this.store.jobs.values()) {
      if (rec.stage !== "done" && rec.clock.running) advanceJob(this, rec, now);
    }
  }

  /** Validate a job's files (real work, off the simulated clock) and extract its examples. */
  startJobWork(jobId: string): void {
    if (this.jobWork.has(jobId)) return;
    const generation = this.generation;
    const work = (async () => {
      const rec = this.store.jobs.get(jobId);
      if (!rec) return;
      const training = getFile(this, rec.obj.training_file);
      const validation = rec.obj.validation_file ? (getFile(this, rec.obj.validation_file) ?? null) : null;
      let result: JobRecord["validation"];
      let examplesBlob: string | null = null;
      try {
        if (!training || (rec.obj.validation_file && !validation)) {
          const param = !training ? "training_file" : "validation_file";
          result = {
            ok: false,
            error: { code: "file_not_found", message: `The ${param.replace("_", " ")} was deleted before it could be validated.`, param },
          };
        } else {
          result = await validateJobFiles(this.store, {
            training,
            validation,
            model: rec.base,
            method: rec.method,
            nEpochs: rec.obj.hyperparameters.n_epochs ?? "auto",
          });
          if (result.ok) examplesBlob = await extractExamples(this.store, training, rec.obj.id);
        }
      } catch (err) {
        process.stderr.write(`emulator: validating ${jobId} failed: ${(err as Error).stack ?? err}\n`);
        result = { ok: false, error: { code: "server_error", message: "The job failed due to an internal error while validating files.", param: null } };
      }
      if (generation !== this.generation || this.store.jobs.get(jobId) !== rec) return; // reset meanwhile
      rec.validation = result;
      rec.examplesBlob = examplesBlob;
      this.store.markDirty();
      this.tick();
    })().finally(() => this.jobWork.delete(jobId));
    this.jobWork.set(jobId, work);
  }

  // ------------------------------------------------------------------------------------------
  // Admin

  state(): EmulatorState {
    this.tick();
    const usage = process.resourceUsage();
    return {
      files: [...this.store.files.values()].sort((a, b) => a.seq - b.seq).map((r) => r.obj),
      jobs: [...this.store.jobs.values()].sort((a, b) => a.seq - b.seq).map((r) => r.obj) as EmulatorState["jobs"],
      models: [...this.store.models.values()].sort((a, b) => a.seq - b.seq).map((m) => fineTunedModelObject(this, m.obj.id)!),
      deployments: [...this.store.deployments.values()].sort((a, b) => a.seq - b.seq).map((d) => ({ ...deploymentObject(d), lastCallAt: new Date(d.lastCallAt).toISOString() })),
      uploads: [...this.store.uploads.values()].sort((a, b) => a.seq - b.seq).map((u) => ({ ...u.obj, parts: u.parts.length })),
      requests: { total: this.requests.total, retried: this.requests.retried, byRoute: Object.fromEntries(this.requests.byRoute) },
      log: this.store.log,
      received: this.received,
      faults: { ...this.injected },
      faultSettings: { ...this.faults },
      options: {
        timeScale: this.options.timeScale,
        dataDir: this.options.dataDir,
        apiKeyRequired: this.options.apiKey !== null,
        maxFileBytes: this.options.maxFileBytes,
        flavor: this.platform.flavor,
        today: this.today(),
      },
      process: {
        pid: process.pid,
        maxRssBytes: usage.maxRSS * 1024,
        rssBytes: process.memoryUsage.rss(),
        uptimeSeconds: Math.round(process.uptime()),
        cpuUserMs: Math.round(usage.userCPUTime / 1000),
        cpuSystemMs: Math.round(usage.systemCPUTime / 1000),
      },
    };
  }

  /** Where fault draws come from: Math.random, or a seeded generator (faults `seed`). */
  private draw: () => number = Math.random;

  setFaults(f: Faults): Required<Faults> {
    Object.assign(this.faults, f);
    if (f.seed !== undefined) this.draw = f.seed === 0 ? Math.random : seededRandom(f.seed);
    return { ...this.faults };
  }

  reset(): void {
    this.generation++;
    this.store.clear();
    Object.assign(this.faults, DEFAULT_FAULTS);
    this.draw = Math.random;
    this.requests = { total: 0, retried: 0, byRoute: new Map() };
    this.injected = { injected429: 0, injected500: 0, resets: 0, droppedResponses: 0 };
    this.received = [];
  }

  // ------------------------------------------------------------------------------------------
  // Requests

  private clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const message =
      status === 431
        ? "Request header fields too large."
        : status === 408
          ? "Request timed out."
          : `Malformed HTTP request (${err.code ?? "parse error"}).`;
    const body = JSON.stringify({
      error: { message, type: "invalid_request_error", param: null, code: status === 431 ? "request_header_fields_too_large" : "malformed_request" },
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${newId.request()}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  private record(ctx: Ctx): void {
    // The openai SDK numbers its tries in this header: a request that says it is a retry was retried.
    if (Number(ctx.req.headers["x-stainless-retry-count"] ?? 0) > 0) this.requests.retried++;
    const headers: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of Object.entries(ctx.req.headers)) {
      if (k !== "authorization" && k !== "api-key") headers[k] = v;
    }
    ctx.received = {
      method: ctx.method,
      path: ctx.req.url?.split("?")[0] ?? "/",
      query: Object.fromEntries(ctx.query),
      headers,
      body: "",
    };
    this.received.push(ctx.received);
    if (this.received.length > MAX_RECEIVED) this.received.splice(0, this.received.length - MAX_RECEIVED);
  }

  /**
   * Resource Manager (`--flavor azure`): any bearer token is accepted (Resource Manager takes only Entra
   * tokens; `--api-key` is the data plane's); counted in `requests.byRoute` like the API.
   */
  private async handleManagement(ctx: Ctx): Promise<void> {
    const match = this.management.match(ctx.method, ctx.path);
    const key = match ? `${ctx.method} ${match.pattern}` : `${ctx.method} (unmatched)`;
    this.requests.total++;
    this.requests.byRoute.set(key, (this.requests.byRoute.get(key) ?? 0) + 1);
    this.record(ctx);
    const auth = ctx.req.headers.authorization;
    if (typeof auth !== "string" || !/^bearer\s+\S+/i.test(auth)) {
      throw new ApiError(401, "Authentication failed. The 'Authorization' header is missing.", "invalid_request_error", null, "AuthenticationFailed");
    }
    if (this.injectFault(ctx)) return;
    if (!match) throw notFound(`The resource type could not be found (${ctx.method} ${ctx.path}).`, null, "InvalidResourceType");
    ctx.params = match.params;
    const result = await match.handler(ctx, this);
    if (result !== undefined) sendJson(ctx, 200, result);
  }

  private authenticate(ctx: Ctx): void {
    const auth = ctx.req.headers.authorization;
    let key: string | undefined;
    if (typeof auth === "string" && /^bearer\s+/i.test(auth)) key = auth.replace(/^bearer\s+/i, "").trim();
    const azure = ctx.flavor === "azure" || this.platform.flavor === "azure";
    const apiKey = ctx.req.headers["api-key"];
    if (azure && typeof apiKey === "string" && apiKey.trim()) key = apiKey.trim();
    // On Azure a bearer token is a Microsoft Entra token, which the emulator cannot verify: any JWT-shaped one is accepted.
    else if (azure && key && /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(key)) return;
    if (!key) {
      throw new ApiError(
        401,
        ctx.flavor === "azure"
          ? "Access denied due to a missing API key. Provide it in the 'api-key' header."
          : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        "invalid_request_error",
        null,
        ctx.flavor === "azure" ? "invalid_api_key" : null,
      );
    }
    if (this.options.apiKey !== null && key !== this.options.apiKey && azure) {
      throw new ApiError(401, "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.", "invalid_request_error", null, "invalid_api_key");
    }
    if (this.options.apiKey !== null && key !== this.options.apiKey) {
      const shown = key.length > 8 ? `${key.slice(0, 3)}${"*".repeat(Math.min(20, key.length - 7))}${key.slice(-4)}` : "*".repeat(key.length);
      throw new ApiError(
        401,
        `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        "invalid_request_error",
        null,
        "invalid_api_key",
      );
    }
  }

  /** Returns true when the request was taken over by a fault. */
  private injectFault(ctx: Ctx): boolean {
    const f = this.faults;
    if (f.resetRate > 0 && this.draw() < f.resetRate) {
      this.injected.resets++;
      ctx.req.socket.resetAndDestroy();
      return true;
    }
    const retryHeaders = {
      "retry-after": String(f.retryAfterSeconds),
      "retry-after-ms": String(Math.round(f.retryAfterSeconds * 1000)),
    };
    if (f.rate429 > 0 && this.draw() < f.rate429) {
      this.injected.injected429++;
      throw new ApiError(
        429,
        "Rate limit reached for requests (injected by the emulator). Please try again later.",
        "requests",
        null,
        "rate_limit_exceeded",
        { ...retryHeaders, "x-ratelimit-remaining-requests": "0" },
      );
    }
    if (f.rate500 > 0 && this.draw() < f.rate500) {
      this.injected.injected500++;
      const err = serverError();
      Object.assign(err.headers, { "retry-after-ms": retryHeaders["retry-after-ms"] });
      throw err;
    }
    return false;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const pathname = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    const ctx: Ctx = {
      req,
      res,
      method: (req.method ?? "GET").toUpperCase(),
      path: pathname,
      query: new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : ""),
      params: {},
      flavor: "openai",
      requestId: newId.request(),
      startedAt: Date.now(),
      capturedBytes: 0,
      capturedChunks: [],
    };
    try {
      if (pathname.startsWith("/_emulator/")) {
        await handleAdmin(ctx, this);
        return;
      }
      if (this.platform.flavor === "azure" && pathname.startsWith(`${MANAGEMENT_PREFIX}/`)) {
        await this.handleManagement(ctx);
        return;
      }
      if (pathname === "/openai/v1" || pathname.startsWith("/openai/v1/")) {
        ctx.flavor = "azure";
        ctx.azureV1 = true;
        ctx.path = pathname.slice("/openai".length);
      } else if (pathname === "/openai" || pathname.startsWith("/openai/")) {
        ctx.flavor = "azure";
        ctx.path = `/v1${pathname.slice("/openai".length)}`;
      }
      let match = null;
      let matchError: unknown = null;
      try {
        if (ctx.flavor === "azure" || !ctx.path.startsWith("/v1/deployments/")) match = this.router.match(ctx.method, ctx.path);
      } catch (err) {
        matchError = err;
      }
      const key = match
        ? `${ctx.method} ${ctx.flavor === "azure" ? `/openai${ctx.azureV1 ? match.pattern : match.pattern.slice(3)}` : match.pattern}`
        : `${ctx.method} (unmatched)`;
      this.requests.total++;
      this.requests.byRoute.set(key, (this.requests.byRoute.get(key) ?? 0) + 1);
      this.record(ctx);
      this.authenticate(ctx);
      if (ctx.flavor === "azure" && !ctx.azureV1 && !ctx.query.get("api-version")) {
        throw badRequest("Missing required query parameter 'api-version'.", "api-version", "missing_required_parameter");
      }
      if (this.injectFault(ctx)) return;
      if (matchError) throw matchError;
      if (!match) throw notFound(`Invalid URL (${ctx.method} ${pathname})`);
      ctx.params = match.params;
      const result = await match.handler(ctx, this);
      if (result === undefined) return;
      if (this.faults.dropResponseRate > 0 && this.draw() < this.faults.dropResponseRate) {
        this.injected.droppedResponses++;
        ctx.req.socket.resetAndDestroy();
        return;
      }
      sendJson(ctx, 200, result);
    } catch (err) {
      if (err instanceof ApiError) {
        await sendError(ctx, err);
      } else if (req.destroyed || res.destroyed || (err as NodeJS.ErrnoException)?.code === "ECONNRESET") {
        // The client went away mid-request; nothing to answer.
      } else {
        process.stderr.write(`emulator: ${ctx.method} ${pathname}: ${(err as Error)?.stack ?? String(err)}\n`);
        if (!res.headersSent) await sendError(ctx, serverError());
        else res.destroy();
      }
    }
  }
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const emulator = new Emulator(options);
  await emulator.start();
  return emulator;
}

