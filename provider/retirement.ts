/** Warnings about a base model's retirement, from state only: a no-op preview makes no API call. */
import { now } from "./clock";
import { warn } from "./log";

/** How far ahead a base model's retirement is worth a warning at every preview. */
export const RETIREMENT_WARNING_DAYS = 90;

/** Warns when `baseModel` retires within RETIREMENT_WARNING_DAYS (or has retired); `model` is what stops serving. */
export function warnIfRetiring(model: string | undefined, baseModel: string | undefined, shutdownDate: string | null | undefined): void {
  if (!shutdownDate) return;
  const days = Math.ceil((Date.parse(shutdownDate) - now()) / 86_400_000);
  if (!(days <= RETIREMENT_WARNING_DAYS)) return;
  const when = days < 0 ? `retired on ${shutdownDate}` : `retires on ${shutdownDate} (in ${days} days)`;
  warn(`${model}: its base model ${baseModel} ${when}; the fine-tuned model stops serving then`);
}
