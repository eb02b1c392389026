/**
 * `maxTrainingCostUsd` fails closed: a cap that cannot be compared with a price refuses, like a cap
 * that is exceeded. The FineTunedModel checks its own cap; a TrainingFile checks the caps of the models
 * declared on it, so an `up` without preview refuses before the upload (the engine registers, checks
 * and creates the file before the model's check can run: the model's inputs wait for the file's id).
 */
import { z } from "zod";
import { METHOD_TYPES } from "./api-contract";
import { analyzeDataset, type DatasetReport } from "./dataset";
import type { DatasetSource } from "./preflight";
import { describeEstimate, formatUsd } from "./preflight";

/** What a TrainingFile needs to know about one model's cap: sent by the model's class in the program. */
export const costCapSchema = z.object({
  resource: z.string().min(1),
  baseModel: z.string().min(1),
  method: z.enum(METHOD_TYPES),
  nEpochs: z.union([z.literal("auto"), z.number()]).optional(),
  maxTrainingCostUsd: z.number().nonnegative(),
  pricePerMillionTokens: z.number().nonnegative().optional(),
});
export type CostCap = z.infer<typeof costCapSchema>;

/** The reason `resource`'s cap refuses this estimate, or undefined when it allows it. */
export function capRefusal(resource: string, baseModel: string, report: DatasetReport, cap: number): string | undefined {
  if (report.estimatedCostUsd === null) {
    return (
      `${resource}: maxTrainingCostUsd is ${formatUsd(cap)} but no training price is known for ${baseModel}, so the cap cannot be ` +
      `enforced and nothing is trained; give the price in USD per 1M training tokens with \`pricePerMillionTokens\` on the ` +
      `FineTunedModel, or OPENAI_FINETUNE_PRICES='{"${baseModel}": <price>}'`
    );
  }
  if (report.estimatedCostUsd > cap) {
    return `${resource}: estimated training cost ${formatUsd(report.estimatedCostUsd)} exceeds maxTrainingCostUsd ${formatUsd(cap)} (${describeEstimate(report, baseModel)})`;
  }
  return undefined;
}

/**
 * The refusals of the models' caps for this dataset, counted as each model would (its tokenizer,
 * epochs and price). The analysis is cached by content hash, so the model's own check reuses it.
 */
export async function dependentCapRefusals(source: DatasetSource, sha256: string | undefined, caps: CostCap[]): Promise<string[]> {
  const refusals: string[] = [];
  for (const cap of caps) {
    const report = await analyzeDataset(source, {
      model: cap.baseModel,
      method: cap.method,
      nEpochs: cap.nEpochs,
      pricePerMillionTokens: cap.pricePerMillionTokens,
      sha256,
    });
    // Dataset errors are the TrainingFile's own failure, reported by its preflight.
    if (report.errorCount > 0) continue;
    const refusal = capRefusal(cap.resource, cap.baseModel, report, cap.maxTrainingCostUsd);
    if (refusal) refusals.push(refusal);
  }
  return refusals;
}
