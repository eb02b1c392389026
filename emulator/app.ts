/** What every resource module gets: the store, the options, and fault/validation hooks. */
import type { Store } from "./store";
import type { Faults } from "./admin";

export interface EmulatorOptions {
  host: string;
  port: number;
  dataDir: string | null;
  /** Simulated durations are divided by this. */
  timeScale: number;
  /** When set, the only accepted key; otherwise any non-empty key is. */
  apiKey: string | null;
  /** Files API upload limit (OpenAI: 512 MB). */
  maxFileBytes: number;
  /** Added before every chat completion answer (ms), to exercise clients' concurrency; default 0. */
  chatLatencyMs?: number;
  /** Metrics events per job at most (one every ceil(steps / this) steps). */
  maxMetricEvents?: number;
}

export interface App {
  readonly store: Store;
  readonly options: EmulatorOptions;
  readonly faults: Required<Faults>;
  /** Advance simulated jobs to now. */
  tick(): void;
  /** Kick off asynchronous work (e.g. validation) for a job. */
  startJobWork(jobId: string): void;
}
