/**
 * Waiting for training: poll with backoff, show the job's new events as progress, ride out outages,
 * and stop at the deadline so the caller can save the job id instead of losing it.
 */
import OpenAI from "openai";
import type { FineTuningJob } from "openai/resources/fine-tuning/jobs/jobs";
import { describeApiError, isTransient } from "../errors";
import { info, warn } from "../log";
import { sleep } from "../retry";
import { EventFeed, ProgressReporter, type ProgressMode } from "./progress";

export { describeEvent } from "./progress";

export const SUCCEEDED = "succeeded";
export const FAILED_STATES = new Set(["failed", "cancelled"]);

export function isFinished(status: string): boolean {
  return status === SUCCEEDED || FAILED_STATES.has(status);
}

export interface WaitOptions {
  label: string;
  deadline: number;
  maxIntervalMs: number;
  /** What is shown of the job's events (default: status, checkpoints, metrics every 10%). */
  progress?: ProgressMode;
  /** Show the events the job had before this wait (a job just created); otherwise only new ones. */
  replayHistory?: boolean;
}

export type WaitOutcome = { done: true; job: FineTuningJob } | { done: false; job: FineTuningJob };

/** One try per poll: the wait loop is the retry, so an outage is reported by it, not hidden in the SDK. */
const POLL_REQUEST = { maxRetries: 0 };

export async function waitForJob(client: OpenAI, job: FineTuningJob, options: WaitOptions): Promise<WaitOutcome> {
  const reporter = new ProgressReporter(options.label, options.progress ?? "default");
  const outage = new OutageReport(options.label, job.id);
  const events = new EventFeed(client, job.id, POLL_REQUEST);
  let current = job;
  let lastStatus = "";
  let needsCursor = !options.replayHistory;
  for (let interval = 1_000; ; interval = Math.min(interval * 1.5, options.maxIntervalMs)) {
    try {
      if (needsCursor) {
        await events.skipHistory();
        needsCursor = false;
      } else {
        reporter.show(await events.fresh());
      }
      outage.recovered();
    } catch (err) {
      if (!isTransient(err)) throw err;
      outage.failed(err);
    }
    if (current.status !== lastStatus) reporter.status(current);
    lastStatus = current.status;
    if (isFinished(current.status)) return { done: true, job: current };
    if (Date.now() >= options.deadline) return { done: false, job: current };
    await sleep(Math.min(interval, Math.max(0, options.deadline - Date.now())));
    current = (await retrieveThroughOutages(client, current, outage)) ?? current;
  }
}

/** An unreachable API is not a failed job: keep the last known state and try again at the next poll. */
async function retrieveThroughOutages(client: OpenAI, job: FineTuningJob, outage: OutageReport): Promise<FineTuningJob | undefined> {
  try {
    const fresh = await client.fineTuning.jobs.retrieve(job.id, POLL_REQUEST);
    outage.recovered();
    return fresh;
  } catch (err) {
    if (!isTransient(err)) throw err;
    outage.failed(err);
    return undefined;
  }
}

/** How often a continuing outage is mentioned: enough to show the wait is alive, not a line per poll. */
export const OUTAGE_REPORT_EVERY_MS = 60_000;

/**
 * An outage while waiting, told in a bounded number of lines: one at the first failure (with the
 * API's error), then at most once a minute how long it has lasted, and one when the API answers again.
 */
export class OutageReport {
  private since: number | undefined;
  private lastReport = 0;

  constructor(
    private readonly label: string,
    private readonly jobId: string,
    private readonly everyMs = OUTAGE_REPORT_EVERY_MS,
  ) {}

  failed(err: unknown, now = Date.now()): void {
    if (this.since === undefined) {
      this.since = now;
      this.lastReport = now;
      warn(`${this.label}: ${describeApiError(`polling job ${this.jobId}`, err)}; still waiting (the job keeps training at the API)`);
      return;
    }
    if (now - this.lastReport < this.everyMs) return;
    this.lastReport = now;
    warn(`${this.label}: still waiting for job ${this.jobId}, API unreachable for ${formatDuration(now - this.since)}`);
  }

  recovered(now = Date.now()): void {
    if (this.since === undefined) return;
    info(`${this.label}: the API answers again after ${formatDuration(now - this.since)}; still waiting for job ${this.jobId}`);
    this.since = undefined;
  }
}

/** 2m10s, 45s, 1h05m. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}
