/**
 * The quickstart stack: one dataset, one fine-tuned model, chosen per environment by stack config
 * (Pulumi.dev.yaml, Pulumi.prod.yaml). The outputs record which model serves the stack and where
 * it came from: dataset hash, file id, job id, base model.
 */
import * as pulumi from "@pulumi/pulumi";
import { FineTunedModel, TrainingFile } from "pulumi-openai-finetune";

const config = new pulumi.Config();

const dataset = new TrainingFile("support-data", {
  path: config.require("dataset"),
});

const model = new FineTunedModel("support-model", {
  baseModel: config.get("baseModel") ?? "gpt-4.1-mini-2025-04-14",
  trainingFile: dataset,
  hyperparameters: { nEpochs: config.getNumber("nEpochs") ?? "auto" },
  suffix: config.get("suffix") ?? pulumi.getStack(),
  maxTrainingCostUsd: config.getNumber("maxTrainingCostUsd"),
  waitTimeoutMinutes: config.getNumber("waitTimeoutMinutes") ?? 60,
});

export const fineTunedModel = model.fineTunedModel;
export const baseModel = model.baseModel;
export const datasetHash = dataset.contentHash;
export const trainingFileId = dataset.id;
export const jobId = model.jobId;
export const trainedTokens = model.trainedTokens;
export const estimatedCostUsd = model.estimatedCostUsd;
export const baseModelShutdownDate = model.baseModelShutdownDate;
