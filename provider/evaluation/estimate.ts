/**
 * What an evaluation will cost, known before any request: prompt tokens counted with the model's
 * tokenizer, completion tokens assumed as long as the reference answers (capped by `maxTokens`), one
 * grader-model call per example and llm-rubric grader, and all of it again for a baseline. The
 * package holds no inference prices (they change per model and platform), so the dollar figure needs
 * `pricePerMillionTokens`; without it the estimate is in tokens only.
 */
import { countMessageTokens, TOKENS_PER_EXAMPLE } from "../dataset/lines";
import { tokenCounter } from "../dataset/tokens";
import { guessEncoding, parseFineTunedId } from "../models";
import type { EvalExample } from "./dataset";
import type { Grader } from "./graders";

export interface Prices {
  /** USD per 1M prompt tokens. */
  input: number;
  /** USD per 1M completion tokens. */
  output: number;
}

export interface Estimate {
  examples: number;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  /** null when no price was given. */
  estimatedCostUsd: number | null;
}

/** Fixed cost of a grader-model request beyond the prompt, answer and rubric (its instructions, its JSON reply). */
const RUBRIC_OVERHEAD_TOKENS = 80;

export function estimateEvaluation(
  examples: EvalExample[],
  graders: Grader[],
  opts: { model: string; baseline?: string; maxTokens?: number; prices?: Prices },
): Estimate {
  const count = tokenCounter(guessEncoding(parseFineTunedId(opts.model) ?? opts.model));
  let prompt = 0;
  let completion = 0;
  for (const e of examples) {
    prompt += e.messages.reduce((s, m) => s + countMessageTokens(m, count), TOKENS_PER_EXAMPLE) + (e.tools ? count(JSON.stringify(e.tools)) : 0);
    const answer = count(e.reference) + (e.referenceToolCalls.length ? count(JSON.stringify(e.referenceToolCalls)) : 0);
    completion += opts.maxTokens !== undefined ? Math.min(answer, opts.maxTokens) : answer;
  }
  const models = opts.baseline ? 2 : 1;
  const rubrics = graders.filter((g) => g.spec.type === "llm-rubric").length;
  const rubricPrompt = rubrics * (prompt + completion * 2 + RUBRIC_OVERHEAD_TOKENS * examples.length);
  const promptTokens = models * (prompt + rubricPrompt);
  const completionTokens = models * (completion + rubrics * 30 * examples.length);
  const estimatedCostUsd = opts.prices ? (promptTokens * opts.prices.input + completionTokens * opts.prices.output) / 1e6 : null;
  return { examples: examples.length, requests: models * examples.length * (1 + rubrics), promptTokens, completionTokens, estimatedCostUsd };
}

export function costOf(usage: { promptTokens: number; completionTokens: number }, prices: Prices | undefined): number | null {
  return prices ? (usage.promptTokens * prices.input + usage.completionTokens * prices.output) / 1e6 : null;
}

export function describeEstimate(e: Estimate): string {
  const cost = e.estimatedCostUsd === null ? "cost unknown (set pricePerMillionTokens {input, output} to price it)" : `about $${e.estimatedCostUsd.toFixed(4)}`;
  return `${e.examples} examples, ${e.requests} chat requests, ~${e.promptTokens} prompt + ~${e.completionTokens} completion tokens, ${cost}`;
}
