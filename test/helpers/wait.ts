/** Polling for tests: one way to wait for something the emulator or the CLI will do. */
import type OpenAI from "openai";
import type { FineTuningJob } from "openai/resources/fine-tuning/jobs/jobs";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Poll a job until its status is one of `statuses`; returns it and the statuses seen on the way. */
export async function waitForJob(client: OpenAI, id: string, statuses: string[], timeoutMs = 30_000, everyMs = 20) {
  const seen: string[] = [];
  const job = await waitFor(
    async () => {
      const j = await client.fineTuning.jobs.retrieve(id);
      if (seen[seen.length - 1] !== j.status) seen.push(j.status);
      return statuses.includes(j.status) ? j : undefined;
    },
    `job ${id} to reach ${statuses.join("|")}`,
    timeoutMs,
    everyMs,
  );
  return { job: job as FineTuningJob, seen };
}
