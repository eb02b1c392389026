/** Bounded retries for the calls the SDK must not retry on its own: creates that cost money. */
import OpenAI from "openai";
import { isTransient, wrapApiError } from "./errors";

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
  /** Names the operation in errors, e.g. "creating the fine-tuning job". */
  what: string;
  /** Finds what an earlier attempt (or an interrupted `pulumi up`) already created. */
  find: () => Promise<T | undefined>;
  /** Creates it; must not retry by itself (an SDK retry after a lost response would create twice). */
  create: () => Promise<T>;
  attempts?: number;
}

/**
 * Look, then create; after a transient failure look again before creating again. A create whose
 * response was lost (reset connection, 5xx after the fact) is found by the next look, not repeated.
 */
export async function findOrCreate<T>({ what, find, create, attempts = 8 }: IdempotentCreate<T>): Promise<{ value: T; created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const existing = await find();
    if (existing !== undefined) return { value: existing, created: false };
    try {
      return { value: await create(), created: true };
    } catch (err) {
      if (!isTransient(err) || attempt >= attempts) throw wrapApiError(what, err);
      await sleep(retryDelayMs(err, attempt));
    }
  }
}
