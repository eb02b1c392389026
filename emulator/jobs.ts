/** Fine-tuning jobs API: create (validated like OpenAI), list, retrieve, cancel, pause, resume, events, checkpoints. */
import type { App } from "./app";
import {
  HYPERPARAMETERS,
  JOB_CREATE_PARAMS,
  METADATA_LIMITS,
  MAX_SUFFIX_CHARS,
  METHOD_TYPES,
  SEED_RANGE,
  type HyperparameterRule,
  type MethodType,
} from "../provider/api-contract";
import { findModel, parseFineTunedId, platformFacts } from "../provider/models";
import { ApiError, badRequest, invalidType, invalidValue, missingParam, notFound, unknownParam } from "./errors";
import { getFile } from "./files";
import { ORGANIZATION_ID, ORGANIZATION_SLUG, paginate, readJson, type Ctx } from "./http";
import { nowSeconds } from "./ids";
import { jobOfCheckpoint } from "./models";
import type { Router } from "./router";
import type { JobObject, JobRecord } from "./store";
import { addEvent, cancelJob, isTerminal, pauseJob, resumeJob } from "./training";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkHyperparameters(type: MethodType, value: unknown, param: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw invalidType(param, "object", value);
  const spec: Partial<Record<string, HyperparameterRule>> = HYPERPARAMETERS[type];
  for (const [key, v] of Object.entries(value)) {
    const rule = spec[key];
    const p = `${param}.${key}`;
    if (!rule) throw unknownParam(p);
    // "auto" is what the job object shows for every hyperparameter left unset, so it is accepted back.
    if (v === "auto") continue;
    if (rule.kind === "choice") {
      if (!rule.values.includes(v as string)) {
        throw invalidValue(p, `Invalid value for '${p}': expected one of ${rule.values.map((x) => `'${x}'`).join(", ")}.`);
      }
      continue;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) throw invalidType(p, rule.kind === "int" ? "integer" : "number", v);
    if (rule.kind === "int" && !Number.isInteger(v)) throw invalidType(p, "integer", v);
    const [ok, range] =
      rule.kind === "int" ? [v >= rule.min && v <= rule.max, `from ${rule.min}`] : [v > rule.above && v <= rule.max, `above ${rule.above}`];
    if (!ok) throw invalidValue(p, `Invalid value for '${p}': ${v}. Expected 'auto' or a value ${range} to ${rule.max}.`);
  }
  return { ...value };
}

function defaultHyperparameters(type: MethodType): Record<string, unknown> {
  return Object.fromEntries(Object.keys(HYPERPARAMETERS[type]).map((k) => [k, "auto"]));
}

function checkMetadata(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw invalidType("metadata", "object", value);
  const entries = Object.entries(value);
  const { maxKeys, maxKeyChars, maxValueChars } = METADATA_LIMITS;
  if (entries.length > maxKeys) throw invalidValue("metadata", `Invalid 'metadata': too many keys (at most ${maxKeys} are allowed).`);
  for (const [k, v] of entries) {
    if (k.length > maxKeyChars) throw invalidValue("metadata", `Invalid 'metadata': key '${k.slice(0, 20)}...' is longer than ${maxKeyChars} characters.`);
    if (typeof v !== "string") throw invalidType(`metadata.${k}`, "string", v);
    if (v.length > maxValueChars) throw invalidValue(`metadata.${k}`, `Invalid 'metadata.${k}': value is longer than ${maxValueChars} characters.`);
  }
  return value as Record<string, string>;
}

function checkIntegrations(value: unknown) {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw invalidType("integrations", "array", value);
  value.forEach((item, i) => {
    const p = `integrations[${i}]`;
    if (!isObject(item)) throw invalidType(p, "object", item);
    if (item.type !== "wandb") throw invalidValue(`${p}.type`, `Invalid value for '${p}.type': only 'wandb' is supported.`);
    if (!isObject(item.wandb)) throw missingParam(`${p}.wandb`);
    if (typeof item.wandb.project !== "string" || !item.wandb.project) throw missingParam(`${p}.wandb.project`);
  });
  return value as JobObject["integrations"];
}

