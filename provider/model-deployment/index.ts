/** `ModelDeployment`: "this stack serves this model", promoted between stacks without retraining. */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { FineTunedModel } from "../fine-tuned-model";
import type { StackResource } from "../serving";
import { withOutputPlaceholders } from "../schema";
import { trampoline } from "../trampoline";
import { modelDeploymentDeclaration } from "./schema";

/** What `evaluation` takes: a ModelEvaluation, or any resource or object that says whether it passed. */
export interface EvaluationLike {
  passed: pulumi.Input<boolean>;
  /** The model it judged; when given it must be the model served. */
  model?: pulumi.Input<string>;
  /** Names it in a refusal (a resource's own name is used for a resource). */
  name?: pulumi.Input<string>;
}

export interface ModelDeploymentArgs {
  /**
   * The fine-tuned model to serve: a FineTunedModel of this stack, an `ft:` id (e.g. pinned in stack
   * config by a CI job after a passing gate), or an output of a `pulumi.StackReference` to the stack
   * that trained it. A change is an in-place update (a promotion or a rollback), never a retrain.
   */
  model: FineTunedModel | pulumi.Input<string>;
  /** An evaluation that must have passed: a failing one fails `up` and nothing is served. Without it, allowed. */
  evaluation?: EvaluationLike | pulumi.Input<EvaluationLike>;
  /**
   * The name of a connection in the stack config `openai-finetune:connections` (never a key) where the
   * model is served; default: the `openai:*` config and the environment. A change replaces the deployment.
   */
  connection?: pulumi.Input<string>;
}

const provider = trampoline("model-deployment");

export class ModelDeployment extends dynamic.Resource {
  /** The model id to call. */
  declare readonly model: pulumi.Output<string>;
  /** The job that trained it, found in the API; null when the API lists none (not made by a job of this account). */
  declare readonly jobId: pulumi.Output<string | null>;
  declare readonly baseModel: pulumi.Output<string | null>;
  declare readonly trainingFileId: pulumi.Output<string | null>;
  /** sha256 hex of the training data (equal to the TrainingFile's `contentHash`). */
  declare readonly datasetHash: pulumi.Output<string | null>;
  /** The stack resource that trained the model, from its job's metadata; null when not made by this package. */
  declare readonly owner: pulumi.Output<StackResource | null>;
  /** When the base model retires (the model stops serving then), as the API reports it. */
  declare readonly baseModelShutdownDate: pulumi.Output<string | null>;

  constructor(name: string, args: ModelDeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    const model = args.model instanceof FineTunedModel ? args.model.fineTunedModel : args.model;
    super(
      provider,
      name,
      withOutputPlaceholders(modelDeploymentDeclaration, {
        model,
        evaluation: evaluationInput(args.evaluation),
        connection: args.connection,
        servedBy: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      }),
      opts,
      "openai-finetune",
      "ModelDeployment",
    );
  }
}

/** A resource's outputs, or a plain object: only whether it passed, which model it judged and its name travel. */
function evaluationInput(evaluation: ModelDeploymentArgs["evaluation"]): pulumi.Input<Record<string, unknown>> | undefined {
  if (evaluation === undefined) return undefined;
  if (evaluation instanceof pulumi.Resource) {
    const e = evaluation as unknown as EvaluationLike;
    const name = pulumi.output((evaluation as unknown as { urn: pulumi.Output<string> }).urn).apply((urn) => urn.split("::").pop());
    return pulumi.output({ passed: e.passed, model: e.model, name });
  }
  return pulumi.output(evaluation as pulumi.Input<EvaluationLike>).apply((e) => ({ passed: e.passed, model: e.model, name: e.name }));
}
