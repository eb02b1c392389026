/**
 * The reliability suite's figures, appended by each test and summed by `npm run chaos`
 * (scripts/chaos-report.mjs) into one table.
 */
import { appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Figures {
  scenario: string;
  faultsInjected?: number;
  retries?: number;
  crashesSurvived?: number;
  jobsCreated?: number;
  jobsExpected?: number;
  filesOrphaned?: number;
  secretBytesFound?: number;
}

export const FIGURES_FILE = process.env.CHAOS_FIGURES_FILE ?? join(tmpdir(), "openai-finetune-chaos.jsonl");

export function recordFigures(figures: Figures): void {
  appendFileSync(FIGURES_FILE, JSON.stringify(figures) + "\n");
}