function checkFileParam(app: App, id: unknown, param: string): string {
  if (typeof id !== "string") throw invalidType(param, "string", id);
  const rec = getFile(app, id);
  if (!rec) throw badRequest(`invalid ${param}: ${id}`, param, "invalid_file_id");
  if (rec.obj.purpose !== "fine-tune") {
    throw badRequest(
      `File ${id} has purpose '${rec.obj.purpose}', but fine-tuning requires files uploaded with purpose 'fine-tune'.`,
      param,
      "invalid_file_purpose",
    );
  }
  return id;
}

/** The base snapshot and the methods it supports, for a model name (an existing ft: model counts). */
function resolveTrainableModel(app: App, model: string): { jobModel: string; base: string; methods: string[] } {
  const notAvailable = () => app.platform.modelNotAvailable(model);
  if (app.platform.isFineTunedName(model)) {
    const ft = app.store.models.get(model);
    const ckptJob = ft ? undefined : jobOfCheckpoint(app, model);
    const base = ft?.base ?? ckptJob?.base ?? parseFineTunedId(model);
    if ((!ft && !ckptJob) || !base) throw notAvailable();
    return { jobModel: model, base, methods: methodsOn(app, base) };
  }
  const facts = findModel(model);
  if (!facts) throw notAvailable();
  return { jobModel: facts.id, base: facts.id, methods: methodsOn(app, facts.id) };
}

function methodsOn(app: App, base: string): string[] {
  return platformFacts(base, app.platform.flavor)?.methods ?? findModel(base)?.methods ?? ["supervised"];
}

/** The job's method, its hyperparameters (top-level or per method) and a reinforcement grader, as the API checks them. */
interface MethodChoice {
  type: MethodType;
  hyperparameters?: Record<string, unknown>;
  grader?: unknown;
}

function refuseIfTrainingUnavailable(app: App): void {
  if (app.faults.blockFineTuning) {
    throw new ApiError(
      403,
      "Fine-tuning job creation is not available for this organization. Fine-tuning access has ended for your organization; existing fine-tuned models can still be used for inference.",
      "invalid_request_error",
      null,
      "fine_tuning_not_available",
    );
  }
  const closed = app.platform.closedRefusal(app.today(), app.faults.trainingClosed);
  if (closed) throw closed;
}

/** Unknown keys first, then the platform's own parameters, then what is required: the API's order. */
function checkParams(app: App, body: Record<string, unknown>): Record<string, unknown> {
  const known: readonly string[] = [...JOB_CREATE_PARAMS, ...app.platform.extraJobParams];
  for (const key of Object.keys(body)) if (!known.includes(key)) throw unknownParam(key);
  const extras = app.platform.jobExtras(body);
  if (body.model === undefined || body.model === null || body.model === "") throw missingParam("model");
  if (typeof body.model !== "string") throw invalidType("model", "string", body.model);
  if (body.training_file === undefined || body.training_file === null || body.training_file === "") throw missingParam("training_file");
  return extras;
}

function checkSuffix(app: App, value: unknown): string | null {
  const suffix = value ?? null;
  if (suffix === null) return null;
  if (typeof suffix !== "string") throw invalidType("suffix", "string", suffix);
  if (suffix.length > MAX_SUFFIX_CHARS) throw invalidValue("suffix", `Invalid 'suffix': string too long. Expected a string with maximum length ${MAX_SUFFIX_CHARS}, but got a string with length ${suffix.length} instead.`);
  if (/[:\s]/.test(suffix)) throw invalidValue("suffix", "Invalid 'suffix': it may not contain ':' or whitespace.");
  app.platform.checkSuffix(suffix);
  return suffix;
}

