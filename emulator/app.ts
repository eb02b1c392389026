/** What every resource module gets: the store, the options, and fault/validation hooks. */
import type { Store } from "./store";
import type { Faults } from "./admin";
import type { Flavor, PlatformRules } from "./platform";

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
  /** Which platform to play: OpenAI (default) or Azure OpenAI. */
  flavor?: Flavor;
  /** The emulator's "today" (ISO day) for retirement rules; null: the real date. */
  today?: string | null;
}

export interface App {
  readonly store: Store;
  readonly options: EmulatorOptions;
  readonly faults: Required<Faults>;
  /** The rules of the platform played. */
  readonly platform: PlatformRules;
  /** Today as an ISO day (`--today`, or the real date). */
  today(): string;
  /** Advance simulated jobs to now. */
  tick(): void;
  /** Kick off asynchronous work (e.g. validation) for a job. */
  startJobWork(jobId: string): void;
}
