/**
 * The provider's "now", in one place: retirement warnings and refusals compare against it. Tests (and
 * a user rehearsing a date) set `OPENAI_FINETUNE_NOW` to an ISO date or time; the provider runs in its
 * own process, so the environment is how a test reaches it.
 */
export const NOW_ENV = "OPENAI_FINETUNE_NOW";

export function now(env: NodeJS.ProcessEnv = process.env): number {
  const given = env[NOW_ENV]?.trim();
  if (!given) return Date.now();
  const at = Date.parse(given);
  if (!Number.isFinite(at)) throw new RangeError(`${NOW_ENV} must be an ISO date or date-time (e.g. 2026-12-02), got ${JSON.stringify(given)}`);
  return at;
}

/** Today as an ISO day (UTC). */
export function today(env: NodeJS.ProcessEnv = process.env): string {
  return new Date(now(env)).toISOString().slice(0, 10);
}

/** Whole days from `from` (ISO day) to `to` (ISO day); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to.slice(0, 10)) - Date.parse(from.slice(0, 10))) / 86_400_000);
}
