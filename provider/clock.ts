/**
 * The time the provider judges dates by (how near a base model's retirement is). Tests fix it with
 * OPENAI_FINETUNE_NOW (an ISO date or date-time), so a warning that depends on today's date says
 * the same thing every day; unset, it is the real clock.
 */
export function now(): number {
  const fixed = process.env.OPENAI_FINETUNE_NOW;
  if (!fixed) return Date.now();
  const at = Date.parse(fixed);
  if (Number.isNaN(at)) throw new RangeError(`OPENAI_FINETUNE_NOW must be an ISO date or date-time (e.g. 2026-12-02), got ${JSON.stringify(fixed)}`);
  return at;
}
