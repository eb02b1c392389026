/**
 * The admin API (no auth, not counted, no faults): `GET /_emulator/state`,
 * `POST /_emulator/faults`, `POST /_emulator/reset`. Its types are what tests and tools import.
 */
import { randomUUID } from "node:crypto";
import type { FileObject } from "openai/resources/files";
import type { Upload } from "openai/resources/uploads/uploads";
import type { FineTuningJob } from "openai/resources/fine-tuning/jobs/jobs";
import type { Model } from "openai/resources/models";
import { badRequest, invalidType, notFound, unknownParam } from "./errors";
import { readJson, sendJson, type Ctx, type ReceivedRequest } from "./http";
import type { LogEntry } from "./store";

export interface Faults {
  /** Probability (0..1) that an API request is answered 429 with `retry-after`. */
  rate429?: number;
  /** Probability (0..1) that an API request is answered 500. */
  rate500?: number;
  /** Probability (0..1) that an API request's connection is reset without an answer. */
  resetRate?: number;
  /**
   * Probability (0..1) that an API request is fully processed but its answer is lost (the
   * connection is reset instead): the client retries something that already happened.
   */
  dropResponseRate?: number;
  /** Faults are drawn from a generator seeded with this (a run that can be repeated); 0: Math.random. */
  seed?: number;
  /** `retry-after` of injected 429s (and `retry-after-ms` of 429/500s), in seconds; default 1. */
  retryAfterSeconds?: number;
  /** The next n created jobs fail during training with `server_error`. */
  failNextJobs?: number;
  /** Job creation is refused (403) as for an organisation without fine-tuning access. */
  blockFineTuning?: boolean;
  /**
   * Completions of uploads are held unanswered and not performed, until the client goes away: a
   * test can kill a client whose parts were all received, with its upload still open.
   */
  holdUploadCompletion?: boolean;
  /** OpenAI's end of fine-tuning (from 2027-01-06): job creation refused with 403 `training_not_available`. */
  trainingClosed?: boolean;
}

export type { ReceivedRequest, LogEntry };

export interface EmulatorState {
  files: FileObject[];
  /** Jobs as the API returns them (status may also be `paused`). */
  jobs: FineTuningJob[];
  /** Fine-tuned models that currently exist. */
  models: Model[];
  uploads: (Upload & { parts: number })[];
  /** API requests served (admin routes excluded), in total and by route template; `retried`: those the SDK sent again (its `x-stainless-retry-count` > 0). */
  requests: { total: number; retried: number; byRoute: Record<string, number> };
  /** Audit log, oldest first. */
  log: LogEntry[];
  /** The last 500 API requests (headers without credentials, first 64 KiB of the body). */
  received: ReceivedRequest[];
  /** Faults injected so far. */
  faults: { injected429: number; injected500: number; resets: number; droppedResponses: number };
  /** The current fault settings. */
  faultSettings: Required<Faults>;
  /** Azure Resource Manager deployments (`--flavor azure`), with their provisioning state and last call. */
  deployments: (ReturnType<typeof import("./deployments").deploymentObject> & { lastCallAt: string })[];
  options: { timeScale: number; dataDir: string | null; apiKeyRequired: boolean; maxFileBytes: number; flavor: "openai" | "azure"; today: string };
  process: { pid: number; maxRssBytes: number; rssBytes: number; uptimeSeconds: number; cpuUserMs: number; cpuSystemMs: number };
}

export const DEFAULT_FAULTS: Required<Faults> = {
  rate429: 0,
  rate500: 0,
  resetRate: 0,
  dropResponseRate: 0,
  seed: 0,
  retryAfterSeconds: 1,
  failNextJobs: 0,
  blockFineTuning: false,
  holdUploadCompletion: false,
  trainingClosed: false,
};

export interface AdminHost {
  state(): EmulatorState;
  setFaults(f: Faults): Required<Faults>;
  reset(): void;
}

export function parseFaults(body: Record<string, unknown>): Faults {
  const out: Faults = {};
  for (const [key, value] of Object.entries(body)) {
    switch (key) {
      case "rate429":
      case "rate500":
      case "resetRate":
      case "dropResponseRate":
        if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
          throw badRequest(`Invalid '${key}': expected a probability between 0 and 1.`, key, "invalid_value");
        }
        out[key] = value;
        break;
      case "retryAfterSeconds":
        if (typeof value !== "number" || !(value >= 0 && value <= 60)) {
          throw badRequest("Invalid 'retryAfterSeconds': expected a number of seconds between 0 and 60.", key, "invalid_value");
        }
        out.retryAfterSeconds = value;
        break;
      case "seed":
        if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
          throw badRequest("Invalid 'seed': expected a non-negative integer (0: unseeded).", key, "invalid_value");
        }
        out.seed = value;
        break;
      case "failNextJobs":
        if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
          throw badRequest("Invalid 'failNextJobs': expected a non-negative integer.", key, "invalid_value");
        }
        out.failNextJobs = value;
        break;
      case "blockFineTuning":
      case "holdUploadCompletion":
      case "trainingClosed":
        if (typeof value !== "boolean") throw invalidType(key, "boolean", value);
        out[key] = value;
        break;
      default:
        throw unknownParam(key);
    }
  }
  return out;
}

function identityToken(ctx: Ctx) {
  const resource = ctx.query.get("resource") ?? "https://cognitiveservices.azure.com";
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const token = `${part({ alg: "none", typ: "JWT" })}.${part({ aud: resource, exp: expires, iss: "openai-finetune-emulator", jti: randomUUID() })}.emulator`;
  return { access_token: token, expires_on: String(expires), resource, token_type: "Bearer" };
}

/** Handle an admin request (the path starts with `/_emulator/`). */
export async function handleAdmin(ctx: Ctx, host: AdminHost): Promise<void> {
  const route = `${ctx.method} ${ctx.path}`;
  switch (route) {
    case "GET /_emulator/state":
      sendJson(ctx, 200, host.state());
      return;
    case "POST /_emulator/faults": {
      const faults = parseFaults(await readJson(ctx));
      sendJson(ctx, 200, host.setFaults(faults));
      return;
    }
    case "GET /_emulator/identity":
      // A managed-identity token endpoint (App Service shape), so DefaultAzureCredential works offline
      // with IDENTITY_ENDPOINT=<emulator>/_emulator/identity and any IDENTITY_HEADER.
      sendJson(ctx, 200, identityToken(ctx));
      return;
    case "POST /_emulator/reset":
      await readJson(ctx);
      host.reset();
      sendJson(ctx, 200, { reset: true });
      return;
    default:
      throw notFound(`Invalid URL (${ctx.method} ${ctx.path})`);
  }
}
