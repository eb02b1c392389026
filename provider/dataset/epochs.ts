/** OpenAI's auto rule for n_epochs, and the cost arithmetic. */

/** Default epochs, and the bounds the auto rule aims for (in examples x epochs). */
export const DEFAULT_EPOCHS = 3;
export const MIN_TARGET_EXAMPLES = 100;
export const MAX_TARGET_EXAMPLES = 25000;
export const MAX_AUTO_EPOCHS = 25;

/**
 * n_epochs "auto": 3; when n*3 < 100, min(25, floor(100/n)); when n*3 > 25,000,
 * max(1, floor(25000/n)). (With no examples at all this gives 25, as the rule does.)
 */
export function autoEpochs(exampleCount: number): number {
  const n = Math.max(0, Math.floor(exampleCount));
  if (n * DEFAULT_EPOCHS < MIN_TARGET_EXAMPLES) return n === 0 ? MAX_AUTO_EPOCHS : Math.min(MAX_AUTO_EPOCHS, Math.floor(MIN_TARGET_EXAMPLES / n));
  if (n * DEFAULT_EPOCHS > MAX_TARGET_EXAMPLES) return Math.max(1, Math.floor(MAX_TARGET_EXAMPLES / n));
  return DEFAULT_EPOCHS;
}

/** Epochs a job will run: the explicit n_epochs, or the auto rule. */
export function resolveEpochs(nEpochs: number | "auto" | undefined, exampleCount: number): number {
  if (nEpochs === undefined || nEpochs === "auto") return autoEpochs(exampleCount);
  return nEpochs;
}

/** USD for billed tokens at a price per 1M tokens, rounded to 1/10000 of a cent. */
export function estimateCostUsd(billedTokens: number, pricePerMillionTokens: number | null): number | null {
  if (pricePerMillionTokens === null) return null;
  return Math.round(((billedTokens * pricePerMillionTokens) / 1e6) * 1e6) / 1e6;
}
