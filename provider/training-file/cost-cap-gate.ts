/**
 * In the program: collects the cost caps of the FineTunedModels declared on a TrainingFile, so the
 * file's check refuses before the upload. The engine cannot check the model first: the model's
 * registration waits for the file's id, which only exists after the upload.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CostCap } from "../cost-cap";

type CapInputs = { [K in keyof CostCap]: pulumi.Input<CostCap[K]> | undefined };

export class CostCapGate {
  private readonly requested: CapInputs[] = [];
  /**
   * Resolves once the program's current synchronous run is over: models declared right after the file
   * (the usual program) are in it; one declared after an `await` is checked by its own check only.
   */
  readonly caps: Promise<pulumi.Output<CostCap[]> | undefined> = new Promise((resolve) =>
    setImmediate(() => resolve(this.requested.length === 0 ? undefined : (pulumi.all(this.requested) as pulumi.Output<CostCap[]>))),
  );

  /**
   * Adds a model's cap. Skipped when a value depends on another resource: waiting for it could wait for
   * a resource that waits for this file (a model trained on top of one trained on this same file).
   */
  add(cap: CapInputs): void {
    if (cap.maxTrainingCostUsd === undefined || Object.values(cap).some(dependsOnResources)) return;
    this.requested.push(Object.fromEntries(Object.entries(cap).filter(([, v]) => v !== undefined)) as CapInputs);
  }
}

function dependsOnResources(value: unknown): boolean {
  if (pulumi.Output.isInstance(value)) return (value as unknown as { resources(): Set<unknown> }).resources().size > 0;
  if (value instanceof Promise) return true;
  if (Array.isArray(value)) return value.some(dependsOnResources);
  if (value && typeof value === "object") return Object.values(value).some(dependsOnResources);
  return false;
}
