/** `ModelEvaluation`: a release gate that scores a model on held-out examples before anything serves it. */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { sha256Content, sha256File } from "../dataset";
import type { Counts, Failure, GraderResult, ModelSummary } from "../evaluation/summary";
import type { GraderSpec } from "../evaluation/graders";
import { withOutputPlaceholders } from "../schema";
import { trampoline } from "../trampoline";
import { modelEvaluationDeclaration } from "./schema";

export type { GraderSpec, Counts, Failure, GraderResult, ModelSummary };

/** Anything that serves a model: a FineTunedModel (`fineTunedModel`), a ModelDeployment (`model`), or a model id. */
export type EvaluatedModel = pulumi.Input<string> | { fineTunedModel: pulumi.Output<string> } | { model: pulumi.Output<string> };

export type EvaluationDataset = pulumi.Input<string> | { path: pulumi.Input<string> } | { content: pulumi.Input<string> };

export interface ModelEvaluationArgs {
  /** The model to evaluate: a FineTunedModel, a ModelDeployment, or a model id. A change re-evaluates. */
  model: EvaluatedModel;
  /** JSONL chat examples whose last assistant message is the reference answer: a path relative to the project, `{path}` or `{content}`. New bytes re-evaluate. */
  dataset: EvaluationDataset;
  /** One or more graders (promptfoo vocabulary: equals, contains, icontains, regex, starts-with, is-json, json-equals, similar, tool-call, llm-rubric). An example passes when all its graders with a non-zero weight pass. */
  graders: pulumi.Input<pulumi.Input<GraderSpec>[]>;
  /** The gate: the share (0..1) of evaluated examples that must pass. */
  minPassRate: pulumi.Input<number>;
  /** A model id (usually the base model) evaluated on the same data; `delta` is the pass-rate difference. */
  baseline?: pulumi.Input<string>;
  /** Required margin of the pass rate over the baseline's (0.1 = 10 points). */
  minImprovement?: pulumi.Input<number>;
  /** More errored examples than this share (default 0.1) fails the gate as "could not evaluate". */
  maxErroredShare?: pulumi.Input<number>;
  /** Requests in flight (default 8). A change does not re-evaluate. */
  concurrency?: pulumi.Input<number>;
  /** Evaluate only the first N examples. */
  maxExamples?: pulumi.Input<number>;
  /** Sampling temperature (default 0). */
  temperature?: pulumi.Input<number>;
  maxTokens?: pulumi.Input<number>;
  seed?: pulumi.Input<number>;
  /** USD per 1M prompt and completion tokens, to price the estimate and the usage (the package holds no inference prices). */
  pricePerMillionTokens?: pulumi.Input<{ input: number; output: number }>;
}

export interface EvaluationUsage {
  promptTokens: number;
  completionTokens: number;
  graderPromptTokens: number;
  graderCompletionTokens: number;
  retries: number;
  estimatedCostUsd: number | null;
}

const provider = trampoline("model-evaluation");

export class ModelEvaluation extends dynamic.Resource {
  /** Whether the gate passed. A failing gate fails `up`; the resource is then saved with `passed: false`. */
  declare readonly passed: pulumi.Output<boolean>;
  /** passed / (total − errored). */
  declare readonly passRate: pulumi.Output<number>;
  declare readonly meanScore: pulumi.Output<number>;
  declare readonly counts: pulumi.Output<Counts>;
  /** Per grader: passed, failed, pass rate, mean score. */
  declare readonly graderResults: pulumi.Output<GraderResult[]>;
  declare readonly baselineResult: pulumi.Output<ModelSummary | null>;
  /** passRate minus the baseline's; null without a baseline. */
  declare readonly delta: pulumi.Output<number | null>;
  declare readonly usage: pulumi.Output<EvaluationUsage>;
  /** The first 20 failing (or errored) examples, worst first. */
  declare readonly failures: pulumi.Output<Failure[]>;
  /** Why the gate failed (empty when it passed). */
  declare readonly reasons: pulumi.Output<string[]>;
  /** `<project>/.openai-finetune/evaluations/<name>.json`; the Markdown beside it is `reportMarkdownPath`. */
  declare readonly reportPath: pulumi.Output<string>;
  declare readonly reportMarkdownPath: pulumi.Output<string>;
  /** The evaluated model id. */
  declare readonly model: pulumi.Output<string>;
  declare readonly datasetHash: pulumi.Output<string>;
  declare readonly evaluatedAt: pulumi.Output<string>;

  constructor(name: string, args: ModelEvaluationArgs, opts?: pulumi.CustomResourceOptions) {
    const dataset = datasetOf(args.dataset);
    const datasetHash = pulumi.all([dataset.path, dataset.content]).apply(([p, c]) => hashDataset(p, c));
    super(
      provider,
      name,
      withOutputPlaceholders(modelEvaluationDeclaration, {
        model: modelOf(args.model),
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
      }),
      opts,
      "openai-finetune",
      "ModelEvaluation",
    );
  }
}

function modelOf(model: EvaluatedModel): pulumi.Input<string> {
  if (model && typeof model === "object" && "fineTunedModel" in model && pulumi.Output.isInstance(model.fineTunedModel)) return model.fineTunedModel;
  if (model && typeof model === "object" && "model" in model && pulumi.Output.isInstance(model.model)) return model.model;
  return model as pulumi.Input<string>;
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
