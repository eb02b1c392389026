/**
 * Named connections: several endpoints (OpenAI, Azure OpenAI resources) in one stack. Stack config
 * `openai-finetune:connections` maps a name to `{kind, baseUrl?, apiKey?, organization?, project?,
 * azureEndpoint?, apiVersion?, entraId?, managementEndpoint?}`; a resource's `connection` input names
 * one (never holds a key). No `connection` means today's single connection (`openai:*` config and
 * the environment). Everything here lives in this process's memory only, never in state.
 */
import OpenAI, { AzureOpenAI } from "openai";
import { z } from "zod";
import { DEFAULT_MAX_RETRIES, MISSING_KEY_MESSAGE, resolveSettings, type ConfigSource } from "./client";
import type { Platform } from "./models";

export const CONNECTIONS_KEY = "openai-finetune:connections";
/** Resource Manager, where Azure deployments live. */
export const DEFAULT_MANAGEMENT_ENDPOINT = "https://management.azure.com";
/** The scope of Entra tokens for the Azure OpenAI data plane. */
export const COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default";

const connectionSchema = z
  .object({
    kind: z.enum(["openai", "azure"]),
    baseUrl: z.string().url().optional(),
    apiKey: z.string().min(1).optional(),
    organization: z.string().optional(),
    project: z.string().optional(),
    azureEndpoint: z.string().url().optional(),
    apiVersion: z.string().min(1).optional(),
    entraId: z.boolean().optional(),
    managementEndpoint: z.string().url().optional(),
  })
  .strict();

export type ConnectionConfig = z.infer<typeof connectionSchema>;

export interface Connection extends ConnectionConfig {
  /** The name resources use; undefined for the default connection. */
  name: string | undefined;
  maxRetries: number;
}

let rawConnections: string | undefined;

export function configureConnections(config: ConfigSource): void {
  rawConnections = config.get(CONNECTIONS_KEY);
}

/** Parsed stack config; throws a message naming the key and the bad field. */
export function configuredConnections(raw: string | undefined = rawConnections): Record<string, ConnectionConfig> {
  if (raw === undefined || raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${CONNECTIONS_KEY} is not a JSON object; set it with \`pulumi config set --path '${CONNECTIONS_KEY}.<name>.kind' azure\``);
  }
  const result = z.record(z.string().min(1), connectionSchema).safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`${CONNECTIONS_KEY}.${issue.path.join(".")}: ${issue.message}`);
  }
  return result.data;
}

/** A per-connection environment variable, e.g. OPENAI_FINETUNE_AZURE_PROD_API_KEY for `azure-prod`. */
export function connectionKeyEnv(name: string): string {
  return `OPENAI_FINETUNE_${name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_API_KEY`;
}

/**
 * The connection a resource names (undefined: the default one). The per-connection environment
 * variable wins over the key in stack config, so a rotated key can be given without an `up`.
 */
export function resolveConnection(name: string | undefined, env: NodeJS.ProcessEnv = process.env): Connection {
  if (name === undefined) {
    const s = resolveSettings(env);
    const kind = s.azureEndpoint ? "azure" : "openai";
    return { name, kind, apiKey: s.apiKey, baseUrl: s.baseURL, organization: s.organization, project: s.project, azureEndpoint: s.azureEndpoint, apiVersion: s.apiVersion, maxRetries: s.maxRetries ?? DEFAULT_MAX_RETRIES };
  }
  const all = configuredConnections();
  const config = all[name];
  if (!config) {
    const known = Object.keys(all);
    throw new Error(`connection "${name}" is not defined in ${CONNECTIONS_KEY}${known.length ? ` (defined: ${known.join(", ")})` : " (no connections are defined)"}`);
  }
  const envKey = env[connectionKeyEnv(name)] || undefined;
  const fallback = config.kind === "azure" ? env.AZURE_OPENAI_API_KEY : env.OPENAI_API_KEY;
  const apiKey = envKey ?? config.apiKey ?? (config.entraId ? undefined : fallback || undefined);
  return { ...config, name, apiKey, maxRetries: resolveSettings(env).maxRetries ?? DEFAULT_MAX_RETRIES };
}

export function platformOf(connection: Pick<Connection, "kind">): Platform {
  return connection.kind;
}

/** What is wrong with a connection before any request is made, or undefined. */
export function connectionProblem(connection: Connection): string | undefined {
  const label = connection.name === undefined ? "the default connection" : `connection "${connection.name}"`;
  if (connection.kind === "azure") {
    if (!connection.azureEndpoint) {
      const set = connection.name === undefined ? "`pulumi config set openai:azureEndpoint https://<resource>.openai.azure.com`" : `\`pulumi config set --path '${CONNECTIONS_KEY}.${connection.name}.azureEndpoint' https://<resource>.openai.azure.com\``;
      return `${label} is an Azure connection without a resource endpoint: set it with ${set}`;
    }
    if (!connection.apiKey && !connection.entraId) {
      return `${label} has neither an API key nor entraId: true; set the key with \`pulumi config set --secret --path '${CONNECTIONS_KEY}.${connection.name ?? "<name>"}.apiKey' <key>\` (or export ${connection.name ? connectionKeyEnv(connection.name) : "AZURE_OPENAI_API_KEY"}), or use Microsoft Entra ID with entraId: true`;
    }
    return undefined;
  }
  if (!connection.apiKey) return connection.name === undefined ? MISSING_KEY_MESSAGE : `${label} has no API key: set it with \`pulumi config set --secret --path '${CONNECTIONS_KEY}.${connection.name}.apiKey' <key>\` or export ${connectionKeyEnv(connection.name)}`;
  return undefined;
}

