/**
 * Before a preview promises a training: one cheap call (`models.retrieve` of the base model) proves the
 * key works and the endpoint serves that base, so a wrong key or a typo fails the pull request's
 * preview instead of the `up` after the upload. Only when the model would be created or replaced: a
 * preview with nothing to change makes no API call.
 */
import OpenAI from "openai";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { clientOf, resolveConnection } from "../connections";
import { describeApiError, isTransient } from "../errors";
import { warn } from "../log";
import { findModel, listModels, parseFineTunedId } from "../models";
import { diffInputs } from "../schema";
import { fineTunedModelSchema, type FineTunedModelInputs } from "./schema";

/** Tries for a preview's check: enough to ride out a blip, short enough not to stall a preview. */
const CHECK_RETRIES = 2;

/** Whether these inputs would train: a new resource, or a change that replaces it. */
export function wouldTrain(olds: Record<string, unknown> | undefined, news: Record<string, unknown>): boolean {
  if (!olds || Object.keys(olds).length === 0) return true;
  return (diffInputs(fineTunedModelSchema, olds, news).replaces ?? []).length > 0;
}

/** The failure that refuses this training, or undefined when the key and the base model check out. */
export async function verifyBaseModel(label: string, inputs: FineTunedModelInputs): Promise<dynamic.CheckFailure | undefined> {
  const model = inputs.baseModel;
  const what = `${label}: checking the API key and base model ${model} before training`;
  try {
    await clientOf(resolveConnection(inputs.connection), { maxRetries: CHECK_RETRIES }).models.retrieve(model);
  } catch (err) {
    // A 5xx, a 429 or no answer says nothing about the key or the model: only a refusal stops the check.
    if (!isTransient(err)) return { property: refusedProperty(err), reason: refusalReason(what, model, err) };
    warn(`${describeApiError(what, err)} after ${CHECK_RETRIES + 1} tries: not verified now; a wrong key or base model would still stop the job's create, before any training`);
    return undefined;
  }
  // With a local dataset the estimate already warns that the model is unknown (and has no price).
  if (!inputs.trainingDataset && !findModel(model) && parseFineTunedId(model) === undefined) {
    warn(`${label}: ${model} is served by the endpoint but is not in this package's model facts: no price, token limit or method support is known for it`);
  }
  return undefined;
}

function refusedProperty(err: unknown): string {
  return err instanceof OpenAI.AuthenticationError || err instanceof OpenAI.PermissionDeniedError ? "openai:apiKey" : "baseModel";
}

function refusalReason(what: string, model: string, err: unknown): string {
  if (err instanceof OpenAI.AuthenticationError) {
    return `${describeApiError(what, err)}; the key was refused, so nothing would train: fix \`openai:apiKey\` (or OPENAI_API_KEY); nothing was uploaded or created`;
  }
  if (err instanceof OpenAI.NotFoundError) {
    if (findModel(model)) return `${what}: this endpoint does not serve ${model} (HTTP 404), though it is a known fine-tunable model; nothing was uploaded or created`;
    const near = nearestModelIds(model);
    const hint = near.length > 0 ? `: did you mean ${near.join(" or ")}?` : ".";
    return `${what}: ${model} is neither served by this endpoint (HTTP 404) nor in the model facts${hint} Nothing was uploaded or created`;
  }
  return `${describeApiError(what, err)}; nothing was uploaded or created`;
}

/** The model-facts ids (and aliases) closest to `model` by edit distance: the likely intended ones. */
export function nearestModelIds(model: string, count = 2): string[] {
  const wanted = model.trim().toLowerCase();
  const names = listModels().flatMap((m) => [m.id, ...m.aliases]);
  const scored = names.map((name) => ({ name, distance: editDistance(wanted, name.toLowerCase()) }));
  const limit = Math.max(3, Math.floor(wanted.length / 3));
  return scored
    .filter((s) => s.distance <= limit)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, count)
    .map((s) => s.name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
