/** Types the FineTunedModel's generated Args refer to: the nested shapes, with their own doc comments. */
export interface Hyperparameters {
  /** Passes over the training data; "auto" lets the API choose (OpenAI's auto-epochs rule). */
  nEpochs?: number | "auto";
  /** Examples per batch; "auto" lets the API choose. */
  batchSize?: number | "auto";
  /** Scales the learning rate; "auto" lets the API choose. */
  learningRateMultiplier?: number | "auto";
}

export type Method =
  | { type: "supervised"; hyperparameters?: Hyperparameters }
  | { type: "dpo"; hyperparameters?: Hyperparameters & { beta?: number | "auto" } }
  | {
      type: "reinforcement";
      /** The grader, in the API's own (snake_case) shape. */
      grader: Record<string, unknown>;
      hyperparameters?: Hyperparameters & {
        computeMultiplier?: number | "auto";
        evalInterval?: number | "auto";
        evalSamples?: number | "auto";
        reasoningEffort?: "default" | "low" | "medium" | "high";
      };
    };

export interface WandbIntegration {
  type: "wandb";
  wandb: { project: string; entity?: string; name?: string; tags?: string[] };
}
