/**
 * Every fine-tuned model of the account with its lineage and who serves it, from the API alone (no
 * Pulumi state): what `openai-finetune models` prints and what the UI shows.
 */
import type OpenAI from "openai";
import type { FineTuningJob } from "openai/resources/fine-tuning/jobs/jobs";
import type { Model } from "openai/resources/models";
import { datasetHashOfJob, listJobs, ownerOfJob } from "./lineage";
import { parseFineTunedId } from "./models";
import { listServing, type StackResource } from "./serving";

export interface InventoryEntry {
  id: string;
  jobId: string | null;
  baseModel: string | null;
  /** The job's status. */
  status: string | null;
  /** ISO 8601. */
  createdAt: string | null;
  finishedAt: string | null;
  trainedTokens: number | null;
  datasetHash: string | null;
  owner: StackResource | null;
  servedBy: StackResource[];
  baseModelShutdownDate: string | null;
  /** Made by this package (its job carries `pulumi_owner`). */
  managed: boolean;
}

const PLATFORM_OWNERS = new Set(["system", "openai", "openai-internal"]);

function isFineTuned(model: Model): boolean {
  return parseFineTunedId(model.id) !== undefined || /\.ft-[0-9a-f]+/.test(model.id) || !PLATFORM_OWNERS.has(model.owned_by);
}

const iso = (seconds: number | null | undefined) => (typeof seconds === "number" ? new Date(seconds * 1000).toISOString() : null);

export async function inventory(client: OpenAI): Promise<InventoryEntry[]> {
  const models: Model[] = [];
  for await (const model of client.models.list()) models.push(model);
  const [jobs, serving] = await Promise.all([listJobs(client), listServing(client)]);
  const jobOf = new Map<string, FineTuningJob>();
  for (const job of jobs) if (job.fine_tuned_model && !jobOf.has(job.fine_tuned_model)) jobOf.set(job.fine_tuned_model, job);
  const shutdownOf = new Map(models.map((m) => [m.id, (m as { shutdown_date?: string | null }).shutdown_date ?? null]));
  const entries: InventoryEntry[] = [];
  for (const model of models.filter(isFineTuned)) {
    const job = jobOf.get(model.id);
    const baseModel = job?.model ?? parseFineTunedId(model.id) ?? null;
    entries.push({
      id: model.id,
      jobId: job?.id ?? null,
      baseModel,
      status: job?.status ?? null,
      createdAt: iso(job?.created_at ?? model.created),
      finishedAt: iso(job?.finished_at),
      trainedTokens: job?.trained_tokens ?? null,
      // Recorded in the job's metadata; not downloaded here, so a long listing stays one page of calls.
      datasetHash: job ? await datasetHashOfJob(client, job, { download: false }) : null,
      owner: job ? ownerOfJob(job) : null,
      servedBy: serving.filter((s) => s.model === model.id).map((s) => s.servedBy),
      baseModelShutdownDate: (model as { shutdown_date?: string | null }).shutdown_date ?? (baseModel ? (shutdownOf.get(baseModel) ?? null) : null),
      managed: job?.metadata?.pulumi_owner !== undefined,
    });
  }
  return entries;
}

/** Entries whose owner or one of whose serving stacks matches every given filter. */
export function filterInventory(entries: InventoryEntry[], { project, stack }: { project?: string; stack?: string }): InventoryEntry[] {
  const matches = (s: StackResource | null) => s !== null && (project === undefined || s.project === project) && (stack === undefined || s.stack === stack);
  if (project === undefined && stack === undefined) return entries;
  return entries.filter((e) => matches(e.owner) || e.servedBy.some(matches));
}
