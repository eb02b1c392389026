/**
 * `--connection NAME` on the commands (models, eval, ui): a connection the stack declares under
 * openai-finetune:connections, given to a command through OPENAI_FINETUNE_CONNECTIONS, with its key in
 * the per-connection variable. Driven as processes of the built CLI against the emulator over HTTP.
 */
import { spawnSync } from "node:child_process";
import { toFile } from "openai";
import { CLI, startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { waitForJob } from "../helpers/wait";

const KEY = "sk-named-connection-7f3a2c9e51d04b68";
let emulator: RunningEmulator;
let model: string;

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 400, apiKey: KEY });
  const client = emulator.client();
  const file = await client.files.create({ file: await toFile(Buffer.from(chatDataset(10, "conn")), "conn.jsonl"), purpose: "fine-tune" });
  const job = await client.fineTuning.jobs.create({ model: "gpt-4o-mini-2024-07-18", training_file: file.id });
  model = (await waitForJob(client, job.id, ["succeeded"], 60_000)).job.fine_tuned_model as string;
}, 90_000);
afterAll(() => emulator?.stop());

const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 30_000 });

const connections = () => JSON.stringify({ emu: { kind: "openai", baseUrl: `${emulator.baseURL}` } });

describe("--connection", () => {
  it("lists the models of the named connection, with its key from OPENAI_FINETUNE_EMU_API_KEY and nothing else set", () => {
    const r = run(["models", "--json", "--connection", "emu"], { OPENAI_FINETUNE_CONNECTIONS: connections(), OPENAI_FINETUNE_EMU_API_KEY: KEY });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const ids = (JSON.parse(r.stdout) as { id: string; managed: boolean }[]).map((m) => [m.id, m.managed]);
    expect(ids).toEqual([[model, false]]);
  });

  it("refuses an unknown connection name as usage, naming the defined ones, with no API call", async () => {
    const before = (await emulator.state()).requests.total;
    const r = run(["models", "--connection", "prod"], { OPENAI_FINETUNE_CONNECTIONS: connections(), OPENAI_FINETUNE_EMU_API_KEY: KEY });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('connection "prod" is not defined in openai-finetune:connections (defined: emu)');
    expect((await emulator.state()).requests.total).toBe(before);
  });

  it("says where named connections come from when OPENAI_FINETUNE_CONNECTIONS is not set (ui and eval alike)", () => {
    for (const args of [["ui", "--connection", "emu"], ["eval", "--model", "m", "--data", __filename, "--connection", "emu"]]) {
      const r = run(args, { OPENAI_API_KEY: "sk-x" });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('connection "emu" is not defined in openai-finetune:connections (no connections are defined); export OPENAI_FINETUNE_CONNECTIONS');
    }
  });

  it("names the connection whose key is missing and the variable that gives it", () => {
    const r = run(["models", "--connection", "emu"], { OPENAI_FINETUNE_CONNECTIONS: connections() });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('connection "emu" has no API key');
    expect(r.stderr).toContain("OPENAI_FINETUNE_EMU_API_KEY");
  });
});
