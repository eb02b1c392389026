/**
 * Several environments of one project, the key as a stack secret, and importing a job trained outside
 * Pulumi, through the Automation API runner (the Pulumi engine; `stack` and `config` commands by the CLI).
 */
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { waitForJob } from "../helpers/wait";
import { PROGRAM } from "./program";

jest.setTimeout(900_000);

const SECRET = "sk-e2e-stack-secret-5c1f0a9e7d3b2a41";
let emulator: RunningEmulator;

beforeAll(async () => {
  // Only this exact key is accepted: every call proves the key came through the stack config.
  emulator = await startEmulator({ timeScale: 100, apiKey: SECRET });
});
afterAll(() => emulator?.stop());

describe("stacks of one project", () => {
  let project: PulumiProject;

  beforeAll(async () => {
    project = new PulumiProject({
      program: PROGRAM,
      baseURL: emulator.baseURL,
      files: { "data/dev.jsonl": chatDataset(12, "dev"), "data/prod.jsonl": chatDataset(20, "prod") },
    });
    await project.initStack("dev", { dataset: "data/dev.jsonl" }, { "openai:apiKey": SECRET });
    await project.initStack("prod", { dataset: "data/prod.jsonl", nEpochs: "3" }, { "openai:apiKey": SECRET });
  });

  it("hold different models at once, each with its own lineage", async () => {
    const devUp = await project.up("dev");
    const prodUp = await project.up("prod");
    const dev = await project.outputs("dev");
    const prod = await project.outputs("prod");
    expect(dev.fineTunedModel).not.toBe(prod.fineTunedModel);
    expect(dev.datasetHash).not.toBe(prod.datasetHash);
    const state = await emulator.state();
    expect(state.models.map((m) => m.id).sort()).toEqual([dev.fineTunedModel, prod.fineTunedModel].sort());
    const jobOf = (id: unknown) => state.jobs.find((j) => j.id === id);
    expect(jobOf(dev.jobId)?.metadata).toMatchObject({ pulumi_owner: "e2e/dev/model" });
    expect(jobOf(prod.jobId)?.metadata).toMatchObject({ pulumi_owner: "e2e/prod/model" });
    expect(jobOf(prod.jobId)?.hyperparameters.n_epochs).toBe(3);

    // The key was given only as a secret config value: it is nowhere in state or output.
    for (const text of [devUp.output, prodUp.output, await project.exportStack("dev"), await project.exportStack("prod")]) {
      expect(text).not.toContain(SECRET);
    }
    expect(await project.exportStack("dev")).toContain("openai-finetune:FineTunedModel");
  });

  it("fail a preview without a key, naming both ways to give one, with no API call", async () => {
    await project.initStack("nokey", { dataset: "data/dev.jsonl" });
    const before = (await emulator.state()).requests.total;
    const preview = await project.run(["preview", "--stack", "nokey"]);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/pulumi config set --secret openai:apiKey/);
    expect(preview.output).toMatch(/OPENAI_API_KEY/);
    expect((await emulator.state()).requests.total).toBe(before);
  });

  it("destroy of one stack leaves the other's model alone", async () => {
    const prod = await project.outputs("prod");
    await project.ok(["destroy", "--yes", "--stack", "dev"]);
    const state = await emulator.state();
    expect(state.models.map((m) => m.id)).toEqual([prod.fineTunedModel]);
  });
});

