/**
 * A fine-tuned model's lineage read from the API alone (no Pulumi state): its job, the job's base model
 * and training file, the training data's content hash and the stack resource that trained it.
 */
import { createHash } from "node:crypto";
import type OpenAI from "openai";
import type { FineTuningJob } from "openai/resources/fine-tuning/jobs/jobs";
import { isNotFound } from "./errors";
import { DATASET_KEY, OWNER_KEY } from "./fine-tuned-model/schema";
import { parseOwner, type StackResource } from "./serving";

/** The sha256 of a file in the API, streamed. */
export async function hashFileContent(client: OpenAI, id: string): Promise<string> {
  const response = await client.files.content(id);
  const hash = createHash("sha256");
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * The job's training data hash: its `pulumi_dataset` metadata, else (a job from before that key, or not
 * made by this package) the training file's content when it still exists; null when neither is there.
 */
export async function datasetHashOfJob(client: OpenAI, job: FineTuningJob, { download = true } = {}): Promise<string | null> {
  const recorded = job.metadata?.[DATASET_KEY];
  if (recorded && /^[0-9a-f]{64}$/.test(recorded)) return recorded;
  if (!download) return null;
  try {
    return await hashFileContent(client, job.training_file);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** The `{project, stack, resource}` that trained the job, from its `pulumi_owner` metadata; null when not made by this package. */
export function ownerOfJob(job: Pick<FineTuningJob, "metadata">): StackResource | null {
  return parseOwner(job.metadata?.[OWNER_KEY]);
}

/** Every job of the account, newest first, as the API lists them. */
export async function listJobs(client: OpenAI): Promise<FineTuningJob[]> {
  const jobs: FineTuningJob[] = [];
  for await (const job of client.fineTuning.jobs.list({ limit: 100 })) jobs.push(job);
  return jobs;
}

/** The job that produced `model` (the API has no lookup by model: the list is searched). */
export async function findJobOfModel(client: OpenAI, model: string): Promise<FineTuningJob | undefined> {
  for await (const job of client.fineTuning.jobs.list({ limit: 100 })) {
    if (job.fine_tuned_model === model) return job;
  }
  return undefined;
}

/** The API's `shutdown_date` of a model; null when it gives none or the model is unknown. */
export async function shutdownDateOf(client: OpenAI, model: string): Promise<string | null> {
  try {
    const found = (await client.models.retrieve(model)) as { shutdown_date?: string | null };
    return found.shutdown_date ?? null;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}
