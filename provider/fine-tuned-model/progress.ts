/**
 * A job's events as progress a person can read in a CI log: read by cursor so none is lost whatever
 * the poll interval, then summarised: status changes and messages (checkpoints) as they come, and
 * one metrics line per 10% of the steps (or per minute) instead of one per step.
 */
import type OpenAI from "openai";
import type { RequestOptions } from "openai/internal/request-options";
import type { FineTuningJob, FineTuningJobEvent } from "openai/resources/fine-tuning/jobs/jobs";
import { info } from "../log";

/** `verbose`: every event; `default`: messages, checkpoints, metrics every 10% or minute; `quiet`: status changes. */
export const PROGRESS_MODES = ["default", "verbose", "quiet"] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

const PAGE = 100;

/**
 * The job's events, oldest first, each once. The API lists them newest first and pages toward older
 * ones with `after`: new events are the pages read until the newest one already seen.
 */
export class EventFeed {
  private newestSeen: string | undefined;

  constructor(
    private readonly client: OpenAI,
    private readonly jobId: string,
    private readonly request: RequestOptions = {},
  ) {}

  /** Events since the last call (all of them at the first call). */
  async fresh(): Promise<FineTuningJobEvent[]> {
    const fresh: FineTuningJobEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.client.fineTuning.jobs.listEvents(this.jobId, { limit: PAGE, ...(after ? { after } : {}) }, this.request);
      const seenAt = page.data.findIndex((e) => e.id === this.newestSeen);
      fresh.push(...(seenAt === -1 ? page.data : page.data.slice(0, seenAt)));
      if (seenAt !== -1 || !page.has_more || page.data.length === 0) break;
      after = page.data[page.data.length - 1]!.id;
    }
    if (fresh.length > 0) this.newestSeen = fresh[0]!.id;
    return fresh.reverse();
  }

  /** Continues after an event already seen elsewhere (the UI's page says which one it has). */
  startAfter(eventId: string | undefined): this {
    this.newestSeen = eventId;
    return this;
  }

  /** Marks what the job did before now as seen: an imported or resumed job does not replay its history. */
  async skipHistory(): Promise<void> {
    const page = await this.client.fineTuning.jobs.listEvents(this.jobId, { limit: 1 }, this.request);
    this.newestSeen = page.data[0]?.id;
  }
}

interface Metrics {
  step?: number;
  total_steps?: number;
  train_loss?: number;
  valid_loss?: number | null;
}

/** Metrics lines in the default mode: at every tenth of the steps, or after this long without one. */
const METRICS_EVERY_MS = 60_000;

export class ProgressReporter {
  private nextTenth = 1;
  private lastMetricsAt = Date.now();

  constructor(
    private readonly label: string,
    private readonly mode: ProgressMode,
  ) {}

  status(job: FineTuningJob): void {
    info(`${this.label}: job ${job.id} is ${job.status}`);
  }

  show(events: FineTuningJobEvent[]): void {
    if (this.mode === "quiet") return;
    for (const event of events) {
      if (this.mode === "verbose" || this.shownByDefault(event)) info(`${this.label}: ${describeEvent(event)}`);
    }
  }

  private shownByDefault(event: FineTuningJobEvent): boolean {
    const data = event.data as Metrics | undefined;
    if (event.type !== "metrics" || data?.step === undefined) return true;
    const now = Date.now();
    const total = data.total_steps;
    const tenth = total ? Math.floor((data.step / total) * 10) : 0;
    const due = (total !== undefined && (tenth >= this.nextTenth || data.step === total)) || now - this.lastMetricsAt >= METRICS_EVERY_MS;
    if (!due) return false;
    if (total) this.nextTenth = Math.max(this.nextTenth, tenth + 1);
    this.lastMetricsAt = now;
    return true;
  }
}

export function describeEvent(event: FineTuningJobEvent): string {
  const data = event.data as Metrics | undefined;
  if (event.type === "metrics" && data?.step !== undefined) {
    const of = data.total_steps ? `/${data.total_steps.toLocaleString("en-US")} (${Math.floor((data.step / data.total_steps) * 100)}%)` : "";
    const loss = data.train_loss === undefined ? "" : `, train loss ${data.train_loss.toFixed(4)}`;
    const valid = data.valid_loss === undefined || data.valid_loss === null ? "" : `, valid loss ${data.valid_loss.toFixed(4)}`;
    return `step ${data.step.toLocaleString("en-US")}${of}${loss}${valid}`;
  }
  return event.message;
}
