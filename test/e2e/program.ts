/** The stack program the end-to-end tests deploy: the quickstart's shape, in the JavaScript a user may write. */
export const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { TrainingFile, FineTunedModel } = require("pulumi-openai-finetune");
const config = new pulumi.Config();

const importJob = config.get("importJob");
if (importJob) {
  // Adopting a job trained outside Pulumi: the arguments are the job's own.
  const data = new TrainingFile("legacy-data", { path: config.require("dataset"), importFileId: config.require("importFile") });
  const legacy = new FineTunedModel("legacy", {
    baseModel: config.require("baseModel"),
    trainingFile: data,
    suffix: config.require("suffix"),
    seed: config.requireNumber("seed"),
    hyperparameters: { nEpochs: config.requireNumber("nEpochs") },
    importJobId: importJob,
  });
  exports.fineTunedModel = legacy.fineTunedModel;
  exports.jobId = legacy.jobId;
  exports.trainingFileId = data.id;
} else {
  // inlineDataset: the same bytes given as \`content\` (a secret) instead of a path.
  const data = new TrainingFile("data", config.getBoolean("inlineDataset")
    ? { content: require("node:fs").readFileSync(config.require("dataset"), "utf8") }
    : { path: config.require("dataset") });
  const model = new FineTunedModel("model", {
    baseModel: config.get("baseModel") || "gpt-4o-mini-2024-07-18",
    trainingFile: data,
    hyperparameters: { nEpochs: config.getNumber("nEpochs") || 2 },
    waitTimeoutMinutes: config.getNumber("waitTimeoutMinutes") || 10,
    pollIntervalSeconds: 0.5,
  });
  exports.fineTunedModel = model.fineTunedModel;
  exports.jobId = model.jobId;
  exports.trainingFileId = data.id;
  exports.datasetHash = data.contentHash;
  exports.trainingFileHash = model.trainingFileHash;
  exports.trainedTokens = model.trainedTokens;
  exports.baseModel = model.baseModel;
  exports.estimatedCostUsd = model.estimatedCostUsd;
}
`;