function checkSeed(value: unknown): number | null {
  const seed = value ?? null;
  if (seed === null) return null;
  if (typeof seed !== "number" || !Number.isInteger(seed)) throw invalidType("seed", "integer", seed);
  if (seed < SEED_RANGE.min || seed > SEED_RANGE.max) throw invalidValue("seed", `Invalid 'seed': must be between ${SEED_RANGE.min} and ${SEED_RANGE.max}.`);
  return seed;
}

function checkMethod(m: unknown): MethodChoice {
  if (m === undefined || m === null) return { type: "supervised" };
  if (!isObject(m)) throw invalidType("method", "object", m);
  if (m.type === undefined) throw missingParam("method.type");
  if (!(METHOD_TYPES as readonly unknown[]).includes(m.type)) {
    const supported = METHOD_TYPES.map((t) => `'${t}'`).join(", ");
    throw invalidValue("method.type", `Invalid value for 'method.type': '${String(m.type)}'. Supported values are: ${supported}.`);
  }
  const type = m.type as MethodType;
  for (const key of Object.keys(m)) if (key !== "type" && key !== type) throw unknownParam(`method.${key}`);
  const cfg = m[type];
  if (cfg !== undefined && cfg !== null && !isObject(cfg)) throw invalidType(`method.${type}`, "object", cfg);
  const c = (cfg ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (key !== "hyperparameters" && !(type === "reinforcement" && key === "grader")) throw unknownParam(`method.${type}.${key}`);
  }
  const hyperparameters = c.hyperparameters !== undefined ? checkHyperparameters(type, c.hyperparameters, `method.${type}.hyperparameters`) : undefined;
  if (type !== "reinforcement") return { type, hyperparameters };
  if (c.grader === undefined) throw missingParam("method.reinforcement.grader");
  if (!isObject(c.grader) || typeof c.grader.type !== "string") throw invalidType("method.reinforcement.grader", "object", c.grader);
  return { type, hyperparameters, grader: c.grader };
}

/** The deprecated top-level `hyperparameters`: supervised only, and not beside the method's own. */
function withTopLevelHyperparameters(method: MethodChoice, value: unknown): MethodChoice {
  if (value === undefined || value === null) return method;
  if (method.type !== "supervised") {
    throw badRequest("The top-level 'hyperparameters' parameter is only supported with the supervised method; use 'method.*.hyperparameters'.", "hyperparameters", "invalid_value");
  }
  if (method.hyperparameters) {
    throw badRequest("Specify hyperparameters either in 'hyperparameters' (deprecated) or in 'method.supervised.hyperparameters', not both.", "hyperparameters", "invalid_value");
  }
  return { ...method, hyperparameters: checkHyperparameters("supervised", value, "hyperparameters") };
}

interface CheckedJob {
  jobModel: string;
  base: string;
  method: MethodChoice;
  suffix: string | null;
  seed: number | null;
  trainingFile: string;
  validationFile: string | null;
  metadata: JobObject["metadata"];
  integrations: JobObject["integrations"];
  extras: Record<string, unknown>;
}

function checkJobBody(app: App, body: Record<string, unknown>): CheckedJob {
  const extras = checkParams(app, body);
  const suffix = checkSuffix(app, body.suffix);
  const seed = checkSeed(body.seed);
  const metadata = checkMetadata(body.metadata);
  const integrations = checkIntegrations(body.integrations);
  const method = withTopLevelHyperparameters(checkMethod(body.method), body.hyperparameters);
  const { jobModel, base, methods } = resolveTrainableModel(app, body.model as string);
  const refusal = app.platform.trainingRefusal(base, app.today());
  if (refusal) throw refusal;
  if (!methods.includes(method.type)) {
    throw badRequest(`Model ${body.model} does not support the '${method.type}' fine-tuning method.`, "method.type", "invalid_method");
  }
  const trainingFile = checkFileParam(app, body.training_file, "training_file");
  const validationFile = body.validation_file === undefined || body.validation_file === null ? null : checkFileParam(app, body.validation_file, "validation_file");
  return { jobModel, base, method, suffix, seed, trainingFile, validationFile, metadata, integrations, extras };
}

