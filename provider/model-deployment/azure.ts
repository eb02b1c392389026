/**
 * A fine-tuned model made callable on Azure OpenAI: a Resource Manager deployment
 * (`Microsoft.CognitiveServices/accounts/{account}/deployments/{name}`), created, scaled and deleted with
 * `@azure/arm-cognitiveservices`. Resource Manager takes only Microsoft Entra tokens, so this uses the
 * connection's token provider or DefaultAzureCredential even when the data plane uses an API key.
 * The ModelDeployment resource calls these functions on an Azure connection.
 */
import { createHash } from "node:crypto";
import type { TokenCredential } from "@azure/core-auth";
import type { CognitiveServicesManagementClient, Deployment } from "@azure/arm-cognitiveservices";
import { z } from "zod";
import { named } from "../schema";
import { DEFAULT_MANAGEMENT_ENDPOINT, tokenProviderFor, type Connection } from "../connections";
import { AZURE_DEPLOYMENT_NAME, AZURE_FINE_TUNED_SKUS } from "../api-contract";
import { redact } from "../client";
import { info, throttled } from "../log";

/** The SKUs Azure offers for fine-tuned models, as the input names them (the API contract holds Resource Manager's names). */
export const AZURE_SKUS = Object.keys(AZURE_FINE_TUNED_SKUS) as (keyof typeof AZURE_FINE_TUNED_SKUS)[];
export type AzureSku = keyof typeof AZURE_FINE_TUNED_SKUS;

const MANAGEMENT_SCOPE = "https://management.azure.com/.default";

export const azureDeploymentSchema = named(
  z
    .object({
      subscriptionId: z.string().min(1, "must name the Azure subscription").describe("The subscription of the Azure OpenAI resource that serves."),
      resourceGroup: z.string().min(1, "must name the resource group").describe("Its resource group."),
      account: z.string().min(2, "must name the Azure OpenAI resource (account)").describe("The Azure OpenAI resource (Resource Manager's account) that serves."),
      deploymentName: z
        .string()
        .regex(AZURE_DEPLOYMENT_NAME, "Azure accepts 2-64 letters, digits, '_', '.' and '-', starting with a letter or digit and not ending in '_' or '.'")
        .optional()
        .describe("The deployment's name, what clients pass as `model`; default `<resource>-<8 hex>`, stable across promotions."),
      sku: z
        .object({
          name: z.enum(AZURE_SKUS, { error: (i) => `Azure offers fine-tuned models on ${AZURE_SKUS.join(", ")}, not ${JSON.stringify(i.input)}` }),
          capacity: z.number().int().positive().optional(),
        })
        .strict()
        .describe("`Standard`, `GlobalStandard`, `ProvisionedManaged` or `Developer` (lives 24 hours), and its capacity (default 1; 50 on Developer)."),
      source: z
        .string()
        .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.CognitiveServices\/accounts\/[^/]+$/i, "must be an account's Resource Manager id, /subscriptions/…/resourceGroups/…/providers/Microsoft.CognitiveServices/accounts/…")
        .optional()
        .describe("The Resource Manager id of the account the model was trained in, when it is another one (cross-region or cross-subscription)."),
    })
    .strict(),
  "AzureDeployment",
  "Where and how a fine-tuned model is deployed on Azure OpenAI (a Resource Manager deployment).",
);

export type AzureDeploymentInput = z.infer<typeof azureDeploymentSchema>;

export interface AzureDeploymentOutputs {
  /** What a client passes as `model` on the v1 routes. */
  model: string;
  deploymentName: string;
  /** The data-plane endpoint that serves it. */
  endpoint: string;
  provisioningState: string;
  sku: { name: string; capacity: number };
}

/**
 * A name when none is given: readable, always valid, and stable per resource (project/stack/resource),
 * so a promotion to another model keeps the name clients call and two stacks never share one.
 */
export function deriveDeploymentName(owner: string): string {
  const resource = (owner.split("/").pop() ?? "model").replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^[-_]+|[-_]+$/g, "") || "model";
  const tag = createHash("sha256").update(owner).digest("hex").slice(0, 8);
  return `${resource.slice(0, 64 - tag.length - 1)}-${tag}`;
}

/** The deployment's name: the given one, else the derived one. */
export function deploymentNameOf(input: AzureDeploymentInput, owner: string): string {
  return input.deploymentName ?? deriveDeploymentName(owner);
}

/** Which Resource Manager resource a deployment is: two inputs naming the same one cannot coexist. */
export function deploymentTarget(input: AzureDeploymentInput, owner: string): string {
  return [input.subscriptionId, input.resourceGroup, input.account, deploymentNameOf(input, owner)].join("/").toLowerCase();
}

