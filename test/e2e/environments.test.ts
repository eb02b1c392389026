/**
 * Environments through the Automation API runner (the Pulumi engine, file backend) against the emulator:
 * staging trains, prod serves staging's model through a ModelDeployment (StackReference or pinned id),
 * promotion and rollback are updates, and no stack's destroy breaks another.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { CLI, startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { listServing } from "../../provider/serving";
import { ENVIRONMENTS_PROGRAM } from "./environments-program";

jest.setTimeout(900_000);

let emulator: RunningEmulator;
let project: PulumiProject;
const STAGING = "organization/envs/staging";

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 100 });
  project = new PulumiProject({
    name: "envs",
    program: ENVIRONMENTS_PROGRAM,
    baseURL: emulator.baseURL,
    apiKey: emulator.apiKey,
    files: { "data/v1.jsonl": chatDataset(12, "v1"), "data/v2.jsonl": chatDataset(12, "v2") },
  });
  await project.initStack("staging", { role: "train", dataset: "data/v1.jsonl" });
  await project.initStack("prod", { role: "serve", sourceStack: STAGING });
});
afterAll(() => emulator?.stop());

async function models(args: string[] = []): Promise<Array<Record<string, unknown>>> {
  const env = { ...process.env, OPENAI_BASE_URL: emulator.baseURL, OPENAI_API_KEY: emulator.apiKey };
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, "models", "--json", ...args], { env });
  return JSON.parse(stdout);
}

const servedModels = async () => (await listServing(emulator.client())).map((m) => `${m.model} ${m.servedBy.project}/${m.servedBy.stack}/${m.servedBy.resource}`);

async function callable(model: string): Promise<boolean> {
  const reply = await emulator.client().chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
  return reply.choices.length > 0;
}

describe("promoting staging's model to prod", () => {
  let v1: string;
  let v2: string;

  it("serves staging's model in prod with no second job, with its lineage read from the API", async () => {
    await project.up("staging");
    const staging = await project.outputs("staging");
    v1 = staging.fineTunedModel as string;
    const up = await project.up("prod");
    expect(up.output).toMatch(/serving: serving ft:\S+ \(trained by envs\/staging\)/);
    const prod = await project.outputs("prod");
    const state = await emulator.state();
    expect(state.jobs).toHaveLength(1);
    expect(prod).toMatchObject({
      model: v1,
      jobId: staging.jobId,
      baseModel: "gpt-4o-mini-2024-07-18",
      trainingFileId: staging.trainingFileId,
      datasetHash: staging.datasetHash,
      owner: { project: "envs", stack: "staging", resource: "model" },
    });
    // Lineage is in the job itself: the dataset's bare sha256 hex beside the owner.
    expect(state.jobs[0]!.metadata).toMatchObject({ pulumi_owner: "envs/staging/model", pulumi_dataset: staging.datasetHash });
    expect(await servedModels()).toEqual([`${v1} envs/prod/serving`]);
  });

  it("lists every model with its owner, dataset hash and serving stacks in `openai-finetune models --json`", async () => {
    const client = emulator.client();
    const file = await client.files.create({ file: new File([chatDataset(12, "by hand")], "hand.jsonl"), purpose: "fine-tune" });
    const handJob = await client.fineTuning.jobs.create({ model: "gpt-4o-mini-2024-07-18", training_file: file.id });
    for (let job = handJob; job.status !== "succeeded"; job = await client.fineTuning.jobs.retrieve(handJob.id)) await new Promise((r) => setTimeout(r, 200));
    const hand = (await client.fineTuning.jobs.retrieve(handJob.id)).fine_tuned_model as string;
    const staging = await project.outputs("staging");
    const listed = await models();
    expect(listed.map((m) => m.id).sort()).toEqual([v1, hand].sort());
    const ours = listed.find((m) => m.id === v1)!;
    expect(Object.keys(ours).sort()).toEqual(
      ["id", "jobId", "baseModel", "status", "createdAt", "finishedAt", "trainedTokens", "datasetHash", "owner", "servedBy", "baseModelShutdownDate", "managed"].sort(),
    );
    expect(ours).toMatchObject({
      jobId: staging.jobId,
      baseModel: "gpt-4o-mini-2024-07-18",
      status: "succeeded",
      datasetHash: staging.datasetHash,
      owner: { project: "envs", stack: "staging", resource: "model" },
      servedBy: [{ project: "envs", stack: "prod", resource: "serving" }],
      managed: true,
    });
    expect(ours.trainedTokens).toEqual(expect.any(Number));
    expect(listed.find((m) => m.id === hand)).toMatchObject({ jobId: handJob.id, owner: null, servedBy: [], managed: false });
    // Filters: a serving stack, an owning stack, and a stack that has nothing.
    expect((await models(["--stack", "prod"])).map((m) => m.id)).toEqual([v1]);
    expect((await models(["--project", "envs", "--stack", "staging"])).map((m) => m.id)).toEqual([v1]);
    expect(await models(["--stack", "nowhere"])).toEqual([]);
    // On a terminal: a table, one row per model.
    const env = { ...process.env, OPENAI_BASE_URL: emulator.baseURL, OPENAI_API_KEY: emulator.apiKey };
    const table = (await promisify(execFile)(process.execPath, [CLI, "models"], { env })).stdout.split("\n");
    expect(table[0]).toMatch(/^MODEL +BASE +STATUS +OWNER +SERVED BY +DATASET +FINISHED \(UTC\) +BASE SHUTDOWN$/);
    expect(table.find((l) => l.startsWith(v1))).toMatch(/succeeded +envs\/staging +envs\/prod +[0-9a-f]{12} /);
    expect(table.find((l) => l.startsWith(hand))).toContain("unmanaged");
    await client.models.delete(hand);
  });

  it("keeps the served model when staging retrains, promotes the new one in place, and rolls back as an update", async () => {
    await project.ok(["config", "set", "--stack", "staging", "dataset", "data/v2.jsonl"]);
    const retrain = await project.up("staging");
    v2 = (await project.outputs("staging")).fineTunedModel as string;
    expect(v2).not.toBe(v1);
    expect(retrain.output).toContain(`kept model ${v1}: it is served by envs/prod (resource serving)`);
    expect((await emulator.state()).models.map((m) => m.id)).toEqual(expect.arrayContaining([v1, v2]));

    // Promotion: the StackReference now gives v2; an update, never a create or replace.
    expect((await project.plannedSteps("prod")).serving).toEqual(["update"]);
    const promote = await project.up("prod");
    expect(promote.output).toContain(`now serving ${v2} (was ${v1})`);
    expect((await project.outputs("prod")).model).toBe(v2);
    expect(await servedModels()).toEqual([`${v2} envs/prod/serving`]);

    // Rollback: the previous model pinned in prod's config, as a CI job would write it.
    await project.ok(["config", "set", "--stack", "prod", "pinnedModel", v1]);
    expect((await project.plannedSteps("prod")).serving).toEqual(["update"]);
    await project.up("prod");
    expect((await project.outputs("prod")).model).toBe(v1);
    expect(await servedModels()).toEqual([`${v1} envs/prod/serving`]);
    await project.ok(["config", "rm", "--stack", "prod", "pinnedModel"]);
    await project.up("prod");
    expect((await project.outputs("prod")).model).toBe(v2);
    expect((await emulator.state()).jobs).toHaveLength(3); // v1, the hand-made job, v2: no training for prod
  });

  it("leaves prod's model callable when staging is destroyed, and prod (holding the id) shows no change", async () => {
    // A prod that must outlive its source pins the id it serves before the source goes: no change.
    await project.ok(["config", "set", "--stack", "prod", "pinnedModel", v2]);
    await project.up("prod");
    // A second serving stack that still reads staging through a StackReference.
    await project.initStack("canary", { role: "serve", sourceStack: STAGING });
    await project.up("canary");

    const destroy = await project.ok(["destroy", "--yes", "--stack", "staging"]);
    expect(destroy.output).toContain(`kept model ${v2}: it is served by `);
    expect(destroy.output).toContain("envs/prod (resource serving)");
    expect(destroy.output).toContain("envs/canary (resource serving)");
    expect((await emulator.state()).models.map((m) => m.id)).toContain(v2);
    expect(await callable(v2)).toBe(true);
    await project.ok(["refresh", "--stack", "prod", "--expect-no-changes"]);
    await project.ok(["preview", "--stack", "prod", "--expect-no-changes"]);

    // The StackReference's output went with staging: the canary's preview says so instead of serving nothing.
    const canary = await project.run(["preview", "--stack", "canary"]);
    expect(canary.code).not.toBe(0);
    expect(canary.output).toContain("no model given (a StackReference output that the other stack does not export is undefined");
    await project.ok(["destroy", "--yes", "--stack", "canary"]);
    expect(await servedModels()).toEqual([`${v2} envs/prod/serving`]);
  });

  it("ends as the README says when the last stack holding the model is destroyed", async () => {
    // Still served: `models delete` refuses, naming the stack.
    const refused = await promisify(execFile)(process.execPath, [CLI, "models", "delete", v2], { env: { ...process.env, OPENAI_BASE_URL: emulator.baseURL, OPENAI_API_KEY: emulator.apiKey } }).catch((err) => err);
    expect(refused.code).not.toBe(0);
    expect(String(refused.stderr)).toContain("served by envs/prod (resource serving)");

    const destroy = await project.ok(["destroy", "--yes", "--stack", "prod"]);
    expect(destroy.output).toContain(`no longer serving ${v2}`);
    // The deployment never deletes a model: both kept models are left, listed as served by nobody.
    expect((await emulator.state()).models.map((m) => m.id).sort()).toEqual([v1, v2].sort());
    expect(await servedModels()).toEqual([]);
    const listed = await models();
    expect(listed.find((m) => m.id === v2)).toMatchObject({ owner: { project: "envs", stack: "staging", resource: "model" }, servedBy: [] });
    const env = { ...process.env, OPENAI_BASE_URL: emulator.baseURL, OPENAI_API_KEY: emulator.apiKey };
    for (const id of [v1, v2]) await promisify(execFile)(process.execPath, [CLI, "models", "delete", id], { env });
    expect((await emulator.state()).models).toEqual([]);
  });
});

describe("a stack that trains and serves its own models", () => {
  let solo: PulumiProject;

  beforeAll(async () => {
    solo = new PulumiProject({ name: "solo", program: ENVIRONMENTS_PROGRAM, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/train.jsonl": chatDataset(12, "solo") } });
    await solo.initStack("dev", { role: "solo", dataset: "data/train.jsonl" });
    await solo.up("dev");
  });

  it("shows no replace (nor update) downstream when only `metadata` changes, and says when it applies", async () => {
    await solo.ok(["config", "set", "--stack", "dev", "--path", "metadata.team", "search"]);
    const steps = await solo.plannedSteps("dev");
    expect(steps.model).toEqual(["same"]);
    expect(steps.tuned).toEqual(["same"]);
    expect(steps.serving).toEqual(["same"]);
    const preview = await solo.ok(["preview", "--stack", "dev", "--expect-no-changes"]);
    expect(preview.output).toMatch(/the API cannot change the metadata of existing job ftjob-\S+; the new metadata applies to the next training/);
    const up = await solo.up("dev", ["--expect-no-changes"]);
    expect(up.output).not.toMatch(/updated|replaced/);
  });

  it("deletes both models and its serving marker on destroy", async () => {
    const outputs = await solo.outputs("dev");
    expect(await servedModels()).toEqual([`${outputs.tunedModel} solo/dev/serving`]);
    await solo.ok(["destroy", "--yes", "--stack", "dev"]);
    const state = await emulator.state();
    expect(state.models.map((m) => m.id)).not.toContain(outputs.fineTunedModel);
    expect(state.models.map((m) => m.id)).not.toContain(outputs.tunedModel);
    expect(await servedModels()).toEqual([]);
  });
});

describe("importing another stack's job", () => {
  it("is refused with a pointer to ModelDeployment, and the importing stack's destroy deletes nothing of the owner", async () => {
    const owner = new PulumiProject({ name: "owner", program: ENVIRONMENTS_PROGRAM, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/train.jsonl": chatDataset(12, "owned") } });
    await owner.initStack("staging", { role: "train", dataset: "data/train.jsonl" });
    await owner.up("staging");
    const trained = await owner.outputs("staging");
    const thief = owner;
    await thief.initStack("prod", { role: "import", sourceStack: "organization/owner/staging", dataset: "data/train.jsonl" });
    const jobs = (await emulator.state()).jobs.length;
    const up = await thief.run(["up", "--stack", "prod"]);
    expect(up.code).not.toBe(0);
    expect(up.output).toContain(`job ${trained.jobId} belongs to owner/staging (resource model), so it is not imported`);
    expect(up.output).toContain(`new ModelDeployment("…", { model: "${trained.fineTunedModel}" })`);
    expect((await emulator.state()).jobs).toHaveLength(jobs);

    await thief.ok(["destroy", "--yes", "--stack", "prod"]);
    const state = await emulator.state();
    expect(state.models.map((m) => m.id)).toContain(trained.fineTunedModel);
    expect(state.files.map((f) => f.id)).toContain(trained.trainingFileId);
    await owner.ok(["destroy", "--yes", "--stack", "staging"]);
  });

  it("accepts a job whose training file holds the same bytes under another file id", async () => {
    const client = emulator.client();
    const bytes = chatDataset(12, "same bytes");
    const first = await client.files.create({ file: new File([bytes], "first.jsonl"), purpose: "fine-tune" });
    const job = await client.fineTuning.jobs.create({ model: "gpt-4o-mini-2024-07-18", training_file: first.id, method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 1 } } } });
    for (let j = job; j.status !== "succeeded"; j = await client.fineTuning.jobs.retrieve(job.id)) await new Promise((r) => setTimeout(r, 200));
    const legacy = new PulumiProject({ name: "reupload", program: IMPORT_BY_ID, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/train.jsonl": bytes } });
    await legacy.initStack("dev", { importJob: job.id });
    const up = await legacy.up("dev");
    expect(up.output).toContain(`importing job ${job.id}`);
    const outputs = await legacy.outputs("dev");
    expect(outputs.trainingFileId).not.toBe(first.id);
    expect(outputs.fineTunedModel).toBe((await client.fineTuning.jobs.retrieve(job.id)).fine_tuned_model);
    await legacy.ok(["preview", "--stack", "dev", "--expect-no-changes"]);
  });
});

/** A fresh upload of the same bytes (a new file id) and the job trained on the first upload. */
const IMPORT_BY_ID = `
const pulumi = require("@pulumi/pulumi");
const { TrainingFile, FineTunedModel } = require("pulumi-openai-finetune");
const config = new pulumi.Config();
const data = new TrainingFile("data", { path: "data/train.jsonl" });
const model = new FineTunedModel("model", { baseModel: "gpt-4o-mini-2024-07-18", trainingFile: data, hyperparameters: { nEpochs: 1 }, importJobId: config.require("importJob") });
exports.fineTunedModel = model.fineTunedModel;
exports.trainingFileId = data.id;
`;