function jobObject(app: App, job: CheckedJob, now: number): JobObject {
  const { type, grader } = job.method;
  const hp = { ...defaultHyperparameters(type), ...(job.method.hyperparameters ?? {}) };
  const methodObj: Record<string, unknown> = { type, [type]: { hyperparameters: hp, ...(grader ? { grader } : {}) } };
  const obj: JobObject = {
    id: app.platform.jobId(),
    object: "fine_tuning.job",
    created_at: nowSeconds(now),
    error: null,
    fine_tuned_model: null,
    finished_at: null,
    hyperparameters: {
      batch_size: hp.batch_size as "auto" | number,
      learning_rate_multiplier: hp.learning_rate_multiplier as "auto" | number,
      n_epochs: hp.n_epochs as "auto" | number,
    },
    model: job.jobModel,
    organization_id: ORGANIZATION_ID,
    result_files: [],
    seed: job.seed ?? Math.floor(Math.random() * SEED_RANGE.max),
    status: "validating_files",
    trained_tokens: null,
    training_file: job.trainingFile,
    validation_file: job.validationFile,
    estimated_finish: null,
    integrations: job.integrations,
    metadata: job.metadata,
    method: methodObj as unknown as JobObject["method"],
    ...job.extras,
  };
  (obj as unknown as Record<string, unknown>).user_provided_suffix = job.suffix;
  return obj;
}

async function create(ctx: Ctx, app: App): Promise<JobObject> {
  const body = await readJson(ctx);
  refuseIfTrainingUnavailable(app);
  const job = checkJobBody(app, body);
  const now = Date.now();
  const obj = jobObject(app, job, now);
  const injectFailure = app.faults.failNextJobs > 0;
  if (injectFailure) app.faults.failNextJobs -= 1;
  const rec: JobRecord = {
    seq: app.store.nextSeq(),
    obj,
    base: job.base,
    ftName: app.platform.fineTunedName(job.base, ORGANIZATION_SLUG, job.suffix),
    method: job.method.type,
    clock: { simMs: 0, wallAt: now, running: true },
    stage: "validating",
    validation: null,
    plan: null,
    injectFailure,
    lastStep: 0,
    events: [],
    checkpoints: [],
    examplesBlob: null,
  };
  app.store.jobs.set(obj.id, rec);
  app.store.addLog("job.created", obj.id);
  addEvent(app, rec, now, `Created fine-tuning job: ${obj.id}`);
  addEvent(app, rec, now, `Validating training file: ${job.trainingFile}${job.validationFile ? ` and validation file: ${job.validationFile}` : ""}`);
  app.startJobWork(obj.id);
  return obj;
}

function requireJob(ctx: Ctx, app: App): JobRecord {
  app.tick();
  const id = ctx.params.id!;
  const rec = app.store.jobs.get(id);
  if (!rec) throw notFound(`Could not find fine-tuning job: ${id}`, "fine_tuning_job_id", "fine_tuning_job_not_found");
  return rec;
}

