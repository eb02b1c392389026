/**
 * Whether training may start on a base model on a platform, decided from the model facts and the
 * clock only (no API call), so a preview refuses what the API would refuse after the file was
 * uploaded, or worse after a first model was trained and paid for.
 */
import { daysBetween, now, today } from "./clock";
import { warn } from "./log";
import { findModel, platformCutoff, platformFacts, rootBaseOf, type Platform } from "./models";

const PLATFORM_NAMES: Record<Platform, string> = { openai: "OpenAI", azure: "Azure OpenAI" };

export interface TrainingAvailability {
  /** Why training cannot start; the preview fails with it. */
  refusal?: string;
  /** What ends within RETIREMENT_WARNING_DAYS. */
  warnings: string[];
}

const MOVE_TO_AZURE =
  "train on Azure OpenAI instead: give this resource `connection: \"<name>\"` naming an Azure connection in " +
  "`openai-finetune:connections` (README, \"Moving off OpenAI fine-tuning\")";

export function trainingAvailability(baseModel: string, platform: Platform, on: string = today()): TrainingAvailability {
  const warnings: string[] = [];
  const where = PLATFORM_NAMES[platform];
  const platformWide = platformCutoff(platform).trainingCutoff;
  if (platformWide && on >= platformWide) {
    return { refusal: `${where} fine-tuning is retired: no new training jobs from ${platformWide} on, so ${baseModel} cannot be trained there; ${MOVE_TO_AZURE}`, warnings };
  }
  if (platformWide && daysBetween(on, platformWide) <= RETIREMENT_WARNING_DAYS) {
    warnings.push(`${where} accepts no new fine-tuning jobs from ${platformWide} (in ${daysBetween(on, platformWide)} days); plan the move to Azure OpenAI`);
  }
  const root = rootBaseOf(baseModel);
  const facts = findModel(root) ? platformFacts(root, platform) : undefined;
  if (!facts) return { warnings };
  const named = root === baseModel ? baseModel : `${baseModel} (a fine-tune of ${root})`;
  const cutoff = facts.trainingCutoff;
  if ((cutoff && on >= cutoff) || (!facts.fineTunable && !cutoff)) {
    const instead = platform === "openai" && platformFacts(root, "azure")?.fineTunable ? `; ${MOVE_TO_AZURE}` : "";
    return { refusal: `${named} is retired for fine-tuning on ${where}${cutoff ? ` since ${cutoff}` : ""}${instead}`, warnings };
  }
  if (cutoff && daysBetween(on, cutoff) <= RETIREMENT_WARNING_DAYS) {
    warnings.push(`${root} is retired for fine-tuning on ${where} on ${cutoff} (in ${daysBetween(on, cutoff)} days)`);
  }
  const shutdown = facts.shutdownDate;
  if (shutdown && daysBetween(on, shutdown) <= RETIREMENT_WARNING_DAYS) {
    warnings.push(`fine-tunes of ${root} stop serving on ${where} on ${shutdown} (in ${daysBetween(on, shutdown)} days)`);
  }
  return { warnings };
}

/** The methods a base (root-traced) supports on a platform, or undefined when the base is not listed. */
export function methodsOn(baseModel: string, platform: Platform): string[] | undefined {
  return platformFacts(baseModel, platform)?.methods;
}

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
