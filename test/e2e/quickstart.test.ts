/**
 * What the Pulumi engine decides, through the Automation API runner (the engine `pulumi up` runs): create, no perpetual diff, replace on new bytes
 * with the new model trained before the old one is deleted, no change for moved bytes, in-place updates
 * with no API call, refresh of out-of-band deletions, destroy.
 */
import { createHash } from "node:crypto";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { PROGRAM } from "./program";

jest.setTimeout(900_000);

let emulator: RunningEmulator;
let project: PulumiProject;
const STACK = "dev";

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 100 });
  project = new PulumiProject({ program: PROGRAM, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/train.jsonl": chatDataset(12) } });
  await project.initStack(STACK, { dataset: "data/train.jsonl" });
});
afterAll(() => emulator?.stop());

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("pulumi up of a TrainingFile and a FineTunedModel", () => {
  let first: Record<string, unknown>;

  it("creates the file and the model, shows training progress, and outputs what the API holds", async () => {
    const { output } = await project.up(STACK);
    expect(output).toMatch(/model: created fine-tuning job ftjob-/);
    expect(output).toMatch(/model: job ftjob-\S+ is (validating_files|queued|running)/);
    expect(output).toMatch(/model: job ftjob-\S+ is succeeded/);
    expect(output).toMatch(/model: step \d+/);
    first = await project.outputs(STACK);
    const state = await emulator.state();
    expect(state.files.filter((f) => f.purpose === "fine-tune").map((f) => f.id)).toEqual([first.trainingFileId]);
    expect(state.jobs.map((j) => j.id)).toEqual([first.jobId]);
    expect(state.models.map((m) => m.id)).toEqual([first.fineTunedModel]);
    expect(first).toMatchObject({ datasetHash: sha256(chatDataset(12)), trainingFileHash: sha256(chatDataset(12)), trainedTokens: state.jobs[0].trained_tokens });
  });

  it("has no perpetual diff, also after a refresh", async () => {
    await project.ok(["preview", "--expect-no-changes", "--stack", STACK]);
    await project.ok(["refresh", "--yes", "--skip-preview", "--stack", STACK]);
    await project.ok(["preview", "--expect-no-changes", "--stack", STACK]);
  });

  it("sees no change when the same bytes move to another path", async () => {
    project.write("moved/elsewhere.jsonl", chatDataset(12));
    await project.ok(["config", "set", "--stack", STACK, "dataset", "moved/elsewhere.jsonl"]);
    await project.ok(["preview", "--expect-no-changes", "--stack", STACK]);
  });

  it("updates waitTimeoutMinutes in place with zero API calls", async () => {
    await project.ok(["config", "set", "--stack", STACK, "waitTimeoutMinutes", "30"]);
    expect((await project.plannedSteps(STACK)).model).toEqual(["update"]);
    const before = (await emulator.state()).requests.total;
    await project.up(STACK);
    expect((await emulator.state()).requests.total).toBe(before);
    expect((await emulator.state()).jobs).toHaveLength(1);
  });

  it("replaces the model when nEpochs changes", async () => {
    await project.ok(["config", "set", "--stack", STACK, "nEpochs", "3"]);
    const steps = await project.plannedSteps(STACK);
    expect(steps.model).toContain("replace");
    expect(steps.data).toEqual(["same"]);
    await project.up(STACK);
    const state = await emulator.state();
    expect(state.models).toHaveLength(1);
    expect(state.jobs.filter((j) => j.status === "succeeded")).toHaveLength(2);
    first = await project.outputs(STACK);
  });

  it("retrains on new bytes: both replaced, the new model trained before the old one is deleted", async () => {
    project.write("moved/elsewhere.jsonl", chatDataset(14));
    const steps = await project.plannedSteps(STACK);
    expect(steps.data).toContain("replace");
    expect(steps.model).toContain("replace");
    await project.up(STACK);
    const now = await project.outputs(STACK);
    expect(now.fineTunedModel).not.toBe(first.fineTunedModel);
    expect(now.datasetHash).toBe(sha256(chatDataset(14)));
    const state = await emulator.state();
    expect(state.models.map((m) => m.id)).toEqual([now.fineTunedModel]);
    expect(state.files.filter((f) => f.purpose === "fine-tune").map((f) => f.id)).toEqual([now.trainingFileId]);
    const at = (action: string, id: unknown) => state.log.findIndex((e) => e.action === action && e.id === id);
    expect(at("model.created", now.fineTunedModel)).toBeGreaterThanOrEqual(0);
    expect(at("model.created", now.fineTunedModel)).toBeLessThan(at("model.deleted", first.fineTunedModel));
    first = now;
  });

  it("notices a model deleted out of band at refresh, and the next up trains again", async () => {
    await emulator.client().models.delete(String(first.fineTunedModel));
    const refresh = await project.ok(["refresh", "--yes", "--skip-preview", "--stack", STACK]);
    expect(refresh.output).toMatch(/was deleted outside Pulumi/);
    expect((await project.plannedSteps(STACK)).model).toContain("replace");
    const jobsBefore = (await emulator.state()).jobs.length;
    await project.up(STACK);
    const now = await project.outputs(STACK);
    const state = await emulator.state();
    expect(state.jobs).toHaveLength(jobsBefore + 1);
    expect(state.models.map((m) => m.id)).toEqual([now.fineTunedModel]);
  });

  it("destroy leaves none of the stack's files or models", async () => {
    await project.ok(["destroy", "--yes", "--skip-preview", "--stack", STACK]);
    const state = await emulator.state();
    expect(state.models).toEqual([]);
    expect(state.files).toEqual([]);
  });
});