describe("a base model close to retirement", () => {
  it("is recorded at up, and every preview warns about it from state, with no API call", async () => {
    const project = new PulumiProject({ name: "retiring", program: PROGRAM, baseURL: emulator.baseURL, apiKey: SECRET, files: { "data/train.jsonl": chatDataset(12, "old") } });
    await project.initStack("dev", { dataset: "data/train.jsonl", baseModel: "gpt-4o-mini-2024-07-18" });
    await project.up("dev");
    const shutdown = (await emulator.client().models.retrieve("gpt-4o-mini-2024-07-18")) as { shutdown_date?: string };
    expect(shutdown.shutdown_date).toBe("2027-01-14");
    const before = (await emulator.state()).requests.total;
    // The provider's clock, fixed (OPENAI_FINETUNE_NOW), so the warning is the same whatever today is.
    const previewOn = (day: string) => project.run(["preview", "--expect-no-changes", "--stack", "dev"], { env: { OPENAI_FINETUNE_NOW: day } });
    const soon = await previewOn("2026-12-02");
    expect(soon.code).toBe(0);
    expect(soon.output).toContain("its base model gpt-4o-mini-2024-07-18 retires on 2027-01-14 (in 43 days); the fine-tuned model stops serving then");
    const after = await previewOn("2027-02-01");
    expect(after.code).toBe(0);
    expect(after.output).toContain("its base model gpt-4o-mini-2024-07-18 retired on 2027-01-14; the fine-tuned model stops serving then");
    const farAhead = await previewOn("2026-06-01");
    expect(farAhead.code).toBe(0);
    expect(farAhead.output).not.toContain("gpt-4o-mini-2024-07-18 retire");
    expect((await emulator.state()).requests.total).toBe(before);
    await project.ok(["destroy", "--yes", "--stack", "dev"]);
  });
});

describe("importing a job trained outside Pulumi", () => {
  it("refuses a job that was not trained as declared, creating nothing", async () => {
    const client = emulator.client();
    const file = await client.files.create({ file: new File([chatDataset(12, "other")], "other.jsonl"), purpose: "fine-tune" });
    const job = await client.fineTuning.jobs.create({ model: "gpt-4o-mini-2024-07-18", training_file: file.id, seed: 1, method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 2 } } } });
    const project = new PulumiProject({ name: "legacy", program: PROGRAM, baseURL: emulator.baseURL, apiKey: SECRET, files: { "data/other.jsonl": chatDataset(12, "other") } });
    await project.initStack("mismatch", { importJob: job.id, importFile: file.id, dataset: "data/other.jsonl", baseModel: "gpt-4o-mini-2024-07-18", suffix: "x", seed: "1", nEpochs: "5" });
    const jobs = (await emulator.state()).jobs.length;
    const up = await project.run(["up", "--stack", "mismatch"]);
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/was not trained as declared/);
    expect(up.output).toMatch(/hyperparameters.nEpochs: declared 5, the job has 2/);
    expect((await emulator.state()).jobs).toHaveLength(jobs);
  });

  it("adopts it with the arguments it was trained with, and then manages it", async () => {
    const client = emulator.client();
    const file = await client.files.create({ file: new File([chatDataset(12, "legacy")], "legacy.jsonl"), purpose: "fine-tune" });
    const job = await client.fineTuning.jobs.create({
      model: "gpt-4o-mini-2024-07-18",
      training_file: file.id,
      suffix: "legacy",
      seed: 42,
      method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 2, batch_size: 1, learning_rate_multiplier: 2 } } },
    });
    await waitForJob(client, job.id, ["succeeded"]);
    const done = await client.fineTuning.jobs.retrieve(job.id);

    const project = new PulumiProject({ name: "legacy", program: PROGRAM, baseURL: emulator.baseURL, apiKey: SECRET, files: { "data/legacy.jsonl": chatDataset(12, "legacy") } });
    const config = { importJob: job.id, importFile: file.id, dataset: "data/legacy.jsonl", baseModel: "gpt-4o-mini-2024-07-18", suffix: "legacy", seed: "42", nEpochs: "2" };
    await project.initStack("legacy", config);
    const before = await emulator.state();
    const up = await project.up("legacy");
    expect(up.output).toMatch(/importing job ftjob-\S+ \(succeeded\); nothing is trained/);
    const outputs = await project.outputs("legacy");
    expect(outputs).toMatchObject({ fineTunedModel: done.fine_tuned_model, jobId: job.id, trainingFileId: file.id });
    const after = await emulator.state();
    expect(after.jobs).toHaveLength(before.jobs.length);
    expect(after.files).toHaveLength(before.files.length);
    await project.ok(["preview", "--expect-no-changes", "--stack", "legacy"]);
    await project.ok(["refresh", "--yes", "--stack", "legacy"]);
    await project.ok(["preview", "--expect-no-changes", "--stack", "legacy"]);

    await project.ok(["destroy", "--yes", "--stack", "legacy"]);
    await expect(client.models.retrieve(String(done.fine_tuned_model))).rejects.toMatchObject({ status: 404 });
  });
});
