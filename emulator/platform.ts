/**
 * What differs between the platforms the emulator plays (`--flavor openai`, the default, or `--flavor
 * azure`), in one place: id formats, file statuses, job body extras, suffix rules, refusal messages,
 * and which bases can still be trained (from the package's model facts and the emulator's "today").
 */
import { randomBytes } from "node:crypto";
import type { FileObject } from "openai/resources/files";
import { platformCutoff, platformFacts, rootBaseOf } from "../provider/models";
import { ApiError, badRequest, invalidValue } from "./errors";
import { newId } from "./ids";

export type Flavor = "openai" | "azure";
export const FLAVORS: Flavor[] = ["openai", "azure"];

export const AZURE_TRAINING_TYPES = ["standard", "globalstandard", "developer"] as const;

/** The refusal OpenAI gives from 2027-01-06 on (as seen in the wild; see the project's OpenAI reference). */
export const TRAINING_NOT_AVAILABLE_MESSAGE =
  "OpenAI is winding down the fine-tuning platform and your organization is no longer able to create new fine-tuning training jobs. " +
  "Learn more https://developers.openai.com/api/docs/deprecations#update-to-openais-self-serve-fine-tuning";

const hex = (n: number) => randomBytes(n / 2).toString("hex");

export interface PlatformRules {
  flavor: Flavor;
  jobId(): string;
  fileId(): string;
  eventId(): string;
  checkpointId(): string;
  /** The fine-tuned model's name for a job. */
  fineTunedName(base: string, org: string, suffix: string | null): string;
  checkpointModel(ftName: string, step: number): string;
  isFineTunedName(id: string): boolean;
  /** Status of a file right after upload, and once processed. */
  fileStatus: { uploaded: FileObject["status"]; processed: FileObject["status"] };
  /** Job body keys this platform accepts beyond OpenAI's. */
  extraJobParams: string[];
  /** Validates the platform's extras; returns what the job object records. */
  jobExtras(body: Record<string, unknown>): Record<string, unknown>;
  checkSuffix(suffix: string): void;
  modelNotAvailable(model: string): ApiError;
  /** The platform accepts no new jobs at all (OpenAI from 2027-01-06, or the `trainingClosed` fault). */
  closedRefusal(today: string, closed: boolean): ApiError | undefined;
  /** Why a job on the base `model` cannot start on `today`, or undefined. */
  trainingRefusal(model: string, today: string): ApiError | undefined;
}

const openai: PlatformRules = {
  flavor: "openai",
  jobId: () => newId.job(),
  fileId: () => newId.file(),
  eventId: () => newId.event(),
  checkpointId: () => newId.checkpoint(),
  fineTunedName: (base, org, suffix) => `ft:${base}:${org}:${suffix ?? ""}:${newId.modelSuffix()}`,
  checkpointModel: (ftName, step) => `${ftName}:ckpt-step-${step}`,
  isFineTunedName: (id) => id.startsWith("ft:"),
  fileStatus: { uploaded: "processed", processed: "processed" },
  extraJobParams: [],
  jobExtras: () => ({}),
  checkSuffix: () => undefined,
  modelNotAvailable: (model) => badRequest(`Model ${model} is not available for fine-tuning or does not exist.`, "model", "model_not_available"),
  closedRefusal(today, closed) {
    const cutoff = platformCutoff("openai").trainingCutoff;
    return closed || (cutoff && today >= cutoff) ? new ApiError(403, TRAINING_NOT_AVAILABLE_MESSAGE, "invalid_request_error", null, "training_not_available") : undefined;
  },
  trainingRefusal(model, today) {
    return retiredBase("openai", model, today) ? this.modelNotAvailable(model) : undefined;
  },
};

const azure: PlatformRules = {
  flavor: "azure",
  jobId: () => `ftjob-${hex(32)}`,
  fileId: () => `file-${hex(32)}`,
  eventId: () => `ftevent-${hex(32)}`,
  checkpointId: () => `ftchkpt-${hex(32)}`,
  // Azure names carry neither the organisation nor the suffix.
  fineTunedName: (base) => `${base}.ft-${hex(32)}`,
  checkpointModel: (ftName, step) => `${ftName}:ckpt-step-${step}`,
  isFineTunedName: (id) => /\.ft-[0-9a-f]{32}/.test(id),
  fileStatus: { uploaded: "pending" as FileObject["status"], processed: "processed" },
  extraJobParams: ["trainingType"],
  jobExtras(body) {
    const given = body.trainingType ?? "standard";
    if (!AZURE_TRAINING_TYPES.includes(given as (typeof AZURE_TRAINING_TYPES)[number])) {
      throw invalidValue("trainingType", `Invalid value for 'trainingType': '${String(given)}'. Supported values are: ${AZURE_TRAINING_TYPES.map((t) => `'${t}'`).join(", ")}.`);
    }
    return { trainingType: given };
  },
  checkSuffix(suffix) {
    if (suffix.includes(".")) throw invalidValue("suffix", "The suffix may not contain '.' characters.");
  },
  modelNotAvailable: (model) => badRequest(`The specified base model '${model}' does not support fine-tuning.`, "model", "invalidPayload"),
  closedRefusal: (_today, closed) =>
    closed ? new ApiError(403, "Fine-tuning job creation is disabled for this resource.", "invalid_request_error", null, "training_not_available") : undefined,
  trainingRefusal(model, today) {
    return retiredBase("azure", model, today) ? badRequest(`The base model '${rootBaseOf(model)}' has been retired for fine-tuning.`, "model", "invalidPayload") : undefined;
  },
};

/** Listed as not trainable, or past its training cutoff, on this platform. */
function retiredBase(flavor: Flavor, model: string, today: string): boolean {
  const facts = platformFacts(model, flavor);
  if (!facts) return false;
  return !facts.fineTunable || (facts.trainingCutoff !== null && today >= facts.trainingCutoff);
}

export function platformRules(flavor: Flavor): PlatformRules {
  return flavor === "azure" ? azure : openai;
}
