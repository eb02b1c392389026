/**
 * Where the provider's OpenAI client comes from: stack config first (`openai:apiKey` as a secret,
 * read in the dynamic provider's `configure`), then the SDK's usual environment variables.
 * Settings live in this module's memory only: nothing here is captured into Pulumi state.
 */
import OpenAI, { AzureOpenAI } from "openai";
import { exitWhenEngineGone } from "./engine";
import { configureConnections, knownKeys } from "./connections";

export interface ConnectionSettings {
  apiKey?: string;
  baseURL?: string;
  organization?: string;
  project?: string;
  /** Azure OpenAI resource endpoint; when set, the Azure client of the SDK is used. */
  azureEndpoint?: string;
  /** Azure OpenAI `api-version`. */
  apiVersion?: string;
  /** Retries of transient failures (connection errors, 429, 5xx) per request; bounded. */
  maxRetries?: number;
}

/** Reads one stack config value; the shape of `ConfigureRequest.config`. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

const CONFIG_KEYS: Record<keyof ConnectionSettings, string> = {
  apiKey: "openai:apiKey",
  baseURL: "openai:baseUrl",
  organization: "openai:organization",
  project: "openai:project",
  azureEndpoint: "openai:azureEndpoint",
  apiVersion: "openai:apiVersion",
  maxRetries: "openai:maxRetries",
};

const ENV_KEYS: Record<keyof ConnectionSettings, string[]> = {
  apiKey: ["OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"],
  baseURL: ["OPENAI_BASE_URL"],
  organization: ["OPENAI_ORG_ID"],
  project: ["OPENAI_PROJECT_ID"],
  azureEndpoint: ["AZURE_OPENAI_ENDPOINT"],
  apiVersion: ["OPENAI_API_VERSION"],
  maxRetries: ["OPENAI_MAX_RETRIES"],
};

/** Enough for a request to survive a bad minute of 5xx/429 at the API, and still end. */
export const DEFAULT_MAX_RETRIES = 10;

let fromStackConfig: Record<string, string | undefined> = {};

/** Called from the dynamic provider's `configure`, once per provider process. */
export function configureFromStack(config: ConfigSource): void {
  fromStackConfig = Object.fromEntries(Object.entries(CONFIG_KEYS).map(([name, key]) => [name, config.get(key)]));
}

export function resolveSettings(env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const pick = (name: keyof ConnectionSettings) =>
    nonEmpty(fromStackConfig[name]) ?? ENV_KEYS[name].map((key) => nonEmpty(env[key])).find((v) => v !== undefined);
  const maxRetries = Number(pick("maxRetries") ?? DEFAULT_MAX_RETRIES);
  return {
    apiKey: pick("apiKey"),
    baseURL: pick("baseURL"),
    organization: pick("organization"),
    project: pick("project"),
    azureEndpoint: pick("azureEndpoint"),
    apiVersion: pick("apiVersion"),
    maxRetries: Number.isFinite(maxRetries) && maxRetries >= 0 ? Math.min(maxRetries, 20) : DEFAULT_MAX_RETRIES,
  };
}

export const MISSING_KEY_MESSAGE =
  "No OpenAI API key: set it as a stack secret with `pulumi config set --secret openai:apiKey <key>`, " +
  "or export OPENAI_API_KEY before running pulumi.";

/** A check failure message when no key can be found, else undefined. */
export function missingCredentials(settings = resolveSettings()): string | undefined {
  return settings.apiKey ? undefined : MISSING_KEY_MESSAGE;
}

export function createClient(settings = resolveSettings(), overrides: { maxRetries?: number } = {}): OpenAI {
  if (!settings.apiKey) throw new Error(MISSING_KEY_MESSAGE);
  const maxRetries = overrides.maxRetries ?? settings.maxRetries;
  if (settings.azureEndpoint) {
    return new AzureOpenAI({ endpoint: settings.azureEndpoint, apiKey: settings.apiKey, apiVersion: settings.apiVersion, maxRetries });
  }
  return new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL,
    organization: settings.organization ?? null,
    project: settings.project ?? null,
    maxRetries,
  });
}

/** Removes the API key from any text that may reach a log, an error or state. */
export function redact(text: string, settings = resolveSettings()): string {
  const keys = [settings.apiKey, ...knownKeys()].filter((k): k is string => !!k && k.length >= 4);
  return keys.reduce((out, key) => out.split(key).join("[redacted]"), text);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** The dynamic provider's `configure`: runs once per provider process with the stack's decrypted config. */
export async function configureProvider(req: { config: ConfigSource }): Promise<void> {
  configureFromStack(req.config);
  configureConnections(req.config);
  exitWhenEngineGone();
}