describe("bad input to ModelDeployment", () => {
  let bad: PulumiProject;

  beforeAll(async () => {
    bad = new PulumiProject({ name: "bad", program: ENVIRONMENTS_PROGRAM, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/train.jsonl": chatDataset(12, "bad") } });
  });

  it("refuses a model that does not exist at create, recording nothing", async () => {
    const missing = "ft:gpt-4o-mini-2024-07-18:emulator-org:nothing:deadbeef";
    await bad.initStack("missing", { role: "serve", pinnedModel: missing, sourceStack: STAGING });
    const up = await bad.run(["up", "--stack", "missing"]);
    expect(up.code).not.toBe(0);
    expect(up.output).toContain(`serving: create: model ${missing} does not exist (never trained, or deleted): nothing is served or recorded`);
    expect((await servedModels()).filter((m) => m.startsWith(missing))).toEqual([]);
    expect(await bad.exportStack("missing")).not.toContain("ModelDeployment");
  });

  it("refuses a deleted model at create, and refresh notices a model deleted while served", async () => {
    const client = emulator.client();
    const file = await client.files.create({ file: new File([chatDataset(12, "gone")], "gone.jsonl"), purpose: "fine-tune" });
    const job = await client.fineTuning.jobs.create({ model: "gpt-4o-mini-2024-07-18", training_file: file.id });
    for (let j = job; j.status !== "succeeded"; j = await client.fineTuning.jobs.retrieve(job.id)) await new Promise((r) => setTimeout(r, 200));
    const model = (await client.fineTuning.jobs.retrieve(job.id)).fine_tuned_model as string;
    await bad.initStack("deleted", { role: "serve", pinnedModel: model, sourceStack: STAGING });
    await bad.up("deleted");
    expect((await bad.outputs("deleted")).owner).toBeNull();
    await client.models.delete(model);
    const refresh = await bad.ok(["refresh", "--stack", "deleted"]);
    expect(refresh.output).toContain(`model ${model} was deleted: this stack serves nothing`);
    const up = await bad.run(["up", "--stack", "deleted"]);
    expect(up.code).not.toBe(0);
    expect(up.output).toContain(`model ${model} does not exist (never trained, or deleted)`);
    await bad.ok(["destroy", "--yes", "--stack", "deleted"]);

    await bad.initStack("deleted2", { role: "serve", pinnedModel: model, sourceStack: STAGING });
    const create = await bad.run(["up", "--stack", "deleted2"]);
    expect(create.code).not.toBe(0);
    expect(create.output).toContain(`serving: create: model ${model} does not exist`);
    expect((await servedModels()).filter((m) => m.startsWith(model))).toEqual([]);
  });

  it("refuses a base model id at preview, with no API call", async () => {
    await bad.initStack("base", { role: "serve", pinnedModel: "gpt-4o-mini-2024-07-18", sourceStack: STAGING });
    const before = (await emulator.state()).requests.total;
    const preview = await bad.run(["preview", "--stack", "base"]);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toContain("gpt-4o-mini-2024-07-18 is a base model, not a fine-tuned one");
    expect((await emulator.state()).requests.total).toBe(before);
  });

  it("refuses to serve a model whose evaluation failed, or judged another model, at preview", async () => {
    const model = "ft:gpt-4o-mini-2024-07-18:emulator-org:candidate:abc123";
    await bad.initStack("failed-gate", { role: "serve", pinnedModel: model, sourceStack: STAGING });
    await bad.ok(["config", "set", "--stack", "failed-gate", "--path", "evaluation.passed", "false"]);
    await bad.ok(["config", "set", "--stack", "failed-gate", "--path", "evaluation.name", "gate"]);
    const failed = await bad.run(["preview", "--stack", "failed-gate"]);
    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain(`evaluation gate of ${model} did not pass: ${model} is not served`);
    await bad.ok(["config", "set", "--stack", "failed-gate", "--path", "evaluation.passed", "true"]);
    await bad.ok(["config", "set", "--stack", "failed-gate", "--path", "evaluation.model", "ft:gpt-4o-mini-2024-07-18:emulator-org:other:def456"]);
    const other = await bad.run(["preview", "--stack", "failed-gate"]);
    expect(other.code).not.toBe(0);
    expect(other.output).toContain(`evaluation gate judged ft:gpt-4o-mini-2024-07-18:emulator-org:other:def456, not ${model}`);
  });

  it("previews a StackReference output unknown at preview without failing", async () => {
    await bad.initStack("unknown", { role: "unknown", dataset: "data/train.jsonl", sourceStack: "organization/bad/missing" });
    const steps = await bad.plannedSteps("unknown");
    expect(steps.serving).toEqual(["create"]);
  });
});
