/** Models API: base models from the catalog plus the fine-tuned models that currently exist. */
import type { Model } from "openai/resources/models";
import type { App } from "./app";
import { baseModelObject, baseModels, shutdownDateOf } from "./catalog";
import { ApiError, notFound } from "./errors";
import type { Ctx } from "./http";
import type { Router } from "./router";
import type { JobRecord } from "./store";

export const modelNotFound = (id: string, param: string | null = "model") =>
  notFound(`The model '${id}' does not exist or you do not have access to it.`, param, "model_not_found");

/** A fine-tuned model object, with its base model's shutdown date. */
export function fineTunedModelObject(app: App, id: string): Model | undefined {
  const rec = app.store.models.get(id);
  if (!rec) return undefined;
  return { ...rec.obj, shutdown_date: shutdownDateOf(rec.base, app.platform.flavor) };
}

/** The job whose checkpoint model this is (`<fine-tuned model>:ckpt-step-N`), if any. */
export function jobOfCheckpoint(app: App, id: string): JobRecord | undefined {
  if (!/:ckpt-step-\d+$/.test(id)) return undefined;
  for (const job of app.store.jobs.values()) {
    if (job.checkpoints.some((c) => c.fine_tuned_model_checkpoint === id)) return job;
  }
  return undefined;
}

export type ServingModel =
  | { kind: "base"; id: string }
  | { kind: "fine-tuned"; id: string; job: JobRecord };

/** What a model id used for sampling refers to; 404 model_not_found otherwise. */
export function resolveServingModel(app: App, id: string): ServingModel {
  if (baseModelObject(id, app.platform.flavor)) return { kind: "base", id };
  const ft = app.store.models.get(id);
  if (ft) {
    const job = app.store.jobs.get(ft.jobId);
    if (job) return { kind: "fine-tuned", id, job };
  }
  const job = jobOfCheckpoint(app, id);
  if (job) return { kind: "fine-tuned", id, job };
  throw modelNotFound(id);
}

function list(_ctx: Ctx, app: App) {
  const fineTuned = [...app.store.models.values()]
    .sort((a, b) => a.seq - b.seq)
    .map((m) => fineTunedModelObject(app, m.obj.id)!);
  return { object: "list", data: [...baseModels(app.platform.flavor), ...fineTuned] };
}

function retrieve(ctx: Ctx, app: App): Model {
  const id = ctx.params.id!;
  const model = baseModelObject(id, app.platform.flavor) ?? fineTunedModelObject(app, id);
  if (model) return model;
  const job = jobOfCheckpoint(app, id);
  if (job) {
    const ckpt = job.checkpoints.find((c) => c.fine_tuned_model_checkpoint === id)!;
    return { id, object: "model", created: ckpt.created_at, owned_by: job.obj.organization_id, shutdown_date: shutdownDateOf(job.base, app.platform.flavor) };
  }
  throw modelNotFound(id);
}

function remove(ctx: Ctx, app: App) {
  const id = ctx.params.id!;
  const rec = app.store.models.get(id);
  if (!rec) {
    if (baseModelObject(id, app.platform.flavor)) {
      throw new ApiError(
        403,
        `You are not allowed to delete the model '${id}': only fine-tuned models owned by your organization can be deleted.`,
        "invalid_request_error",
        "model",
        "model_not_deletable",
      );
    }
    throw modelNotFound(id);
  }
  app.store.models.delete(id);
  app.store.addLog("model.deleted", id);
  return { id, object: "model", deleted: true };
}

export function registerModels(router: Router): void {
  router
    .add("GET", "/v1/models", list)
    .add("GET", "/v1/models/{id}", retrieve)
    .add("DELETE", "/v1/models/{id}", remove);
}
