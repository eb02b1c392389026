/** `FineTunedModel`: a fine-tuning job declared as infrastructure, trained once per set of defining inputs. */
import * as pulumi from "@pulumi/pulumi";
import { TrainingFile } from "../training-file";
import { trampoline } from "../trampoline";
import { FineTunedModelResource, type FineTunedModelArgs } from "./generated";

export type { DpoHyperparameters, Hyperparameters, Method, ReinforcementHyperparameters, WandbIntegration } from "./generated";
export type { FineTunedModelArgs } from "./generated";

const provider = trampoline("fine-tuned-model");

/** Its outputs are declared in ./schema.ts (generated into ./generated.ts). */
export class FineTunedModel extends FineTunedModelResource {
  /**
   * The connection given (or its TrainingFile's), passed on to what evaluates or serves this model. The
   * program's own value, not the `connection` output: an output absent from state is unknown at preview.
   */
  readonly connectionName: pulumi.Input<string> | undefined;

  constructor(name: string, args: FineTunedModelArgs, opts?: pulumi.CustomResourceOptions) {
    const training = fileInputs(args.trainingFile);
    const connection = args.connection ?? training.connection;
    if (args.trainingFile instanceof TrainingFile && args.importJobId === undefined) args.trainingFile.costCaps.add(costCapOf(name, args));
    const validation = fileInputs(args.validationFile);
    super(
      provider,
      name,
      {
        baseModel: args.baseModel,
        connection,
        trainingType: args.trainingType,
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
      },
      opts,
    );
    this.connectionName = connection;
  }
}

/** A TrainingFile brings its id, its content hash (lineage) and its local source (preview-time estimate). */
function fileInputs(file: TrainingFile | pulumi.Input<string> | undefined) {
  if (file instanceof TrainingFile) return { id: file.id, hash: file.contentHash, dataset: file.source, connection: file.connectionName };
  return { id: file, hash: undefined, dataset: undefined, connection: undefined };
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
