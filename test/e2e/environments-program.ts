/**
 * The environments example's shape (examples/environments/), in the JavaScript a user may write, with a
 * `role` per stack: `train` (dev, staging), `serve` (prod: a StackReference, or an id pinned in config),
 * `solo` (a stack that trains and serves its own model, with a second model built on the first),
 * `import` (importJobId of another stack's job) and `unknown` (a StackReference unknown at preview).
 */
export const ENVIRONMENTS_PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { TrainingFile, FineTunedModel, ModelDeployment } = require("pulumi-openai-finetune");
const config = new pulumi.Config();
const role = config.require("role");
const training = { waitTimeoutMinutes: 10, pollIntervalSeconds: 0.5 };

if (role === "train" || role === "solo") {
  const data = new TrainingFile("data", { path: config.require("dataset") });
  const model = new FineTunedModel("model", {
    baseModel: "gpt-4o-mini-2024-07-18",
    trainingFile: data,
    hyperparameters: { nEpochs: 1 },
    metadata: config.getObject("metadata"),
    ...training,
  });
  exports.fineTunedModel = model.fineTunedModel;
  exports.jobId = model.jobId;
  exports.datasetHash = data.contentHash;
  exports.trainingFileId = data.id;
  if (role === "solo") {
    const tuned = new FineTunedModel("tuned", { baseModel: model.fineTunedModel, trainingFile: data, hyperparameters: { nEpochs: 1 }, ...training });
    const serving = new ModelDeployment("serving", { model: tuned });
    exports.tunedModel = tuned.fineTunedModel;
    exports.served = serving.model;
  }
}

if (role === "serve") {
  // What a CI job writes after a passing gate wins over the StackReference.
  const pinned = config.get("pinnedModel");
  const model = pinned || new pulumi.StackReference(config.require("sourceStack")).getOutput("fineTunedModel");
  // A gate's verdict, as a ModelEvaluation's outputs would give it.
  const serving = new ModelDeployment("serving", { model, evaluation: config.getObject("evaluation") });
  for (const key of ["model", "jobId", "baseModel", "trainingFileId", "datasetHash", "owner", "baseModelShutdownDate"]) exports[key] = serving[key];
}

if (role === "import") {
  const source = new pulumi.StackReference(config.require("sourceStack"));
  const data = new TrainingFile("data", { path: config.require("dataset"), importFileId: source.getOutput("trainingFileId") });
  const model = new FineTunedModel("model", {
    baseModel: "gpt-4o-mini-2024-07-18",
    trainingFile: data,
    hyperparameters: { nEpochs: 1 },
    importJobId: source.getOutput("jobId"),
    ...training,
  });
  exports.fineTunedModel = model.fineTunedModel;
}

if (role === "unknown") {
  // The StackReference's name is known only once the file exists: its outputs are unknown at the first preview.
  const data = new TrainingFile("data", { path: config.require("dataset") });
  const source = new pulumi.StackReference("source", { name: data.id.apply(() => config.require("sourceStack")) });
  const serving = new ModelDeployment("serving", { model: source.getOutput("fineTunedModel") });
  exports.model = serving.model;
}
`;