/** Where Resource Manager is; plain http only on loopback (the SDK refuses bearer tokens over http unless allowed). */
export function managementEndpointOf(connection: Connection): { endpoint: string; insecure: boolean } {
  const endpoint = (connection.managementEndpoint ?? DEFAULT_MANAGEMENT_ENDPOINT).replace(/\/+$/, "");
  const url = new URL(endpoint);
  if (url.protocol === "https:") return { endpoint, insecure: false };
  const loopback = ["localhost", "127.0.0.1", "[::1]", "::1"].includes(url.hostname) || url.hostname.startsWith("127.");
  if (url.protocol !== "http:" || !loopback) {
    throw new Error(`managementEndpoint ${endpoint}: Resource Manager must be reached over https (plain http is accepted for loopback addresses only)`);
  }
  return { endpoint, insecure: true };
}

function credentialOf(connection: Connection): TokenCredential {
  const provider = tokenProviderFor(connection, MANAGEMENT_SCOPE);
  return { getToken: async () => ({ token: await provider(), expiresOnTimestamp: Date.now() + 5 * 60_000 }) };
}

export function managementClient(connection: Connection, subscriptionId: string, credential: TokenCredential = credentialOf(connection)): CognitiveServicesManagementClient {
  const { endpoint, insecure } = managementEndpointOf(connection);
  const arm = require("@azure/arm-cognitiveservices") as typeof import("@azure/arm-cognitiveservices");
  const client = new arm.CognitiveServicesManagementClient(credential, subscriptionId, { endpoint, allowInsecureConnection: insecure });
  if (insecure) {
    // The SDK's bearer policy refuses http outright; on a loopback address (the emulator) the token goes
    // in the same header through this policy instead.
    client.pipeline.removePolicy({ name: "bearerTokenAuthenticationPolicy" });
    client.pipeline.addPolicy({
      name: "loopbackBearerPolicy",
      sendRequest: async (request, next) => {
        const token = await credential.getToken(MANAGEMENT_SCOPE);
        if (token) request.headers.set("Authorization", `Bearer ${token.token}`);
        return next(request);
      },
    }, { phase: "Sign" });
  }
  return client;
}

function outputsOf(connection: Connection, name: string, d: Deployment): AzureDeploymentOutputs {
  return {
    model: name,
    deploymentName: name,
    endpoint: (connection.azureEndpoint ?? "").replace(/\/+$/, ""),
    provisioningState: d.properties?.provisioningState ?? "Unknown",
    sku: { name: d.sku?.name ?? "", capacity: d.sku?.capacity ?? 0 },
  };
}

/**
 * Creates the deployment or changes its SKU capacity, and waits for `provisioningState` Succeeded with
 * throttled progress. `model` is the fine-tuned model (or checkpoint) id.
 */
export async function deployOnAzure(connection: Connection, input: AzureDeploymentInput, model: string, opts: { label: string; owner: string; pollIntervalMs?: number }): Promise<AzureDeploymentOutputs> {
  const name = deploymentNameOf(input, opts.owner);
  const client = managementClient(connection, input.subscriptionId);
  const body: Deployment = {
    sku: { name: AZURE_FINE_TUNED_SKUS[input.sku.name], capacity: input.sku.capacity ?? (input.sku.name === "Developer" ? 50 : 1) },
    properties: { model: { format: "OpenAI", name: model, version: "1", ...(input.source ? { source: input.source } : {}) } },
  };
  info(`${opts.label}: deploying ${model} as ${name} on ${input.account} (${input.sku.name}, capacity ${body.sku!.capacity})`);
  const progress = throttled(10_000, (state: string) => info(`${opts.label}: deployment ${name} is ${state}`));
  const poller = await client.deployments.beginCreateOrUpdate(input.resourceGroup, input.account, name, body, { updateIntervalInMs: opts.pollIntervalMs ?? 5_000 });
  poller.onProgress((state) => progress(String((state.result as Deployment | undefined)?.properties?.provisioningState ?? state.status)));
  const done = await poller.pollUntilDone();
  const state = done.properties?.provisioningState;
  if (state !== "Succeeded") throw new Error(`deployment ${name} ended ${state ?? "without a provisioning state"}`);
  info(`${opts.label}: deployment ${name} is ready; call it with model "${name}"`);
  return outputsOf(connection, name, done);
}

/** The deployment as it is now, or undefined when it is gone (deleted, expired, idle-deleted). */
export async function readAzureDeployment(connection: Connection, input: AzureDeploymentInput, name: string): Promise<AzureDeploymentOutputs | undefined> {
  try {
    const d = await managementClient(connection, input.subscriptionId).deployments.get(input.resourceGroup, input.account, name);
    return outputsOf(connection, name, d);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** Deletes the deployment; one already gone counts as deleted. */
export async function deleteAzureDeployment(connection: Connection, input: AzureDeploymentInput, name: string, label: string): Promise<void> {
  info(`${label}: deleting deployment ${name} on ${input.account}`);
  await managementClient(connection, input.subscriptionId).deployments.beginDeleteAndWait(input.resourceGroup, input.account, name, { updateIntervalInMs: 2_000 });
}

/** A Resource Manager error as one line: what was being done, the HTTP status and code, Azure's message. */
export function describeArmError(what: string, err: unknown): string {
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = e.statusCode === undefined ? "" : ` (HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ""})`;
  return redact(`${what}${status}: ${e.message ?? String(err)}`);
}
