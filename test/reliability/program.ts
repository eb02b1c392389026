/** A stack of several models, each on its own dataset, shaped by stack config. */
export const MANY_MODELS = `
const pulumi = require("@pulumi/pulumi");
const { TrainingFile, FineTunedModel } = require("pulumi-openai-finetune");
const config = new pulumi.Config();
const count = config.getNumber("models") || 1;
for (let i = 0; i < count; i++) {
  const data = new TrainingFile("data-" + i, { path: "data/m" + i + ".jsonl" });
  const model = new FineTunedModel("model-" + i, {
    baseModel: "gpt-4o-mini-2024-07-18",
    trainingFile: data,
    hyperparameters: { nEpochs: config.getNumber("nEpochs") || 2 },
    waitTimeoutMinutes: config.getNumber("waitTimeoutMinutes") || 10,
    pollIntervalSeconds: config.getNumber("pollIntervalSeconds") || 0.5,
  });
  exports["model" + i] = model.fineTunedModel;
  exports["job" + i] = model.jobId;
}
`;
