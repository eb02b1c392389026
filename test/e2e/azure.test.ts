/**
 * Moving off OpenAI fine-tuning, through the Automation API runner (the Pulumi engine) against the
 * emulator in both flavours: one program, two connections in stack config; Azure ids through outputs,
 * refresh, import and destroy; preview refusals with no API call; a rotated key at refresh and destroy.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toFile } from "openai";
import OpenAI from "openai";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { waitForJob } from "../helpers/wait";

jest.setTimeout(900_000);

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { TrainingFile, FineTunedModel } = require("pulumi-openai-finetune");
const config = new pulumi.Config();
const connection = config.get("connection");
const data = new TrainingFile("data", { path: config.require("dataset"), connection, importFileId: config.get("importFile") });
const model = new FineTunedModel("model", {
  baseModel: config.get("baseModel") || "gpt-4.1-mini-2025-04-14",
  trainingFile: data,
  hyperparameters: { nEpochs: 2 },
  trainingType: /** @type {"standard" | "globalstandard" | "developer" | undefined} */ (config.get("trainingType")),
  importJobId: config.get("importJob"),
  waitTimeoutMinutes: 10,
  pollIntervalSeconds: 0.5,
});
exports.fineTunedModel = model.fineTunedModel;
exports.jobId = model.jobId;
exports.trainingFileId = data.id;
exports.checkpoints = model.checkpoints;
exports.baseModelShutdownDate = model.baseModelShutdownDate;
`;

const OPENAI_KEY = "sk-openai-side-0f9e8d7c6b5a4321";
const AZURE_KEY = "azure-side-key-1a2b3c4d5e6f7a8b";
const AZURE_MODEL = /^gpt-4\.1-mini-2025-04-14\.ft-[0-9a-f]{32}$/;

let openai: RunningEmulator;
let azure: RunningEmulator;

beforeAll(async () => {
  [openai, azure] = await Promise.all([startEmulator({ timeScale: 100, apiKey: OPENAI_KEY }), startEmulator({ timeScale: 100, apiKey: AZURE_KEY, flavor: "azure" })]);
});
afterAll(async () => {
  await Promise.all([openai?.stop(), azure?.stop()]);
});

const total = async () => (await openai.state()).requests.total + (await azure.state()).requests.total;

/** Both connections in every stack, as `pulumi config set --path` writes them, keys as secrets. */
async function stack(project: PulumiProject, name: string, config: Record<string, string>, azureEndpoint = azure.azureEndpoint!) {
  await project.initStack(name, config);
  const set = (path: string, value: string, secret = false) => project.ok(["config", "set", "--stack", name, "--path", ...(secret ? ["--secret"] : []), `openai-finetune:connections.${path}`, value]);
  await set("oai.kind", "openai");
  await set("oai.baseUrl", openai.baseURL);
  await set("oai.apiKey", OPENAI_KEY, true);
  await set("az.kind", "azure");
  if (azureEndpoint) await set("az.azureEndpoint", azureEndpoint);
  await set("az.apiKey", AZURE_KEY, true);
}

function project(name: string): PulumiProject {
  // Line 1 starts with a UTF-8 byte order mark, as Azure's docs ask: accepted on both platforms.
  const data = "\uFEFF" + chatDataset(12, "move");
  // No OPENAI_API_KEY in the environment: every key comes from the named connections.
  return new PulumiProject({ name, program: PROGRAM, baseURL: openai.baseURL, files: { "data/train.jsonl": data } });
}

describe("one program, two platforms, switched by the connection only", () => {
  let p: PulumiProject;
  beforeAll(async () => {
    p = project("migrate");
    await stack(p, "on-openai", { dataset: "data/train.jsonl", connection: "oai" });
    await stack(p, "on-azure", { dataset: "data/train.jsonl", connection: "az", trainingType: "developer" });
  });

  it("trains on OpenAI and on Azure; Azure's .ft- ids flow through outputs, refresh and destroy; no key in state or logs", async () => {
    const outputs: string[] = [];
    outputs.push((await p.up("on-openai")).output, (await p.up("on-azure")).output);
    const oai = await p.outputs("on-openai");
    const az = await p.outputs("on-azure");
    expect(oai.fineTunedModel).toMatch(/^ft:gpt-4\.1-mini-2025-04-14:/);
    expect(az.fineTunedModel).toMatch(AZURE_MODEL);
    expect(az.jobId).toMatch(/^ftjob-[0-9a-f]{32}$/);
    expect(az.baseModelShutdownDate).toBe("2027-10-14");
    expect((az.checkpoints as { id: string }[])[0]!.id).toMatch(/^ftchkpt-/);
    const jobs = (await azure.state()).jobs;
    expect(jobs).toEqual([expect.objectContaining({ id: az.jobId, trainingType: "developer" })]);
    expect((await openai.state()).jobs.map((j) => j.id)).toEqual([oai.jobId]);

    const before = await total();
    outputs.push((await p.ok(["preview", "--expect-no-changes", "--stack", "on-azure"])).output);
    expect(await total()).toBe(before);
    outputs.push((await p.ok(["refresh", "--expect-no-changes", "--stack", "on-azure"])).output);
    expect((await p.outputs("on-azure")).fineTunedModel).toBe(az.fineTunedModel);

    const state = (await p.exportStack("on-azure")) + (await p.exportStack("on-openai"));
    for (const text of [state, ...outputs]) {
      expect(text).not.toContain(AZURE_KEY);
      expect(text).not.toContain(OPENAI_KEY);
    }
    outputs.push((await p.ok(["destroy", "--yes", "--stack", "on-azure"])).output);
    const after = await azure.state();
    expect(after.models).toEqual([]);
    expect(after.files.filter((f) => f.purpose === "fine-tune")).toEqual([]);
    expect((await openai.state()).models.map((m) => m.id)).toEqual([oai.fineTunedModel]);
    for (const text of outputs) expect(text).not.toContain(AZURE_KEY);
  });

  it("OpenAI's refusal of 2027-01-06 gives the plain message, and the existing model stays managed", async () => {
    await openai.faults({ trainingClosed: true });
    try {
      await stack(p, "late", { dataset: "data/train.jsonl", connection: "oai", baseModel: "gpt-4o-mini-2024-07-18" });
      const up = await p.run(["up", "--stack", "late"]);
      expect(up.code).not.toBe(0);
      expect(up.output).toMatch(/OpenAI refused to create a fine-tuning job \(HTTP 403 training_not_available\): OpenAI is winding down the fine-tuning platform/);
      expect(up.output).toMatch(/train on Azure OpenAI instead/);
      await p.ok(["refresh", "--expect-no-changes", "--stack", "on-openai"]);
      await p.ok(["destroy", "--yes", "--stack", "on-openai"]);
      await p.ok(["destroy", "--yes", "--stack", "late"]);
      expect((await openai.state()).models).toEqual([]);
    } finally {
      await openai.faults({ trainingClosed: false });
    }
  });
});

describe("the preview refuses, with no API call", () => {
  let p: PulumiProject;
  beforeAll(() => {
    p = project("refusals");
  });

  it("training on a base OpenAI retired, naming it, saying retired and the date, and pointing to Azure", async () => {
    await stack(p, "nano", { dataset: "data/train.jsonl", connection: "oai", baseModel: "gpt-4.1-nano-2025-04-14" });
    const before = await total();
    const preview = await p.run(["preview", "--stack", "nano"]);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/gpt-4\.1-nano-2025-04-14 is retired for fine-tuning on OpenAI since 2026-10-23/);
    expect(preview.output).toMatch(/train on Azure OpenAI instead: give this resource `connection/);
    expect(await total()).toBe(before);
    // The same base on the Azure connection previews fine: Azure trains it until 2027-04-14.
    await p.ok(["config", "set", "--stack", "nano", "connection", "az"]);
    expect(await p.plannedSteps("nano")).toMatchObject({ data: ["create"], model: ["create"] });
    // A preview that would train makes one call: models.retrieve verifying the key and the base.
    expect(await total()).toBe(before + 1);
  });

  it("any training on OpenAI from 2027-01-06 (the clock set through OPENAI_FINETUNE_NOW), but not on Azure", async () => {
    await stack(p, "cutoff", { dataset: "data/train.jsonl", connection: "oai" });
    const before = await total();
    const late = { OPENAI_FINETUNE_NOW: "2027-01-07" };
    const preview = await p.run(["preview", "--stack", "cutoff"], { env: late });
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/OpenAI fine-tuning is retired: no new training jobs from 2027-01-06 on, so gpt-4\.1-mini-2025-04-14 cannot be trained there/);
    expect(await total()).toBe(before);
    const soon = await p.ok(["preview", "--stack", "cutoff"]);
    expect(soon.output).toMatch(/OpenAI accepts no new fine-tuning jobs from 2027-01-06 \(in \d+ days\)/);
    await p.ok(["config", "set", "--stack", "cutoff", "connection", "az"]);
    expect((await p.run(["preview", "--stack", "cutoff"], { env: late })).code).toBe(0);
    // The two previews that would train each made their one verifying models.retrieve; the refused one none.
    expect(await total()).toBe(before + 2);
  });

  it("an unknown connection name and an Azure connection without an endpoint", async () => {
    await stack(p, "typo", { dataset: "data/train.jsonl", connection: "azure-prod" });
    await stack(p, "noendpoint", { dataset: "data/train.jsonl", connection: "az" }, "");
    const before = await total();
    const typo = await p.run(["preview", "--stack", "typo"]);
    expect(typo.code).not.toBe(0);
    expect(typo.output).toMatch(/connection "azure-prod" is not defined in openai-finetune:connections \(defined: az, oai\)/);
    const missing = await p.run(["preview", "--stack", "noendpoint"]);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toMatch(/connection "az" is an Azure connection without a resource endpoint: set it with `pulumi config set --path 'openai-finetune:connections.az.azureEndpoint' https:\/\/<resource>\.openai\.azure\.com`/);
    expect(await total()).toBe(before);
  });
});

