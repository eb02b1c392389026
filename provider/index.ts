/**
 * pulumi-openai-finetune: OpenAI fine-tunes as Pulumi resources.
 *
 *   const data = new TrainingFile("support-data", { path: "data/train.jsonl" });
 *   const model = new FineTunedModel("support", { baseModel: "gpt-4.1-mini-2025-04-14", trainingFile: data });
 *   const serving = new ModelDeployment("serving", { model });
 */
export { TrainingFile, type TrainingFileArgs, type FilePurpose } from "./training-file";
export { FineTunedModel, type FineTunedModelArgs, type DpoHyperparameters, type Hyperparameters, type Method, type ReinforcementHyperparameters, type WandbIntegration } from "./fine-tuned-model";
export { ModelDeployment, type AzureDeployment, type ModelDeploymentArgs, type EvaluationLike } from "./model-deployment";
export { listServing, type ServingMarker, type StackResource } from "./serving";
export { analyzeDataset, autoEpochs, type AnalyzeOptions, type DatasetReport, type DatasetIssue } from "./dataset";
export { lookupModel, listModels, type ModelFacts } from "./models";
export { ModelEvaluation, type ModelEvaluationArgs, type EvaluatedModel, type EvaluationDataset, type GraderSpec } from "./model-evaluation";
