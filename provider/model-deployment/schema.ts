/** A ModelDeployment, declared once: every input and output with its description and what a change does. */
import { z } from "zod";
import { declareResource, field, output } from "../schema";
import { azureDeploymentSchema } from "./azure";

/** What the deployment needs of an evaluation: that it passed, and (when known) which model it judged. */
const evaluationSchema = z
  .object({
    passed: z.boolean({ error: "must say whether the evaluation passed (`passed: true|false`)" }),
    model: z.string().optional(),
    /** The fine-tuned model behind `model` when that is an Azure deployment's name. */
    fineTunedModel: z.string().optional(),
    name: z.string().optional(),
  })
  .strip();

export const modelDeploymentSchema = z.object({
  model: field(z.string().min(1, "must name a fine-tuned model"), {
    // A promotion or a rollback: the deployment points at another model; nothing is trained or deleted.
    onChange: "update",
    argType: "FineTunedModel | pulumi.Input<string>",
    output: { description: "The model id to call: the fine-tuned model's id, or on Azure the deployment's name (what a client passes as `model` on the v1 routes)." },
    description:
      "The fine-tuned model to serve: a FineTunedModel, an `ft:` id (e.g. pinned in stack config by a CI job after a passing gate), or an output of a `pulumi.StackReference` to the stack that trained it. A change is an in-place update (a promotion or a rollback), never a retrain.",
  }),
  evaluation: field(evaluationSchema.optional(), {
    onChange: "update",
    argType: "EvaluationLike | pulumi.Input<EvaluationLike>",
    description: "A ModelEvaluation (or any object with `passed`) that must have passed: a failing one fails `up` and nothing is served. Without it, allowed.",
  }),
  connection: field(z.string().min(1, "must name a connection").optional(), {
    // Another endpoint is another place to serve from: the marker is recorded there, and removed from the old one.
    onChange: "replace",
    description: "The name of a connection in the stack config `openai-finetune:connections` (never a key) where the model is served; default: the `openai:*` config and the environment.",
  }),
  azure: field(azureDeploymentSchema.optional(), {
    // Another account, name, SKU or source is another deployment; the provider's diff lets `sku.capacity` scale in place.
    onChange: "replace",
    description:
      "On an Azure connection (required there: a fine-tuned model answers only through a deployment): the Resource Manager deployment `{subscriptionId, resourceGroup, account, deploymentName?, sku: {name, capacity?}, source?}`. `sku.name` is `Standard`, `GlobalStandard`, `ProvisionedManaged` or `Developer` (24 hours); `deploymentName` defaults to one derived from the resource, stable across promotions; `source` is the Resource Manager id of the account that trained the model when it is another one. `sku.capacity` (like `model`) updates the deployment in place; a change of anything else replaces it.",
  }),
  servedBy: field(z.string().min(1), {
    onChange: "ignore",
    role: "internal",
    description: "project/stack/resource of this deployment, set by the resource class: recorded in the serving marker.",
  }),
});

const stackResource = z.object({ project: z.string(), stack: z.string(), resource: z.string() });

export const modelDeploymentOutputs = z.object({
  jobId: output(z.string().nullable(), { description: "The job that trained the model, found in the API; null when the API lists none." }),
  baseModel: output(z.string().nullable(), { description: "The base model it was trained from." }),
  trainingFileId: output(z.string().nullable(), { description: "The job's training file." }),
  datasetHash: output(z.string().nullable(), { description: "sha256 hex of the training data (equal to the TrainingFile's `contentHash`)." }),
  owner: output(stackResource.nullable(), {
    description: "The stack resource that trained the model, from its job's `pulumi_owner`; null when not made by this package.",
    type: "StackResource | null",
  }),
  baseModelShutdownDate: output(z.string().nullable(), { description: "When the base model retires (the model stops serving then), as the API reports it." }),
  markerFileId: output(z.string(), { description: "The serving marker's file id (how other stacks know this stack serves the model)." }),
  modelDeleted: output(z.boolean().optional(), { description: "Set by refresh when the model was deleted: the next `up` fails, naming it." }),
  fineTunedModel: output(z.string().optional(), { description: "The fine-tuned model served (on Azure `model` is the deployment's name)." }),
  deploymentName: output(z.string().nullable().optional(), { description: "On Azure, the Resource Manager deployment's name; null elsewhere." }),
  endpoint: output(z.string().nullable().optional(), { description: "On Azure, the resource endpoint that serves the deployment (the `AzureOpenAI` client's `endpoint`; the v1 routes are under `/openai/v1`); null elsewhere." }),
  provisioningState: output(z.string().nullable().optional(), { description: "On Azure, the deployment's `provisioningState` as last read; null elsewhere." }),
  deploymentDeleted: output(z.boolean().optional(), {
    description: "Set by refresh when the Azure deployment is gone (a Developer deployment's 24 hours, 15 days without calls, or deleted outside Pulumi): the next `up` creates it again.",
  }),
});

export const modelDeploymentDeclaration = declareResource({
  type: "ModelDeployment",
  kind: "model-deployment",
  description: "This stack serves this model: a fine-tuned model promoted between stacks without retraining; it never trains and never deletes the model.",
  version: 2,
  inputs: modelDeploymentSchema,
  outputs: modelDeploymentOutputs,
  // Version 2 keeps the fine-tune in `fineTunedModel`, since on Azure `model` holds the deployment's name.
  upgrades: { 1: (state) => ({ ...state, fineTunedModel: state.fineTunedModel ?? state.model }) },
  onReplace: "",
  typeImports: { "../fine-tuned-model": ["FineTunedModel"], "./index": ["EvaluationLike"], "../serving": ["StackResource"] },
});

export type ModelDeploymentInputs = z.infer<typeof modelDeploymentSchema>;
export type ModelDeploymentOutputs = ModelDeploymentInputs & z.infer<typeof modelDeploymentOutputs>;
