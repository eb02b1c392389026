/** `FineTunedModel`: a fine-tuning job declared as infrastructure, trained once per set of defining inputs. */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { TrainingFile } from "../training-file";
import { trampoline } from "../trampoline";
import { withOutputPlaceholders } from "../schema";
import { fineTunedModelDeclaration, type CheckpointOutput } from "./schema";

export type { Hyperparameters, Method, WandbIntegration } from "./types";
import type { Hyperparameters, Method, WandbIntegration } from "./types";

export interface FineTunedModelArgs {
  /** The model to fine-tune, e.g. `gpt-4.1-mini-2025-04-14`, or an existing `ft:` model. A change retrains. */
  baseModel: pulumi.Input<string>;
  /** The training data: a TrainingFile (its preview-time validation and cost estimate come along) or a file id. A change retrains. */
  trainingFile: TrainingFile | pulumi.Input<string>;
  /** Held-out data for validation loss: a TrainingFile or a file id. A change retrains. */
  validationFile?: TrainingFile | pulumi.Input<string>;
  /** `supervised` (default), `dpo` or `reinforcement`, with its hyperparameters. A change retrains. */
  method?: pulumi.Input<Method>;
  /** Supervised hyperparameters; shorthand for `method: { type: "supervised", hyperparameters }`. A change retrains. */
  hyperparameters?: pulumi.Input<Hyperparameters>;
  /** Up to 64 characters (letters, digits, `-`, `_`) in the model's name. A change retrains. */
  suffix?: pulumi.Input<string>;
  /** Training seed, for reproducibility. A change retrains. */
  seed?: pulumi.Input<number>;
  /** Job metadata (at most 13 keys; the provider uses 3). The API cannot change it on an existing job: a change shows no diff and applies to the next training. */
  metadata?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Weights & Biases integration; like metadata, a change applies to the next training. */
  integrations?: pulumi.Input<pulumi.Input<WandbIntegration>[]>;
  /** How long `pulumi up` waits for training (default 120). Then the job id is saved and the next `up` resumes waiting. */
  waitTimeoutMinutes?: pulumi.Input<number>;
  /** The longest pause between status polls, in seconds (default 30). */
  pollIntervalSeconds?: pulumi.Input<number>;
  /** What `pulumi up` shows while training: `"default"` (status, checkpoints, a metrics line per 10% of steps), `"verbose"` (every step) or `"quiet"` (status changes only). No API call on change. */
  progress?: pulumi.Input<"default" | "verbose" | "quiet">;
  /** Delete the fine-tuned model on destroy or replacement (default true). */
  deleteModelOnDestroy?: pulumi.Input<boolean>;
  /** Fail the preview when the estimated training cost (USD) exceeds this. */
  maxTrainingCostUsd?: pulumi.Input<number>;
  /** Training price per 1M tokens (USD), overriding the package's price data. */
  pricePerMillionTokens?: pulumi.Input<number>;
  /**
   * Manage this existing job (`ftjob-…`, trained outside Pulumi) instead of training: the first `up`
   * checks it was trained with the declared arguments and adopts it. Use this rather than Pulumi's
   * `import` option, which dynamic providers cannot serve.
   */
  importJobId?: pulumi.Input<string>;
}

const provider = trampoline("fine-tuned-model");

export class FineTunedModel extends dynamic.Resource {
  /** The model id to call, `ft:<base>:<org>:<suffix>:<id>`. */
  declare readonly fineTunedModel: pulumi.Output<string>;
  /** The fine-tuning job id (also the resource id). */
  declare readonly jobId: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly baseModel: pulumi.Output<string>;
  declare readonly trainingFile: pulumi.Output<string>;
  /** Content hash of the training data this model was trained on (lineage). */
  declare readonly trainingFileHash: pulumi.Output<string | undefined>;
  declare readonly trainedTokens: pulumi.Output<number>;
  declare readonly resultFiles: pulumi.Output<string[]>;
  /** Unix seconds. */
  declare readonly createdAt: pulumi.Output<number>;
  declare readonly finishedAt: pulumi.Output<number>;
  declare readonly checkpoints: pulumi.Output<CheckpointOutput[]>;
  /** When the base model retires (the fine-tuned model stops serving then), as the API reports it. */
  declare readonly baseModelShutdownDate: pulumi.Output<string | null>;
  /** Billed tokens estimated at preview from the local dataset. */
  declare readonly estimatedTrainingTokens: pulumi.Output<number | undefined>;
  /** Estimated training cost in USD; null when no price is known. */
  declare readonly estimatedCostUsd: pulumi.Output<number | null | undefined>;

  constructor(name: string, args: FineTunedModelArgs, opts?: pulumi.CustomResourceOptions) {
    const training = fileInputs(args.trainingFile);
    if (args.trainingFile instanceof TrainingFile && args.importJobId === undefined) args.trainingFile.costCaps.add(costCapOf(name, args));
    const validation = fileInputs(args.validationFile);
    super(
      provider,
      name,
      withOutputPlaceholders(fineTunedModelDeclaration, {
        baseModel: args.baseModel,
        trainingFile: training.id,
        trainingFileHash: training.hash,
        trainingDataset: training.dataset,
        validationFile: validation.id,
        validationFileHash: validation.hash,
        method: args.method,
        hyperparameters: args.hyperparameters,
        suffix: args.suffix,
        seed: args.seed,
        metadata: args.metadata,
        integrations: args.integrations,
        waitTimeoutMinutes: args.waitTimeoutMinutes,
        pollIntervalSeconds: args.pollIntervalSeconds,
        progress: args.progress,
        deleteModelOnDestroy: args.deleteModelOnDestroy,
        maxTrainingCostUsd: args.maxTrainingCostUsd,
        pricePerMillionTokens: args.pricePerMillionTokens,
        importJobId: args.importJobId,
        owner: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      }),
      opts,
      "openai-finetune",
      "FineTunedModel",
    );
  }
}

/** A TrainingFile brings its id, its content hash (lineage) and its local source (preview-time estimate). */
function fileInputs(file: TrainingFile | pulumi.Input<string> | undefined) {
  if (file instanceof TrainingFile) return { id: file.id, hash: file.contentHash, dataset: file.source };
  return { id: file, hash: undefined, dataset: undefined };
}

/** The model's cap as its TrainingFile checks it before the upload: method and epochs as the job gets them. */
function costCapOf(name: string, args: FineTunedModelArgs) {
  const method = pulumi.all([args.method, args.hyperparameters]).apply(([method, hyperparameters]) => (method ?? { type: "supervised" as const, hyperparameters }));
  return {
    resource: name,
    baseModel: args.baseModel,
    method: method.apply((m) => m.type),
    nEpochs: method.apply((m) => m.hyperparameters?.nEpochs),
    maxTrainingCostUsd: args.maxTrainingCostUsd,
    pricePerMillionTokens: args.pricePerMillionTokens,
  };
}
