/** How API failures are turned into messages a Pulumi user can act on, with the key redacted. */
import OpenAI from "openai";
import { redact } from "./client";

/**
 * Thrown from create/update when the API object exists but is not ready: the engine records the
 * resource with this id and these properties (a partial resource), and the next `up` calls update.
 */
export class PartialResourceError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
    readonly reasons: string[] = [message],
  ) {
    super(message);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof OpenAI.APIError && err.status === 404;
}

/** Failures worth another try: the API may well answer next time. */
export function isTransient(err: unknown): boolean {
  if (err instanceof OpenAI.APIConnectionError) return true;
  if (!(err instanceof OpenAI.APIError) || err.status === undefined) return false;
  return err.status === 408 || err.status === 429 || err.status >= 500;
}

/** `what` failed: "<status> <code>: <message>", never the key. */
export function describeApiError(what: string, err: unknown): string {
  if (err instanceof OpenAI.APIConnectionError) return redact(`${what}: the API did not answer (${connectionCause(err)})`);
  if (err instanceof OpenAI.APIError) {
    const code = err.code ? ` ${err.code}` : "";
    const status = err.status === undefined ? "" : ` (HTTP ${err.status}${code})`;
    return redact(`${what}${status}: ${apiMessage(err)}`);
  }
  return redact(`${what}: ${err instanceof Error ? err.message : String(err)}`);
}

/** "connection refused", "timed out", …: the SDK's own message is only "Connection error.". */
function connectionCause(err: InstanceType<typeof OpenAI.APIConnectionError>): string {
  if (err instanceof OpenAI.APIConnectionTimeoutError) return "timed out";
  let cause: unknown = err.cause;
  for (let depth = 0; cause && depth < 4; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string") return CONNECTION_CODES[code] ?? code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return err.message.replace(/\.$/, "").toLowerCase();
}

const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed",
  ETIMEDOUT: "timed out",
  UND_ERR_SOCKET: "connection closed",
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
};

/** The HTTP status rides along, so a caller can still tell a refused key (401) from other failures. */
export function wrapApiError(what: string, err: unknown): Error & { status?: number } {
  const wrapped: Error & { status?: number } = new Error(describeApiError(what, err));
  if (err instanceof OpenAI.APIError) wrapped.status = err.status;
  return wrapped;
}

function apiMessage(err: InstanceType<typeof OpenAI.APIError>): string {
  const body = err.error as { message?: unknown } | undefined;
  return typeof body?.message === "string" ? body.message : err.message;
}

/** Deletes something in the API; already gone (404) counts as deleted. */
export async function deleteIgnoringMissing(call: () => Promise<unknown>, what: string): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!isNotFound(err)) throw wrapApiError(`deleting ${what}`, err);
  }
}
