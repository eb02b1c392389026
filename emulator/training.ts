/**
 * The simulated life of a fine-tuning job: validating_files -> queued -> running -> succeeded |
 * failed | cancelled, plus paused. Progress is a simulated clock stored with the job (simulated ms
 * at a wall time, advancing at --time-scale while running), so it survives restarts: after one,
 * `advanceJob` catches up from the stored clock and continues. Events, checkpoints, the result
 * file and the fine-tuned model are materialised as the clock passes their points.
 */
import { writeFileSync } from "node:fs";
import type { FineTuningJobEvent } from "openai/resources/fine-tuning/jobs/jobs";
import type { FineTuningJobCheckpoint } from "openai/resources/fine-tuning/jobs/checkpoints";
import type { App } from "./app";
import { addFile } from "./files";
import { ORGANIZATION_ID } from "./http";
import { nowSeconds } from "./ids";
import type { JobError, JobRecord, Plan } from "./store";

/** Simulated durations at --time-scale 1 (a 10-example job: ~20 s in all). */
export const VALIDATE_MS = 3000;
export const QUEUE_MS = 3000;
export const WARMUP_MS = 1500;
export const FINALIZE_MS = 500;
const STEP_MS = 120;
const MAX_RUN_MS = 10 * 60 * 1000;
const MAX_METRIC_EVENTS = 100;

export function isTerminal(status: string): boolean {
  return status === "succeeded" || status === "failed" || status === "cancelled";
}

function progress(app: App, rec: JobRecord, now: number): number {
  const c = rec.clock;
  return c.running ? c.simMs + (now - c.wallAt) * app.options.timeScale : c.simMs;
}

/** Wall-clock ms at which simulated time `sim` is (was) reached on the current clock line. */
function wallAt(app: App, rec: JobRecord, sim: number): number {
  const c = rec.clock;
  if (!c.running) return c.wallAt;
  return Math.round(c.wallAt + (sim - c.simMs) / app.options.timeScale);
}

function rebase(app: App, rec: JobRecord, sim: number, now: number): void {
  rec.clock.simMs = sim;
  rec.clock.wallAt = now;
}

export function addEvent(
  app: App,
  rec: JobRecord,
  atMs: number,
  message: string,
  opts: { level?: FineTuningJobEvent["level"]; type?: "message" | "metrics"; data?: unknown } = {},
): void {
  rec.events.push({
    id: app.platform.eventId(),
    object: "fine_tuning.job.event",
    created_at: nowSeconds(atMs),
    level: opts.level ?? "info",
    message,
    data: opts.data ?? {},
    type: opts.type ?? "message",
  });
  app.store.markDirty();
}

// ---------------------------------------------------------------------------------------------
// Deterministic training curves (by seed and step)

