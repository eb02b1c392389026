/**
 * Azure Resource Manager deployments (`--flavor azure`), served under the management prefix for
 * `@azure/arm-cognitiveservices` pointed at it: create/update (PUT, provisioning in simulated time),
 * get, list, delete. A Developer-tier deployment lives 24 simulated hours; any deployment without a
 * call for 15 simulated days is deleted; both show as a 404 afterwards, as on Azure.
 */
import { AZURE_DEPLOYMENT_NAME, AZURE_FINE_TUNED_SKUS } from "../provider/api-contract";
import type { App } from "./app";
import { ApiError, badRequest } from "./errors";
import { readJson, sendJson, type Ctx } from "./http";
import type { Router } from "./router";
import type { DeploymentRecord } from "./store";

export const MANAGEMENT_PREFIX = "/management";
const BASE = `${MANAGEMENT_PREFIX}/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.CognitiveServices/accounts/{account}/deployments`;

const HOUR = 3_600_000;
/** Simulated durations (divided by the time scale). */
export const PROVISIONING_MS = { create: 60_000, update: 30_000 };
export const DEVELOPER_LIFETIME_MS = 24 * HOUR;
export const IDLE_DELETION_MS = 15 * 24 * HOUR;

/** SKUs Azure offers for fine-tuned models, Resource Manager's names (from the API contract the provider uses). */
export const FINE_TUNED_SKUS: string[] = Object.values(AZURE_FINE_TUNED_SKUS);


const armError = (status: number, code: string, message: string) => new ApiError(status, message, "invalid_request_error", null, code);

function keyOf(ctx: Ctx): string {
  const p = ctx.params;
  return `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${p.account}/deployments/${p.name}`.toLowerCase();
}

/** Removes expired Developer deployments and idle ones; run before every read. */
export function sweepDeployments(app: App, now = Date.now()): void {
  const scale = app.options.timeScale;
  for (const d of [...app.store.deployments.values()]) {
    const expired = d.expiresAt !== null && now >= d.expiresAt;
    const idle = now - d.lastCallAt >= IDLE_DELETION_MS / scale;
    if (!expired && !idle) continue;
    app.store.deployments.delete(d.key);
    app.store.addLog("deployment.expired", d.id, now);
  }
}

function provisioningState(d: DeploymentRecord, now = Date.now()): string {
  if (now >= d.readyAt) return "Succeeded";
  return d.updating ? "Updating" : "Creating";
}

/** The ARM resource as the SDK's `Deployment` type reads it. */
export function deploymentObject(d: DeploymentRecord, now = Date.now()) {
  return {
    id: d.id,
    name: d.name,
    type: "Microsoft.CognitiveServices/accounts/deployments",
    sku: d.sku,
    systemData: { createdAt: new Date(d.createdAt).toISOString() },
    properties: {
      model: d.model,
      provisioningState: provisioningState(d, now),
      ...(d.expiresAt !== null ? { expiresAt: new Date(d.expiresAt).toISOString() } : {}),
    },
  };
}

function requireVersion(ctx: Ctx): void {
  if (!ctx.query.get("api-version")) throw armError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
}

function find(ctx: Ctx, app: App): DeploymentRecord {
  requireVersion(ctx);
  sweepDeployments(app);
  const d = app.store.deployments.get(keyOf(ctx));
  if (!d) throw armError(404, "DeploymentNotFound", `Deployment '${ctx.params.name}' not found in account '${ctx.params.account}'.`);
  return d;
}

