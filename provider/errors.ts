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
  if (err instanceof OpenAI.APIError) {
    const code = err.code ? ` ${err.code}` : "";
    const status = err.status === undefined ? "" : ` (HTTP ${err.status}${code})`;
    return redact(`${what}${status}: ${apiMessage(err)}`);
  }
  return redact(`${what}: ${err instanceof Error ? err.message : String(err)}`);
}

export function wrapApiError(what: string, err: unknown): Error {
  return new Error(describeApiError(what, err));
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