function noise(seed: number, step: number, salt: number): number {
  let x = (seed ^ (step * 2654435761) ^ (salt * 40503)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return (x / 0xffffffff) * 2 - 1;
}

const round4 = (n: number) => Math.round(n * 10000) / 10000;

/** Smooth (noise-free) losses; strictly decreasing in `step`. */
function smooth(step: number, steps: number) {
  const f = step / Math.max(1, steps);
  const train = 0.2 + 1.9 * Math.exp(-3.2 * f);
  const valid = 0.28 + 1.85 * Math.exp(-2.8 * f);
  return { train, valid };
}

function metricsAt(rec: JobRecord, step: number, exact = false) {
  const plan = rec.plan!;
  const s = smooth(step, plan.steps);
  const seed = rec.obj.seed;
  const k = exact ? 0 : 1;
  const train = Math.max(0.01, s.train + k * 0.12 * noise(seed, step, 1) * (1 - 0.6 * (step / plan.steps)));
  const valid = Math.max(0.01, s.valid + k * 0.08 * noise(seed, step, 2));
  return {
    train_loss: round4(train),
    train_mean_token_accuracy: round4(Math.min(1, Math.max(0, 1 - train / 2.6))),
    valid_loss: round4(valid),
    valid_mean_token_accuracy: round4(Math.min(1, Math.max(0, 1 - valid / 2.6))),
  };
}

// ---------------------------------------------------------------------------------------------

function resolveHyperparameters(rec: JobRecord, examples: number, epochs: number) {
  const method = rec.obj.method!;
  const cfg = (method as unknown as Record<string, { hyperparameters?: Record<string, unknown> }>)[method.type] ?? {};
  const hp = { ...(cfg.hyperparameters ?? {}) };
  const batch = typeof hp.batch_size === "number" ? hp.batch_size : Math.min(256, Math.max(1, Math.ceil(examples * 0.002)));
  hp.batch_size = batch;
  hp.n_epochs = epochs;
  if (typeof hp.learning_rate_multiplier !== "number") hp.learning_rate_multiplier = 1.8;
  if (method.type === "dpo" && typeof hp.beta !== "number") hp.beta = 0.1;
  if (method.type === "reinforcement") {
    for (const [k, v] of Object.entries({ compute_multiplier: 1, eval_interval: 1, eval_samples: 1, reasoning_effort: "medium" })) {
      if (hp[k] === undefined || hp[k] === "auto" || (k === "reasoning_effort" && hp[k] === "default")) hp[k] = v;
    }
  }
  (method as unknown as Record<string, unknown>)[method.type] = { ...cfg, hyperparameters: hp };
  rec.obj.hyperparameters = {
    batch_size: batch,
    learning_rate_multiplier: hp.learning_rate_multiplier as number,
    n_epochs: epochs,
  };
  return batch;
}

function makePlan(rec: JobRecord): Plan {
  const v = rec.validation as Extract<JobRecord["validation"], { ok: true }>;
  const requested = rec.obj.hyperparameters.n_epochs;
  const epochs = typeof requested === "number" ? requested : v.epochs;
  const batch = resolveHyperparameters(rec, v.examples, epochs);
  const stepsPerEpoch = Math.max(1, Math.ceil(v.examples / batch));
  const steps = stepsPerEpoch * epochs;
  const stepMs = Math.min(STEP_MS, MAX_RUN_MS / steps);
  return {
    validateMs: VALIDATE_MS,
    queueMs: QUEUE_MS,
    warmupMs: WARMUP_MS,
    stepMs,
    steps,
    stepsPerEpoch,
    epochs,
    failAtStep: rec.injectFailure ? Math.max(1, Math.floor(steps / 2)) : 0,
    trainedTokens: v.billedTokens,
  };
}

function runStart(plan: Plan): number {
  return plan.validateMs + plan.queueMs + plan.warmupMs;
}

function runEnd(plan: Plan): number {
  return runStart(plan) + plan.steps * plan.stepMs + FINALIZE_MS;
}

export function failJob(app: App, rec: JobRecord, error: JobError, atMs: number): void {
  rec.stage = "done";
  rec.clock.running = false;
  rec.obj.status = "failed";
  rec.obj.error = error;
  rec.obj.finished_at = nowSeconds(atMs);
  rec.obj.estimated_finish = null;
  addEvent(app, rec, atMs, `The job failed: ${error.message}`, { level: "error" });
  app.store.addLog("job.failed", rec.obj.id);
}

export function cancelJob(app: App, rec: JobRecord): void {
  const now = Date.now();
  rec.stage = "done";
  rec.clock.running = false;
  rec.obj.status = "cancelled";
  rec.obj.finished_at = nowSeconds(now);
  rec.obj.estimated_finish = null;
  addEvent(app, rec, now, "Fine-tuning job cancelled");
  app.store.addLog("job.cancelled", rec.obj.id);
}

export function pauseJob(app: App, rec: JobRecord): void {
  const now = Date.now();
  rebase(app, rec, progress(app, rec, now), now);
  rec.clock.running = false;
  rec.obj.status = "paused";
  rec.obj.estimated_finish = null;
  addEvent(app, rec, now, "Fine-tuning job paused");
}

export function resumeJob(app: App, rec: JobRecord): void {
  const now = Date.now();
  rec.clock.wallAt = now;
  rec.clock.running = true;
  rec.obj.status = "running";
  addEvent(app, rec, now, "Fine-tuning job resumed");
  rec.obj.estimated_finish = nowSeconds(wallAt(app, rec, runEnd(rec.plan!)));
}

function writeResultFile(app: App, rec: JobRecord): string {
  const plan = rec.plan!;
  const hasValidation = rec.obj.validation_file !== null;
  const rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"];
  for (let s = 1; s <= plan.steps; s++) {
    const m = metricsAt(rec, s);
    rows.push(
      [s, m.train_loss, m.train_mean_token_accuracy, hasValidation ? m.valid_loss : "", hasValidation ? m.valid_mean_token_accuracy : ""].join(","),
    );
  }
  const text = rows.join("\n") + "\n";
  const id = app.platform.fileId();
  writeFileSync(app.store.blobPath(id), text);
  addFile(app, { filename: "step_metrics.csv", purpose: "fine-tune-results", bytes: Buffer.byteLength(text) }, [id], id);
  return id;
}

function succeedJob(app: App, rec: JobRecord, atMs: number): void {
  const plan = rec.plan!;
  const name = rec.ftName;
  const resultFile = writeResultFile(app, rec);
  app.store.models.set(name, {
    seq: app.store.nextSeq(),
    obj: { id: name, object: "model", created: nowSeconds(atMs), owned_by: ORGANIZATION_ID },
    jobId: rec.obj.id,
    base: rec.base,
  });
  app.store.addLog("model.created", name);
  addEvent(app, rec, atMs, `New fine-tuned model created: ${name}`);
  addEvent(app, rec, atMs, "Evaluating model against our usage policies");
  addEvent(app, rec, atMs, "Usage policy evaluations completed, model is now enabled for sampling");
  rec.stage = "done";
  rec.clock.running = false;
  Object.assign(rec.obj, {
    status: "succeeded",
    fine_tuned_model: name,
    finished_at: nowSeconds(atMs),
    trained_tokens: plan.trainedTokens,
    result_files: [resultFile],
    estimated_finish: null,
  });
  addEvent(app, rec, atMs, "The job has successfully completed");
  app.store.addLog("job.succeeded", rec.obj.id);
}

function addCheckpoint(app: App, rec: JobRecord, step: number, atMs: number): void {
  const m = metricsAt(rec, step, true);
  const ckpt: FineTuningJobCheckpoint = {
    id: app.platform.checkpointId(),
    object: "fine_tuning.job.checkpoint",
    created_at: nowSeconds(atMs),
    fine_tuned_model_checkpoint: app.platform.checkpointModel(rec.ftName, step),
    fine_tuning_job_id: rec.obj.id,
    step_number: step,
    metrics: {
      step,
      train_loss: m.train_loss,
      train_mean_token_accuracy: m.train_mean_token_accuracy,
      valid_loss: m.valid_loss,
      valid_mean_token_accuracy: m.valid_mean_token_accuracy,
      full_valid_loss: m.valid_loss,
      full_valid_mean_token_accuracy: m.valid_mean_token_accuracy,
    },
  };
  rec.checkpoints.push(ckpt);
  addEvent(app, rec, atMs, `Checkpoint created at step ${step}`);
}

/** Bring one job up to `now`. */
export function advanceJob(app: App, rec: JobRecord, now: number): void {
  if (rec.stage === "done" || !rec.clock.running) return;
  const p = progress(app, rec, now);

  if (rec.stage === "validating") {
    if (p < VALIDATE_MS) return;
    if (!rec.validation) {
      // Still checking the data for real: hold the clock at the end of validation.
      rebase(app, rec, VALIDATE_MS, now);
      return;
    }
    const at = wallAt(app, rec, VALIDATE_MS);
    if (!rec.validation.ok) {
      failJob(app, rec, rec.validation.error, at);
      return;
    }
    rec.plan = makePlan(rec);
    rec.stage = "queued";
    rec.obj.status = "queued";
    addEvent(app, rec, at, "Files validated, moving job to queued state");
    app.store.markDirty();
  }
  const plan = rec.plan!;

  if (rec.stage === "queued") {
    if (p < plan.validateMs + plan.queueMs) return;
    const at = wallAt(app, rec, plan.validateMs + plan.queueMs);
    rec.stage = "running";
    rec.obj.status = "running";
    rec.obj.estimated_finish = nowSeconds(wallAt(app, rec, runEnd(plan)));
    addEvent(app, rec, at, "Fine-tuning job started");
    app.store.markDirty();
  }

  if (rec.stage === "running") {
    const start = runStart(plan);
    const current = Math.max(0, Math.min(plan.steps, Math.floor((p - start) / plan.stepMs)));
    const every = Math.max(1, Math.ceil(plan.steps / (app.options.maxMetricEvents ?? MAX_METRIC_EVENTS)));
    const keepFromEpoch = Math.max(1, plan.epochs - 2);
    for (let s = rec.lastStep + 1; s <= current; s++) {
      const at = wallAt(app, rec, start + s * plan.stepMs);
      rec.lastStep = s;
      if (s % every === 0 || s === plan.steps || s === plan.failAtStep) {
        const m = metricsAt(rec, s);
        const data: Record<string, number> = { step: s, train_loss: m.train_loss, total_steps: plan.steps, train_mean_token_accuracy: m.train_mean_token_accuracy };
        if (rec.obj.validation_file) {
          data.valid_loss = m.valid_loss;
          data.valid_mean_token_accuracy = m.valid_mean_token_accuracy;
        }
        addEvent(app, rec, at, `Step ${s}/${plan.steps}: training loss=${m.train_loss.toFixed(2)}`, { type: "metrics", data });
      }
      if (s === plan.failAtStep) {
        failJob(app, rec, { code: "server_error", message: "The job failed due to an internal error. Please try again.", param: null }, at);
        return;
      }
      const epochDone = s % plan.stepsPerEpoch === 0 ? s / plan.stepsPerEpoch : 0;
      if (epochDone >= keepFromEpoch) addCheckpoint(app, rec, s, at);
    }
    if (p >= runEnd(plan)) succeedJob(app, rec, wallAt(app, rec, runEnd(plan)));
  }
}