function checkBody(app: App, ctx: Ctx, body: Record<string, unknown>) {
  const name = ctx.params.name!;
  if (!AZURE_DEPLOYMENT_NAME.test(name)) {
    throw armError(400, "InvalidResourceName", `The deployment name '${name}' is invalid: use 2-64 letters, digits, '_', '.' or '-', starting with a letter or digit and not ending with '_' or '.'.`);
  }
  const sku = body.sku as { name?: unknown; capacity?: unknown } | undefined;
  const props = body.properties as { model?: { format?: unknown; name?: unknown; version?: unknown; source?: unknown } } | undefined;
  const model = props?.model;
  if (!model || typeof model.name !== "string" || !model.name) throw armError(400, "InvalidPayload", "properties.model.name is required.");
  if (model.format !== "OpenAI") throw armError(400, "InvalidPayload", "properties.model.format must be 'OpenAI'.");
  if (!sku || typeof sku.name !== "string") throw armError(400, "InvalidPayload", "sku.name is required.");
  const fineTuned = app.platform.isFineTunedName(model.name);
  if (fineTuned && !FINE_TUNED_SKUS.some((s) => s.toLowerCase() === (sku.name as string).toLowerCase())) {
    throw armError(400, "InvalidSkuName", `The SKU '${sku.name}' is not supported for fine-tuned models; use one of ${FINE_TUNED_SKUS.join(", ")}.`);
  }
  const capacity = sku.capacity === undefined ? 1 : sku.capacity;
  if (typeof capacity !== "number" || !Number.isInteger(capacity) || capacity < 1) throw armError(400, "InvalidCapacity", "sku.capacity must be a positive integer.");
  if (fineTuned && !app.store.models.has(model.name) && ![...app.store.jobs.values()].some((j) => j.checkpoints.some((c) => c.fine_tuned_model_checkpoint === model.name))) {
    throw armError(400, "ModelNotFound", `The fine-tuned model '${model.name}' was not found${typeof model.source === "string" ? ` in ${model.source}` : ""}.`);
  }
  return {
    sku: { name: sku.name, capacity },
    model: { format: "OpenAI", name: model.name, version: typeof model.version === "string" ? model.version : "1", ...(typeof model.source === "string" ? { source: model.source } : {}) },
  };
}

async function put(ctx: Ctx, app: App) {
  requireVersion(ctx);
  sweepDeployments(app);
  const wanted = checkBody(app, ctx, await readJson(ctx));
  const now = Date.now();
  const scale = app.options.timeScale;
  const key = keyOf(ctx);
  const existing = app.store.deployments.get(key);
  const p = ctx.params;
  const d: DeploymentRecord = existing
    ? { ...existing, ...wanted, readyAt: now + PROVISIONING_MS.update / scale, updating: true }
    : {
        seq: app.store.nextSeq(),
        key,
        id: `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${p.account}/deployments/${p.name}`,
        subscriptionId: p.subscriptionId!,
        resourceGroup: p.resourceGroup!,
        account: p.account!,
        name: p.name!,
        ...wanted,
        createdAt: now,
        readyAt: now + PROVISIONING_MS.create / scale,
        updating: false,
        lastCallAt: now,
        expiresAt: wanted.sku.name.toLowerCase() === "developertier" ? now + DEVELOPER_LIFETIME_MS / scale : null,
      };
  app.store.deployments.set(key, d);
  app.store.addLog(existing ? "deployment.updated" : "deployment.created", d.id, now);
  // No operation headers: the SDK then polls the resource itself until provisioningState is terminal.
  sendJson(ctx, existing ? 200 : 201, deploymentObject(d, now), { "retry-after": "1" });
  return undefined;
}

function remove(ctx: Ctx, app: App) {
  requireVersion(ctx);
  sweepDeployments(app);
  const d = app.store.deployments.get(keyOf(ctx));
  if (d) {
    app.store.deployments.delete(d.key);
    app.store.addLog("deployment.deleted", d.id);
  }
  // ARM answers a delete of something absent with 204, of something present with 200.
  if (d) {
    sendJson(ctx, 200, {});
  } else {
    ctx.res.writeHead(204);
    ctx.res.end();
  }
  return undefined;
}

function list(ctx: Ctx, app: App) {
  requireVersion(ctx);
  sweepDeployments(app);
  const account = `/subscriptions/${ctx.params.subscriptionId}/resourceGroups/${ctx.params.resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${ctx.params.account}/`.toLowerCase();
  return { value: [...app.store.deployments.values()].filter((d) => d.key.startsWith(account)).sort((a, b) => a.seq - b.seq).map((d) => deploymentObject(d)) };
}

/** A data-plane call through a deployment counts as use (it resets the idle clock); undefined when there is none. */
export function useDeployment(app: App, name: string): DeploymentRecord | undefined {
  sweepDeployments(app);
  const d = [...app.store.deployments.values()].find((x) => x.name === name);
  if (!d) return undefined;
  if (provisioningState(d) !== "Succeeded") throw armError(400, "DeploymentNotReady", `The deployment '${name}' is still being provisioned.`);
  d.lastCallAt = Date.now();
  app.store.markDirty();
  return d;
}

export function registerDeployments(router: Router): void {
  router
    .add("PUT", `${BASE}/{name}`, put)
    .add("GET", `${BASE}/{name}`, (ctx, app) => deploymentObject(find(ctx, app)))
    .add("DELETE", `${BASE}/{name}`, remove)
    .add("GET", BASE, list);
}
