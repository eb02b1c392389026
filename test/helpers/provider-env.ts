/**
 * Points the provider modules (loaded in this jest process) at an emulator, the way a user's
 * environment would: OPENAI_BASE_URL and OPENAI_API_KEY, no stack config.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configureFromStack } from "../../provider/client";
import type { RunningEmulator } from "./emulator";

export function useEmulator(emulator: RunningEmulator): void {
  process.env.OPENAI_BASE_URL = emulator.baseURL;
  process.env.OPENAI_API_KEY = emulator.apiKey;
  process.env.OPENAI_MAX_RETRIES = "2";
  process.env.OPENAI_FINETUNE_CACHE_DIR = mkdtempSync(join(tmpdir(), "ft-cache-"));
  configureFromStack({ get: () => undefined });
}

/** A chat dataset of `n` distinct examples, as JSONL. */
export function chatDataset(n: number, tag = "q"): string {
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify({
      messages: [
        { role: "system", content: "You answer questions about the Acme console." },
        { role: "user", content: `${tag} question number ${i}: where is setting ${i}?` },
        { role: "assistant", content: `Setting ${i} is under Console > Settings > Page ${i}.` },
      ],
    }));
  }
  return lines.join("\n") + "\n";
}

export function writeDataset(content: string, name = "train.jsonl"): string {
  const path = join(mkdtempSync(join(tmpdir(), "ft-data-")), name);
  writeFileSync(path, content);
  return path;
}

/** How many API calls the emulator served (admin calls are not counted). */
export async function apiCalls(emulator: RunningEmulator): Promise<number> {
  return (await emulator.state()).requests.total;
}