function list(ctx: Ctx, app: App) {
  app.tick();
  const filter: Record<string, string> = {};
  let nullMetadata = false;
  for (const [key, value] of ctx.query) {
    const m = /^metadata\[(.*)\]$/.exec(key);
    if (m) filter[m[1]!] = value;
    else if (key === "metadata") {
      if (value !== "null") throw invalidValue("metadata", "Invalid 'metadata' filter: use metadata[key]=value, or metadata=null.");
      nullMetadata = true;
    } else if (!["after", "limit", "api-version"].includes(key)) {
      throw unknownParam(key);
    }
  }
  if (nullMetadata && Object.keys(filter).length) {
    throw invalidValue("metadata", "Invalid 'metadata' filter: metadata=null cannot be combined with metadata[key]=value.");
  }
  let items = [...app.store.jobs.values()].sort((a, b) => b.seq - a.seq);
  if (nullMetadata) items = items.filter((r) => !r.obj.metadata || Object.keys(r.obj.metadata).length === 0);
  for (const [k, v] of Object.entries(filter)) items = items.filter((r) => r.obj.metadata?.[k] === v);
  const page = paginate(ctx, items, {
    id: (r) => r.obj.id,
    defaultLimit: 20,
    maxLimit: 100,
    seq: (r) => r.seq,
    seqOfId: (id) => app.store.jobs.get(id)?.seq,
    descending: true,
  });
  return { object: "list", data: page.data.map((r) => r.obj), has_more: page.has_more };
}

function cancel(ctx: Ctx, app: App): JobObject {
  const rec = requireJob(ctx, app);
  if (isTerminal(rec.obj.status)) {
    throw badRequest(`Job ${rec.obj.id} has already ${rec.obj.status === "cancelled" ? "been cancelled" : rec.obj.status} and cannot be cancelled.`, null, "invalid_job_status");
  }
  cancelJob(app, rec);
  return rec.obj;
}

function pause(ctx: Ctx, app: App): JobObject {
  const rec = requireJob(ctx, app);
  if (rec.obj.status !== "running") {
    throw badRequest(`Job ${rec.obj.id} cannot be paused: it is ${rec.obj.status}, and only running jobs can be paused.`, null, "invalid_job_status");
  }
  pauseJob(app, rec);
  return rec.obj;
}

function resume(ctx: Ctx, app: App): JobObject {
  const rec = requireJob(ctx, app);
  if (rec.obj.status !== "paused") {
    throw badRequest(`Job ${rec.obj.id} cannot be resumed: it is ${rec.obj.status}, and only paused jobs can be resumed.`, null, "invalid_job_status");
  }
  resumeJob(app, rec);
  return rec.obj;
}

function events(ctx: Ctx, app: App) {
  const rec = requireJob(ctx, app);
  const indexed = rec.events.map((e, i) => ({ e, i }));
  const byId = new Map(indexed.map(({ e, i }) => [e.id, i]));
  indexed.reverse();
  const page = paginate(
    ctx,
    indexed.map(({ e, i }) => ({ id: e.id, e, i })),
    { id: (x) => x.id, defaultLimit: 20, maxLimit: 100, seq: (x) => x.i, seqOfId: (id) => byId.get(id), descending: true },
  );
  return { object: "list", data: page.data.map((x) => x.e), has_more: page.has_more };
}

function checkpoints(ctx: Ctx, app: App) {
  const rec = requireJob(ctx, app);
  const indexed = rec.checkpoints.map((c, i) => ({ id: c.id, c, i })).reverse();
  const byId = new Map(indexed.map((x) => [x.id, x.i]));
  const page = paginate(ctx, indexed, { id: (x) => x.id, defaultLimit: 10, maxLimit: 100, seq: (x) => x.i, seqOfId: (id) => byId.get(id), descending: true });
  return { ...page, data: page.data.map((x) => x.c) };
}

export function registerJobs(router: Router): void {
  router
    .add("POST", "/v1/fine_tuning/jobs", create)
    .add("GET", "/v1/fine_tuning/jobs", list)
    .add("GET", "/v1/fine_tuning/jobs/{id}", (ctx, app) => requireJob(ctx, app).obj)
    .add("POST", "/v1/fine_tuning/jobs/{id}/cancel", cancel)
    .add("POST", "/v1/fine_tuning/jobs/{id}/pause", pause)
    .add("POST", "/v1/fine_tuning/jobs/{id}/resume", resume)
    .add("GET", "/v1/fine_tuning/jobs/{id}/events", events)
    .add("GET", "/v1/fine_tuning/jobs/{id}/checkpoints", checkpoints);
}
