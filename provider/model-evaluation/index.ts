/** `ModelEvaluation`: a release gate that scores a model on held-out examples before anything serves it. */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { sha256Content, sha256File } from "../dataset";
import type { Counts, Failure, GraderResult, ModelSummary } from "../evaluation/summary";
import type { GraderSpec } from "../evaluation/graders";
import { FineTunedModel } from "../fine-tuned-model";
import { ModelDeployment } from "../model-deployment";
import { trampoline } from "../trampoline";
import { ModelEvaluationResource, type ModelEvaluationArgs } from "./generated";

export type { GraderSpec, Counts, Failure, GraderResult, ModelSummary };
export type { ModelEvaluationArgs } from "./generated";

/** Anything that serves a model: a FineTunedModel (`fineTunedModel`), a ModelDeployment (`model`), or a model id. */
export type EvaluatedModel = pulumi.Input<string> | { fineTunedModel: pulumi.Output<string> } | { model: pulumi.Output<string> };

export type EvaluationDataset = pulumi.Input<string> | { path: pulumi.Input<string> } | { content: pulumi.Input<string> };

export interface EvaluationUsage {
  promptTokens: number;
  completionTokens: number;
  graderPromptTokens: number;
  graderCompletionTokens: number;
  retries: number;
  estimatedCostUsd: number | null;
}

const provider = trampoline("model-evaluation");

/** Its arguments and outputs are declared in ./schema.ts (generated into ./generated.ts). */
export class ModelEvaluation extends ModelEvaluationResource {
  constructor(name: string, args: ModelEvaluationArgs, opts?: pulumi.CustomResourceOptions) {
    const dataset = datasetOf(args.dataset);
    const datasetHash = pulumi.all([dataset.path, dataset.content]).apply(([p, c]) => hashDataset(p, c));
    super(
      provider,
      name,
      {
        model: modelOf(args.model),
        fineTunedModel: fineTunedModelOf(args.model),
        connection: args.connection ?? connectionOf(args.model),
        dataset: pulumi.all([dataset.path, dataset.content]).apply(([path, content]) => (path !== undefined ? { path } : { content })),
        datasetHash,
        graders: args.graders,
        minPassRate: args.minPassRate,
        baseline: args.baseline,
        minImprovement: args.minImprovement,
        maxErroredShare: args.maxErroredShare,
        concurrency: args.concurrency,
        maxExamples: args.maxExamples,
        temperature: args.temperature,
        maxTokens: args.maxTokens,
        seed: args.seed,
        pricePerMillionTokens: args.pricePerMillionTokens,
        projectDir: projectDir(),
        owner: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      },
      opts,
    );
  }
}

/** What a client calls: a deployment's `model` (on Azure its name), a FineTunedModel's id, or the id given. */
function modelOf(model: EvaluatedModel): pulumi.Input<string> {
  if (model instanceof ModelDeployment) return model.model;
  if (model && typeof model === "object" && "fineTunedModel" in model && pulumi.Output.isInstance(model.fineTunedModel)) return model.fineTunedModel;
  if (model && typeof model === "object" && "model" in model && pulumi.Output.isInstance(model.model)) return model.model;
  return model as pulumi.Input<string>;
}

function fineTunedModelOf(model: EvaluatedModel): pulumi.Input<string | undefined> | undefined {
  if (model instanceof ModelDeployment) return model.fineTunedModel;
  if (model && typeof model === "object" && "fineTunedModel" in model && pulumi.Output.isInstance(model.fineTunedModel)) return model.fineTunedModel;
  return undefined;
}

/**
 * The evaluated resource's connection: the model is called where it was trained or is served. Its
 * `connectionName` (what the program gave), not its `connection` output, which is unknown at preview
 * when the state holds none, and would show a change in every preview.
 */
function connectionOf(model: EvaluatedModel): pulumi.Input<string> | undefined {
  if (model instanceof ModelDeployment || model instanceof FineTunedModel) return model.connectionName;
  return undefined;
}

function datasetOf(dataset: EvaluationDataset): { path?: pulumi.Output<string>; content?: pulumi.Output<string> } {
  if (dataset && typeof dataset === "object" && "content" in dataset) return { content: pulumi.secret(dataset.content) };
  const path = dataset && typeof dataset === "object" && "path" in dataset ? dataset.path : (dataset as pulumi.Input<string>);
  return { path: pulumi.output(path).apply((p) => (isAbsolute(p) ? p : resolve(projectDir(), p))) };
}

/** Where Pulumi.yaml is (the report goes there), whatever directory the program runs in. */
function projectDir(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml")) || existsSync(join(dir, "Pulumi.yml"))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/** Hashed in the program, so a preview knows whether the bytes changed; unreadable: check() says why. */
async function hashDataset(path: string | undefined, content: string | undefined): Promise<string | undefined> {
  if (path !== undefined) return sha256File(path).then((h) => h.sha256, () => undefined);
  return content === undefined ? undefined : sha256Content(content).sha256;
}
