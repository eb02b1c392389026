/**
 * What the UI reads from the API (read-only: list and retrieve calls only), shaped for the page:
 * environments by `pulumi_owner`, job summaries, a job's detail with its metrics, evaluations.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type OpenAI from "openai";
import type { FineTuningJob, FineTuningJobEvent } from "openai/resources/fine-tuning/jobs/jobs";
import type { FineTuningJobCheckpoint } from "openai/resources/fine-tuning/jobs/checkpoints";
import type { FileObject } from "openai/resources/files";
import { EventFeed } from "../provider/fine-tuned-model/progress";
import { lookupModel } from "../provider/models";
import { listServing } from "../provider/serving";
import { bestCheckpoint, metricsFromEvents, overfittingHint, parseResultCsv, toColumns, type MetricRow } from "./metrics";

export interface Owner {
  project: string;
  stack: string;
  resource: string;
}

export interface JobSummary {
  id: string;
  status: string;
  model: string;
  fineTunedModel: string | null;
  createdAt: number;
  finishedAt: number | null;
  owner: Owner | null;
  datasetHash: string | null;
  suffix: string | null;
  trainedTokens: number | null;
  error: FineTuningJob["error"];
}

export interface Environment {
  project: string;
  stack: string;
  jobs: string[];
  /** Models a `ModelDeployment` of this stack serves. */
  serving: { model: string; resource: string }[];
}

export interface Overview {
  environments: Environment[];
  unmanaged: string[];
  jobs: JobSummary[];
}

export function parseOwner(value: string | undefined): Owner | null {
  if (!value) return null;
  const parts = value.split("/");
  if (parts.length < 3) return null;
  const [project, stack, ...rest] = parts;
  return { project: project!, stack: stack!, resource: rest.join("/") };
}

export function summarise(job: FineTuningJob): JobSummary {
  const meta = (job.metadata ?? {}) as Record<string, string>;
  const suffix = job.fine_tuned_model ? (job.fine_tuned_model.split(":")[3] ?? null) || null : null;
  return {
    id: job.id,
    status: job.status,
    model: job.model,
    fineTunedModel: job.fine_tuned_model,
    createdAt: job.created_at,
    finishedAt: job.finished_at,
    owner: parseOwner(meta.pulumi_owner),
    datasetHash: meta.pulumi_dataset ?? null,
    suffix,
    trainedTokens: job.trained_tokens,
    error: job.error,
  };
}

export async function listAllJobs(client: OpenAI): Promise<FineTuningJob[]> {
  const jobs: FineTuningJob[] = [];
  for await (const job of client.fineTuning.jobs.list({ limit: 100 })) jobs.push(job);
  return jobs;
}

export async function overview(client: OpenAI): Promise<Overview> {
  const [jobs, serving] = await Promise.all([listAllJobs(client), listServing(client)]);
  const envs = new Map<string, Environment>();
  const unmanaged: string[] = [];
  const envOf = (project: string, stack: string) => {
    const key = `${project}/${stack}`;
    let env = envs.get(key);
    if (!env) envs.set(key, (env = { project, stack, jobs: [], serving: [] }));
    return env;
  };
  const summaries = jobs.map(summarise);
  for (const s of summaries) {
    if (s.owner) envOf(s.owner.project, s.owner.stack).jobs.push(s.id);
    else unmanaged.push(s.id);
  }
  for (const m of serving) envOf(m.servedBy.project, m.servedBy.stack).serving.push({ model: m.model, resource: m.servedBy.resource });
  const environments = [...envs.values()].sort((a, b) => `${a.project}/${a.stack}`.localeCompare(`${b.project}/${b.stack}`));
  return { environments, unmanaged, jobs: summaries };
}

/** All of a job's events, oldest first (read by the provider's cursor discipline). */
export async function listEvents(client: OpenAI, jobId: string): Promise<FineTuningJobEvent[]> {
  return new EventFeed(client, jobId).fresh();
}

