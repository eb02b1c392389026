/** `ModelDeployment`: "this stack serves this model", promoted between stacks without retraining. */
import * as pulumi from "@pulumi/pulumi";
import { FineTunedModel } from "../fine-tuned-model";
import { trampoline } from "../trampoline";
import { ModelDeploymentResource, type ModelDeploymentArgs } from "./generated";

export type { AzureDeployment, ModelDeploymentArgs } from "./generated";

/** What `evaluation` takes: a ModelEvaluation, or any resource or object that says whether it passed. */
export interface EvaluationLike {
  passed: pulumi.Input<boolean>;
  /** The model it judged; when given it must be the model served. */
  model?: pulumi.Input<string>;
  /** The fine-tuned model behind `model` when that is a deployment's name (an evaluation of an Azure deployment). */
  fineTunedModel?: pulumi.Input<string | undefined>;
  /** Names it in a refusal (a resource's own name is used for a resource). */
  name?: pulumi.Input<string>;
}

const provider = trampoline("model-deployment");

/** Its arguments and outputs are declared in ./schema.ts (generated into ./generated.ts). */
export class ModelDeployment extends ModelDeploymentResource {
  /** The connection given, passed on to a ModelEvaluation of this deployment (the program's value, known at preview). */
  readonly connectionName: pulumi.Input<string> | undefined;

  constructor(name: string, args: ModelDeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    const model = args.model instanceof FineTunedModel ? args.model.fineTunedModel : args.model;
    super(
      provider,
      name,
      {
        model,
        evaluation: evaluationInput(args.evaluation),
        connection: args.connection,
        azure: args.azure,
        servedBy: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      },
      opts,
    );
    this.connectionName = args.connection;
  }
}

/** A resource's outputs, or a plain object: only whether it passed, which model it judged and its name travel. */
function evaluationInput(evaluation: ModelDeploymentArgs["evaluation"]): pulumi.Input<Record<string, unknown>> | undefined {
  if (evaluation === undefined) return undefined;
  if (evaluation instanceof pulumi.Resource) {
    const e = evaluation as unknown as EvaluationLike;
    const name = pulumi.output((evaluation as unknown as { urn: pulumi.Output<string> }).urn).apply((urn) => urn.split("::").pop());
    return pulumi.output({ passed: e.passed, model: e.model, fineTunedModel: e.fineTunedModel, name });
  }
  return pulumi.output(evaluation as pulumi.Input<EvaluationLike>).apply((e) => ({ passed: e.passed, model: e.model, fineTunedModel: e.fineTunedModel, name: e.name }));
}
