/**
 * Waiting for training: poll with backoff, show the job's new events as progress, ride out outages,
 * and stop at the deadline so the caller can save the job id instead of losing it.
 */
import OpenAI from "openai";
import type { FineTuningJob, FineTuningJobEvent } from "openai/resources/fine-tuning/jobs/jobs";
import { describeApiError, isTransient } from "../errors";
import { info, warn } from "../log";
import { sleep } from "../retry";

export const SUCCEEDED = "succeeded";
export const FAILED_STATES = new Set(["failed", "cancelled"]);

export function isFinished(status: string): boolean {
  return status === SUCCEEDED || FAILED_STATES.has(status);
}

export interface WaitOptions {
  label: string;
  deadline: number;
  maxIntervalMs: number;
}

export type WaitOutcome = { done: true; job: FineTuningJob } | { done: false; job: FineTuningJob };

export async function waitForJob(client: OpenAI, job: FineTuningJob, options: WaitOptions): Promise<WaitOutcome> {
  const events = new EventFeed(client, job.id, options.label);
  let current = job;
  let lastStatus = "";
  for (let interval = 1_000; ; interval = Math.min(interval * 1.5, options.maxIntervalMs)) {
    await events.show();
    if (current.status !== lastStatus) info(`${options.label}: job ${current.id} is ${current.status}`);
    lastStatus = current.status;
    if (isFinished(current.status)) return { done: true, job: current };
    if (Date.now() >= options.deadline) return { done: false, job: current };
    await sleep(Math.min(interval, Math.max(0, options.deadline - Date.now())));
    current = (await retrieveThroughOutages(client, current, options)) ?? current;
  }
}

/** An unreachable API is not a failed job: keep the last known state and try again at the next poll. */
async function retrieveThroughOutages(client: OpenAI, job: FineTuningJob, options: WaitOptions): Promise<FineTuningJob | undefined> {
  try {
    return await client.fineTuning.jobs.retrieve(job.id);
  } catch (err) {
    if (!isTransient(err)) throw err;
    warn(`${options.label}: ${describeApiError(`polling job ${job.id}`, err)}; still waiting`);
    return undefined;
  }
}

/** Shows each job event once, oldest first. The API lists events newest first. */
class EventFeed {
  private readonly seen = new Set<string>();

  constructor(
    private readonly client: OpenAI,
    private readonly jobId: string,
    private readonly label: string,
  ) {}

  async show(): Promise<void> {
    let page;
    try {
      page = await this.client.fineTuning.jobs.listEvents(this.jobId, { limit: 50 });
    } catch (err) {
      if (isTransient(err)) return;
      throw err;
    }
    const fresh = page.data.filter((e) => !this.seen.has(e.id)).reverse();
    for (const event of fresh) {
      this.seen.add(event.id);
      info(`${this.label}: ${describeEvent(event)}`);
    }
  }
}

export function describeEvent(event: FineTuningJobEvent): string {
  const data = event.data as { step?: number; total_steps?: number; train_loss?: number; valid_loss?: number } | undefined;
  if (event.type === "metrics" && data?.step !== undefined) {
    const of = data.total_steps ? `/${data.total_steps}` : "";
    const loss = data.train_loss === undefined ? "" : `, train loss ${data.train_loss.toFixed(4)}`;
    const valid = data.valid_loss === undefined || data.valid_loss === null ? "" : `, valid loss ${data.valid_loss.toFixed(4)}`;
    return `step ${data.step}${of}${loss}${valid}`;
  }
  return event.message;
}
