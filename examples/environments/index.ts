/**
 * Environments of one model project. dev and staging train (`role: train`), each from its own dataset;
 * prod (`role: serve`) trains nothing: a ModelDeployment serves staging's model, read through a
 * StackReference, or the id pinned in prod's config by a CI job after a passing gate. Promoting or
 * rolling back is an in-place update of prod's ModelDeployment; nothing is retrained.
 *
 *   pulumi up -s staging                                # train the candidate
 *   pulumi up -s prod                                   # promote: prod serves staging's model
 *   pulumi config set -s prod pinnedModel <previous id> && pulumi up -s prod   # roll back
 *   npx openai-finetune models                          # what serves where, from the API
 */
import * as pulumi from "@pulumi/pulumi";
import { FineTunedModel, ModelDeployment, TrainingFile } from "pulumi-openai-finetune";

const config = new pulumi.Config();
const role = config.require("role");

/** Exported by the training stacks: prod's StackReference reads `fineTunedModel`. */
export let fineTunedModel: pulumi.Output<string> | undefined;
export let datasetHash: pulumi.Output<string> | undefined;
export let jobId: pulumi.Output<string> | undefined;
/** Exported by prod: the model it serves and that model's lineage, read from the API. */
export let servedModel: pulumi.Output<string> | undefined;
export let servedLineage: pulumi.Output<unknown> | undefined;

if (role === "train") {
  const data = new TrainingFile("support-data", { path: config.require("dataset") });
  const model = new FineTunedModel("support-model", {
    baseModel: config.get("baseModel") ?? "gpt-4.1-mini-2025-04-14",
    trainingFile: data,
    hyperparameters: { nEpochs: config.getNumber("nEpochs") ?? "auto" },
    suffix: pulumi.getStack(),
    maxTrainingCostUsd: config.getNumber("maxTrainingCostUsd"),
  });
  fineTunedModel = model.fineTunedModel;
  datasetHash = data.contentHash;
  jobId = model.jobId;
} else if (role === "serve") {
  const pinned = config.get("pinnedModel");
  const model = pinned ?? new pulumi.StackReference(config.require("sourceStack")).getOutput("fineTunedModel");
  const serving = new ModelDeployment("support", { model });
  servedModel = serving.model;
  servedLineage = pulumi.output({
    jobId: serving.jobId,
    baseModel: serving.baseModel,
    datasetHash: serving.datasetHash,
    owner: serving.owner,
    baseModelShutdownDate: serving.baseModelShutdownDate,
  });
} else {
  throw new Error(`role must be "train" or "serve", not ${JSON.stringify(role)}`);
}
