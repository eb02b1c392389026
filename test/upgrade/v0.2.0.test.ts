/**
 * Upgrading from v0.2.0 (built from its commit and packed, as its users installed it) is a non-event for a
 * stack holding all four resources: a TrainingFile, a FineTunedModel, a ModelEvaluation gating a
 * ModelDeployment. Straight after the upgrade (before any refresh) and after a refresh, the preview shows no
 * change and makes no API call; destroy cleans up. All through the Automation API runner (the Pulumi engine).
 */
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { V0_2_0, releaseTarball } from "../helpers/release";

jest.setTimeout(1_500_000);

const PROGRAM = `
const { TrainingFile, FineTunedModel, ModelDeployment, ModelEvaluation } = require("pulumi-openai-finetune");
const data = new TrainingFile("data", { path: "data/train.jsonl" });
const model = new FineTunedModel("model", { baseModel: "gpt-4o-mini-2024-07-18", trainingFile: data, hyperparameters: { nEpochs: 1 }, waitTimeoutMinutes: 10, pollIntervalSeconds: 0.5 });
const gate = new ModelEvaluation("gate", { model, dataset: "data/eval.jsonl", graders: [{ type: "similar", threshold: 0.3 }], minPassRate: 0.5 });
const serving = new ModelDeployment("serving", { model, evaluation: gate });
exports.served = serving.model;
exports.passRate = gate.passRate;
`;

const STACK = "dev";
const KEY = "sk-upgrade-v020-test-9f8e7d6c";
let emulator: RunningEmulator;
let project: PulumiProject;

async function storedVersions(): Promise<Record<string, unknown>> {
  const exported = JSON.parse(await project.exportStack(STACK)) as { deployment: { resources: { urn: string; type: string; outputs?: Record<string, unknown> }[] } };
  const ours = exported.deployment.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
  return Object.fromEntries(ours.map((r) => [r.urn.split("::").pop() as string, r.outputs?.__schemaVersion]));
}

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 500, apiKey: KEY });
  const training = chatDataset(12, "v2");
  const held = training.split("\n").slice(0, 4).join("\n") + "\n";
  project = new PulumiProject({ name: "upgrade-v020", program: PROGRAM, baseURL: emulator.baseURL, apiKey: KEY, tarball: releaseTarball(V0_2_0), files: { "data/train.jsonl": training, "data/eval.jsonl": held } });
  await project.initStack(STACK);
  await project.up(STACK);
});
afterAll(() => emulator?.stop());

describe("a stack of all four resources created by v0.2.0, through the Automation API runner", () => {
  it("holds v0.2.0's versioned state (the starting point this test is about)", async () => {
    expect(await storedVersions()).toEqual({ data: 2, model: 2, gate: 1, serving: 2 });
    expect((await project.outputs(STACK)).passRate).toBe(1);
  });

  it("previews no change straight after the package upgrade, before any refresh, with no API call", async () => {
    project.usePackage();
    const before = (await emulator.state()).requests.total;
    const steps = JSON.parse(/^STEPS (.*)$/m.exec((await project.ok(["preview", "--stack", STACK, "--expect-no-changes"])).stdout)?.[1] ?? "{}");
    expect({ data: steps.data, model: steps.model, gate: steps.gate, serving: steps.serving }).toEqual({ data: ["same"], model: ["same"], gate: ["same"], serving: ["same"] });
    expect((await emulator.state()).requests.total).toBe(before);
  });

  it("refreshes and still previews no change; destroy removes the model, its file and the serving marker", async () => {
    await project.ok(["refresh", "--stack", STACK]);
    await project.ok(["preview", "--stack", STACK, "--expect-no-changes"]);
    await project.ok(["destroy", "--stack", STACK]);
    const state = await emulator.state();
    expect(state.models).toEqual([]);
    expect(state.files).toEqual([]);
  });
});
