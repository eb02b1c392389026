/** Bounded retries for the calls the SDK must not retry on its own: creates that cost money. */
import OpenAI from "openai";
import { describeApiError, isTransient } from "./errors";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The API's `retry-after` (seconds) or `retry-after-ms`, else exponential backoff; capped at 60 s. */
export function retryDelayMs(err: unknown, attempt: number): number {
  const headers = err instanceof OpenAI.APIError ? err.headers : undefined;
  const ms = Number(headers?.get?.("retry-after-ms"));
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, 60_000);
  const seconds = Number(headers?.get?.("retry-after"));
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 60_000);
  return Math.min(500 * 2 ** (attempt - 1), 8_000) * (0.75 + Math.random() * 0.25);
}

export interface IdempotentCreate<T> {
  /** Names the operation in errors, e.g. "support-model: creating the fine-tuning job". */
  what: string;
  /** What is created, for the closing sentence, e.g. "job". */
  noun?: string;
  /** Finds what an earlier attempt (or an interrupted `pulumi up`) already created. */
  find: () => Promise<T | undefined>;
  /** Creates it; must not retry by itself (an SDK retry after a lost response would create twice). */
  create: () => Promise<T>;
  attempts?: number;
}

/**
 * Look, then create; after a transient failure look again before creating again. A create whose
 * response was lost (reset connection, 5xx after the fact) is found by the next look, not repeated.
 * A final failure says how long it tried and what exists at the API afterwards (checked once more).
 */
export async function findOrCreate<T>({ what, noun = "object", find, create, attempts = 8 }: IdempotentCreate<T>): Promise<{ value: T; created: boolean }> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    let lastError: unknown;
    try {
      const existing = await find();
      if (existing !== undefined) return { value: existing, created: false };
      return { value: await create(), created: true };
    } catch (err) {
      lastError = err;
    }
    if (!isTransient(lastError) || attempt >= attempts) {
      const tries = `after ${attempt} ${attempt === 1 ? "try" : "tries"} over ${Math.round((Date.now() - started) / 1000)} s`;
      throw new Error(`${describeApiError(what, lastError)} (${tries}); ${await whatExists(find, noun)}`);
    }
    await sleep(retryDelayMs(lastError, attempt));
  }
}

/** After a failed create: was one created anyway? Told plainly, so nobody guesses before re-running. */
async function whatExists<T>(find: () => Promise<T | undefined>, noun: string): Promise<string> {
  try {
    const found = await find();
    if (found === undefined) return `no ${noun} was created for these inputs (checked); run \`pulumi up\` again`;
    const id = (found as { id?: string }).id;
    return `a ${noun}${id ? ` (${id})` : ""} exists for these inputs; the next \`pulumi up\` adopts it instead of creating another`;
  } catch {
    return `whether a ${noun} was created could not be checked (the API did not answer); the next \`pulumi up\` looks before creating, so it never creates a second`;
  }
}
