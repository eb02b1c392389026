/**
 * Fine-tunes on Azure OpenAI. staging (`role: train`) trains on Azure, deploys the candidate on the
 * Developer tier (24 hours, cheap, for evaluating) and gates it with a ModelEvaluation; prod
 * (`role: serve`) trains nothing: it deploys staging's model on Standard in its own Azure OpenAI
 * resource, only when staging's gate passed. The same program trains on OpenAI by switching the
 * connection (and dropping the deployments, which OpenAI does not need).
 *
 *   pulumi up -s staging      # train, deploy the candidate on Developer, evaluate it
 *   pulumi up -s prod         # serve it on Standard (fails, serving nothing, if the gate failed)
 *   pulumi config set -s prod capacity 5 && pulumi up -s prod   # scale in place
 *   pulumi refresh -s staging # a Developer deployment past its 24 hours shows as deleted; `up` redeploys it
 */
import * as pulumi from "@pulumi/pulumi";
import { FineTunedModel, ModelDeployment, ModelEvaluation, TrainingFile } from "pulumi-openai-finetune";

const config = new pulumi.Config();
const role = config.require("role");
const connection = config.get("connection") ?? "azure";
const account = { subscriptionId: config.require("subscriptionId"), resourceGroup: config.require("resourceGroup"), account: config.require("account") };

/** Exported by staging: prod's StackReference reads them. */
export let fineTunedModel: pulumi.Output<string> | undefined;
export let accountId: string | undefined;
export let gatePassed: pulumi.Output<boolean> | undefined;
export let candidate: pulumi.Output<string> | undefined;
/** Exported by prod: what clients pass as `model`, and where. */
export let servedModel: pulumi.Output<string> | undefined;
export let endpoint: pulumi.Output<string | null | undefined> | undefined;

if (role === "train") {
  const data = new TrainingFile("support-data", { path: config.require("dataset"), connection });
  const model = new FineTunedModel("support-model", {
    baseModel: config.get("baseModel") ?? "gpt-4.1-mini-2025-04-14",
    trainingFile: data,
    connection,
    trainingType: "developer",
    hyperparameters: { nEpochs: config.getNumber("nEpochs") ?? 3 },
    suffix: pulumi.getStack(),
  });
  const dev = new ModelDeployment("support-candidate", { model, connection, azure: { ...account, sku: { name: "Developer" } } });
  const gate = new ModelEvaluation("support-gate", {
    model: dev,
    dataset: config.require("evalDataset"),
    graders: [{ type: "similar", threshold: 0.3 }],
    minPassRate: config.getNumber("minPassRate") ?? 0.75,
  });
  fineTunedModel = model.fineTunedModel;
  accountId = `/subscriptions/${account.subscriptionId}/resourceGroups/${account.resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${account.account}`;
  gatePassed = gate.passed;
  candidate = dev.model;
} else if (role === "serve") {
  const staging = new pulumi.StackReference(config.require("sourceStack"));
  const model = staging.getOutput("fineTunedModel") as pulumi.Output<string>;
  const serving = new ModelDeployment("support", {
    model,
    connection,
    evaluation: { passed: staging.getOutput("gatePassed") as pulumi.Output<boolean>, model, name: "staging's support-gate" },
    azure: pulumi.all([staging.getOutput("accountId")]).apply(([source]) => ({
      ...account,
      deploymentName: config.get("deploymentName"),
      sku: { name: (config.get("sku") ?? "Standard") as "Standard" | "GlobalStandard" | "ProvisionedManaged", capacity: config.getNumber("capacity") ?? 1 },
      // The account that trained it, when prod serves from another one.
      source: source === `/subscriptions/${account.subscriptionId}/resourceGroups/${account.resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${account.account}` ? undefined : (source as string),
    })),
  });
  servedModel = serving.model;
  endpoint = serving.endpoint;
} else {
  throw new Error(`role must be "train" or "serve", not ${JSON.stringify(role)}`);
}
