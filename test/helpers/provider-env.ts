/**
 * Points the provider modules (loaded in this jest process) at an emulator, the way a user's
 * environment would: OPENAI_BASE_URL and OPENAI_API_KEY, no stack config.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI, { toFile } from "openai";
import { configureFromStack } from "../../provider/client";
import { configureConnections, CONNECTIONS_KEY } from "../../provider/connections";
import { startEmulator, type RunningEmulator } from "./emulator";
import { waitForJob } from "./wait";

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

/**
 * One emulator for a test file, the provider modules pointed at it, and a clean slate before each
 * test. Returns a getter: the emulator exists only once beforeAll has run.
 */
export function withEmulator(options: Parameters<typeof startEmulator>[0] = { timeScale: 200 }): () => RunningEmulator {
  let emulator: RunningEmulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator(options);
    useEmulator(emulator);
  });
  afterAll(() => emulator?.stop());
  beforeEach(() => emulator?.reset());
  return () => emulator as RunningEmulator;
}

/**
 * Stack config holding one named connection, `emu`, to the emulator, while the default connection's
 * key is one the emulator refuses: whatever succeeds went through the named connection.
 */
export function onlyNamedConnection(emulator: RunningEmulator): void {
  process.env.OPENAI_API_KEY = "sk-default-connection-refused";
  const connections = { emu: { kind: "openai", baseUrl: emulator.baseURL, apiKey: emulator.apiKey } };
  configureConnections({ get: (key) => (key === CONNECTIONS_KEY ? JSON.stringify(connections) : undefined) });
}

/** Trains a model on 10 examples (the API's minimum) through the real SDK and returns its id. */
export async function trainModel(client: OpenAI, tag: string, model = "gpt-4o-mini-2024-07-18", content = chatDataset(10, tag)): Promise<string> {
  const file = await client.files.create({ file: await toFile(Buffer.from(content), `${tag}.jsonl`), purpose: "fine-tune" });
  const job = await client.fineTuning.jobs.create({ model, training_file: file.id });
  return (await waitForJob(client, job.id, ["succeeded"], 60_000)).job.fine_tuned_model as string;
}