describe("a job trained on Azure outside Pulumi", () => {
  it("is imported by importJobId, keeps its .ft- id, and is deleted on destroy", async () => {
    const client = new OpenAI({ baseURL: `${azure.azureEndpoint}/openai/v1`, apiKey: AZURE_KEY, defaultHeaders: { "api-key": AZURE_KEY, Authorization: null } });
    const bytes = Buffer.from("\uFEFF" + chatDataset(12, "move"));
    const file = await client.files.create({ file: await toFile(bytes, "legacy.jsonl"), purpose: "fine-tune" });
    const job = await client.fineTuning.jobs.create({ model: "gpt-4.1-mini-2025-04-14", training_file: file.id, method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 2 } } } });
    const trained = (await waitForJob(client, job.id, ["succeeded"])).job.fine_tuned_model!;
    const p = project("import");
    await stack(p, "imp", { dataset: "data/train.jsonl", connection: "az", importJob: job.id, importFile: file.id });
    await p.up("imp");
    expect((await p.outputs("imp")).fineTunedModel).toBe(trained);
    expect((await azure.state()).jobs.length).toBe(2);
    await p.ok(["refresh", "--expect-no-changes", "--stack", "imp"]);
    await p.ok(["destroy", "--yes", "--stack", "imp"]);
    expect((await azure.state()).models.map((m) => m.id)).not.toContain(trained);
  });
});