export async function listCheckpoints(client: OpenAI, jobId: string): Promise<FineTuningJobCheckpoint[]> {
  const out: FineTuningJobCheckpoint[] = [];
  for await (const c of client.fineTuning.jobs.checkpoints.list(jobId, { limit: 100 })) out.push(c);
  return out.sort((a, b) => a.step_number - b.step_number);
}

export interface JobMetrics {
  source: "result_file" | "events" | "none";
  rows: MetricRow[];
  ignoredColumns: string[];
}

/** Parsed result files by file id: they never change once written. */
const resultCache = new Map<string, { rows: MetricRow[]; ignored: string[] }>();

export async function jobMetrics(client: OpenAI, job: FineTuningJob, events: FineTuningJobEvent[]): Promise<JobMetrics> {
  const fileId = job.result_files?.[0];
  if (fileId) {
    let parsed = resultCache.get(fileId);
    if (!parsed) {
      const text = await (await client.files.content(fileId)).text();
      const { rows, ignored } = parseResultCsv(text);
      parsed = { rows, ignored };
      if (resultCache.size >= 20) resultCache.delete(resultCache.keys().next().value!);
      resultCache.set(fileId, parsed);
    }
    return { source: "result_file", rows: parsed.rows, ignoredColumns: parsed.ignored };
  }
  const rows = metricsFromEvents(events);
  return { source: rows.length ? "events" : "none", rows, ignoredColumns: [] };
}

export interface CostFigures {
  pricePerMillionTokens: number | null;
  /** Before the job ends: the training file's size at ~4 bytes a token, times the epochs. */
  estimatedUsd: number | null;
  actualUsd: number | null;
}

export function costOf(job: FineTuningJob, trainingFile: FileObject | null): CostFigures {
  const price = lookupModel(job.model).pricePerMillionTokens;
  const epochs = typeof job.hyperparameters?.n_epochs === "number" ? job.hyperparameters.n_epochs : null;
  const estimatedTokens = trainingFile && epochs ? (trainingFile.bytes / 4) * epochs : null;
  return {
    pricePerMillionTokens: price,
    estimatedUsd: price !== null && estimatedTokens !== null ? (estimatedTokens / 1e6) * price : null,
    actualUsd: price !== null && job.trained_tokens ? (job.trained_tokens / 1e6) * price : null,
  };
}

async function fileOrNull(client: OpenAI, id: string | null | undefined): Promise<FileObject | null> {
  if (!id) return null;
  try {
    return await client.files.retrieve(id);
  } catch {
    return null;
  }
}

export async function jobDetail(client: OpenAI, jobId: string) {
  const job = await client.fineTuning.jobs.retrieve(jobId);
  const [events, checkpoints, training, validation, result] = await Promise.all([
    listEvents(client, jobId),
    listCheckpoints(client, jobId),
    fileOrNull(client, job.training_file),
    fileOrNull(client, job.validation_file),
    fileOrNull(client, job.result_files?.[0]),
  ]);
  const metrics = await jobMetrics(client, job, events);
  const best = bestCheckpoint(checkpoints);
  return {
    job,
    summary: summarise(job),
    events,
    checkpoints,
    bestCheckpoint: best ? best.id : null,
    files: { training, validation, result },
    metrics: { source: metrics.source, ignoredColumns: metrics.ignoredColumns, columns: toColumns(metrics.rows) },
    overfitting: overfittingHint(metrics.rows),
    cost: costOf(job, training),
  };
}

/** `ModelEvaluation` reports in `<dir>/.openai-finetune/evaluations/*.json` for `model` (all when omitted). */
export function evaluations(projectDir: string, model?: string): Record<string, unknown>[] {
  const dir = join(projectDir, ".openai-finetune", "evaluations");
  if (!existsSync(dir)) return [];
  const out: Record<string, unknown>[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    try {
      const report = JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, unknown>;
      if (!model || report.model === model) out.push({ file: name, ...report });
    } catch {
      out.push({ file: name, unreadable: true });
    }
  }
  return out;
}