/** Entra token providers by connection name; DefaultAzureCredential unless one was registered. */
const tokenProviders = new Map<string | undefined, () => Promise<string>>();

/** For programs that run the provider in-process (and tests): a given token provider for a connection. */
export function registerTokenProvider(name: string | undefined, provider: () => Promise<string>): void {
  tokenProviders.set(name, provider);
}

export function tokenProviderFor(connection: Connection, scope = COGNITIVE_SERVICES_SCOPE): () => Promise<string> {
  const given = tokenProviders.get(connection.name);
  if (given) return given;
  // Loaded lazily: OpenAI-only users never pay for @azure/identity.
  const identity = require("@azure/identity") as typeof import("@azure/identity");
  return identity.getBearerTokenProvider(new identity.DefaultAzureCredential(), scope);
}

/** The data-plane client of a connection: OpenAI, Azure v1 routes (no apiVersion), or Azure versioned routes. */
export function clientOf(connection: Connection, overrides: { maxRetries?: number; apiKey?: string } = {}): OpenAI {
  const problem = connectionProblem(connection);
  if (problem) throw new Error(problem);
  const maxRetries = overrides.maxRetries ?? connection.maxRetries;
  const apiKey = overrides.apiKey ?? connection.apiKey;
  if (connection.kind === "openai") {
    return new OpenAI({ apiKey, baseURL: connection.baseUrl, organization: connection.organization ?? null, project: connection.project ?? null, maxRetries });
  }
  const endpoint = connection.azureEndpoint!.replace(/\/+$/, "");
  const entra = connection.entraId && !overrides.apiKey ? tokenProviderFor(connection) : undefined;
  if (connection.apiVersion) {
    return entra
      ? new AzureOpenAI({ endpoint, azureADTokenProvider: entra, apiVersion: connection.apiVersion, maxRetries })
      : new AzureOpenAI({ endpoint, apiKey, apiVersion: connection.apiVersion, maxRetries });
  }
  // The v1 routes take OpenAI's shape: an OpenAI client, with the key in Azure's `api-key` header.
  const baseURL = `${endpoint}/openai/v1`;
  if (entra) return new OpenAI({ baseURL, apiKey: entra, maxRetries });
  return new OpenAI({ baseURL, apiKey, maxRetries, defaultHeaders: { "api-key": apiKey, Authorization: null } });
}

/** Every key this process knows, so error messages can redact them all. */
export function knownKeys(env: NodeJS.ProcessEnv = process.env): string[] {
  let named: string[] = [];
  try {
    named = Object.entries(configuredConnections()).flatMap(([name, c]) => [c.apiKey, env[connectionKeyEnv(name)]]).filter((k): k is string => !!k);
  } catch {
    // A malformed config is reported where it is used.
  }
  return [resolveSettings(env).apiKey, ...named].filter((k): k is string => !!k && k.length >= 4);
}

/** The key the environment holds for a connection now (the one a rotation would have put there). */
function environmentKey(connection: Connection, env: NodeJS.ProcessEnv): { key: string | undefined; variable: string } {
  const variable = connection.name !== undefined ? connectionKeyEnv(connection.name) : connection.kind === "azure" ? "AZURE_OPENAI_API_KEY" : "OPENAI_API_KEY";
  const key = env[variable] || (connection.name === undefined && connection.kind === "azure" ? env.OPENAI_API_KEY : undefined) || undefined;
  return { key, variable };
}

/**
 * Runs `work` with the connection's client. `refresh` and `destroy` (without --run-program) get the
 * provider configuration saved at the last `up`, so after a key rotation they hold the old key: on a
 * 401, a different key in the environment is tried once, else the error says exactly what to run.
 */
export async function withConnection<T>(name: string | undefined, operation: "refresh" | "destroy" | "up", work: (client: OpenAI, connection: Connection) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const connection = resolveConnection(name, env);
  try {
    return await work(clientOf(connection), connection);
  } catch (err) {
    // Errors given context keep the API's error as their cause.
    const api = (err as { cause?: unknown }).cause ?? err;
    const refused = [err, api].some((e) => e instanceof OpenAI.AuthenticationError || (e as { status?: number }).status === 401);
    if (!refused || connection.entraId) throw err;
    const fresh = environmentKey(connection, env);
    if (fresh.key && fresh.key !== connection.apiKey) {
      const { warn } = require("./log") as typeof import("./log");
      warn(`the key saved with this stack was refused (HTTP 401); used the key in ${fresh.variable} instead`);
      return await work(clientOf(connection, { apiKey: fresh.key }), connection);
    }
    const label = connection.name === undefined ? "the default connection" : `connection "${connection.name}"`;
    // The original error names the resource and the operation; the advice follows it.
    throw new Error(
      `${(err as Error).message}. ${label}: the API refused the key (HTTP 401). ${operation === "up" ? "" : `\`pulumi ${operation}\` uses the provider configuration saved at the last \`pulumi up\`, which holds the key of then. `}` +
        `If the key was rotated, run \`pulumi ${operation} --run-program\` so the stack's current config is used, or export ${fresh.variable}=<new key> and run \`pulumi ${operation}\` again.`,
    );
  }
}