describe("a rotated key", () => {
  it("reaches refresh and destroy: the error says what to run, --run-program uses the new config, a new key in OPENAI_FINETUNE_<NAME>_API_KEY is used", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ft-rotate-"));
    let emu = await startEmulator({ flavor: "azure", apiKey: "key-one-aaaaaaaaaaaa", dataDir, timeScale: 100 });
    const port = new URL(emu.url).port;
    const p = project("rotate");
    await p.initStack("dev", { dataset: "data/train.jsonl", connection: "az" });
    const set = (path: string, value: string, secret = false) => p.ok(["config", "set", "--stack", "dev", "--path", ...(secret ? ["--secret"] : []), `openai-finetune:connections.${path}`, value]);
    await set("az.kind", "azure");
    await set("az.azureEndpoint", emu.azureEndpoint!);
    await set("az.apiKey", "key-one-aaaaaaaaaaaa", true);
    await p.up("dev");
    const restart = async (key: string) => {
      await emu.stop();
      emu = await startEmulator({ flavor: "azure", apiKey: key, dataDir, timeScale: 100, port: Number(port) });
    };
    try {
      await restart("key-two-bbbbbbbbbbbb");
      await set("az.apiKey", "key-two-bbbbbbbbbbbb", true);
      const stale = await p.run(["refresh", "--stack", "dev"]);
      expect(stale.code).not.toBe(0);
      expect(stale.output).toMatch(/connection "az": the API refused the key \(HTTP 401\)\. `pulumi refresh` uses the provider configuration saved at the last `pulumi up`/);
      expect(stale.output).toMatch(/run `pulumi refresh --run-program` so the stack's current config is used, or export OPENAI_FINETUNE_AZ_API_KEY=<new key>/);
      await p.ok(["refresh", "--run-program", "--stack", "dev"]);

      await restart("key-three-cccccccccc");
      const destroy = await p.run(["destroy", "--stack", "dev"], { env: { OPENAI_FINETUNE_AZ_API_KEY: "key-three-cccccccccc" } });
      expect(destroy.code).toBe(0);
      // The per-connection variable wins over the key saved with the stack: destroy reaches the API with the new key.
      expect((await emu.state()).models).toEqual([]);
      const state = await p.exportStack("dev");
      for (const key of ["key-one-aaaaaaaaaaaa", "key-two-bbbbbbbbbbbb", "key-three-cccccccccc"]) {
        expect(state).not.toContain(key);
        expect(stale.output + destroy.output).not.toContain(key);
      }
    } finally {
      await emu.stop();
    }
  });
});
