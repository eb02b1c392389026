/**
 * A failing ModelEvaluation blocks the ModelDeployment that depends on it, through the Automation API
 * runner: `up` fails, no deployment is recorded in state and no serving marker is written.
 */
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { PulumiProject } from "../helpers/pulumi";
import { heldOutJsonl, TOPICS, trainingJsonl } from "../provider/evaluation/support-data";

jest.setTimeout(600_000);

const PROGRAM = `
const { TrainingFile, FineTunedModel, ModelEvaluation, ModelDeployment } = require("pulumi-openai-finetune");
const data = new TrainingFile("data", { path: "data/train.jsonl" });
const model = new FineTunedModel("model", { baseModel: "gpt-4.1-mini-2025-04-14", trainingFile: data, hyperparameters: { nEpochs: 1 }, pollIntervalSeconds: 0.5 });
const gate = new ModelEvaluation("gate", { model, dataset: "data/eval.jsonl", graders: [{ type: "similar", threshold: 0.6 }], minPassRate: 0.8 });
new ModelDeployment("serve", { model, evaluation: gate });
`;

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 100 });
});
afterAll(() => emulator?.stop());

test("a failing gate fails up and no ModelDeployment is recorded or served", async () => {
  // The held-out answers disagree with what the model was trained on: it fails the gate.
  const wrong = TOPICS.map((t) => ({ ...t, answer: "Please call our phone line between nine and five." }));
  const p = new PulumiProject({ name: "gated-deploy", program: PROGRAM, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/train.jsonl": trainingJsonl(), "data/eval.jsonl": heldOutJsonl(wrong) } });
  await p.initStack("dev");
  const up = await p.run(["up", "--stack", "dev"]);
  expect(up.code).not.toBe(0);
  expect(up.output).toMatch(/gate: the evaluation gate failed for ft:[^:]+:emulator-org::\w+: pass rate 0.0% \(0\/10\) is below minPassRate 80.0%/);
  const state = JSON.parse(await p.exportStack("dev"));
  const urns: string[] = state.deployment.resources.map((r: { urn: string }) => r.urn);
  expect(urns.some((u) => u.endsWith("::gate"))).toBe(true);
  expect(urns.some((u) => u.endsWith("::serve"))).toBe(false);
  const files = (await emulator.state()).files.map((f) => f.filename);
  expect(files.filter((f) => f.startsWith("pulumi-serving."))).toEqual([]);
});

test("a passing gate serves the model, and the next preview of the unchanged program shows no change and makes no API call", async () => {
  const p = new PulumiProject({ name: "gated-pass", program: PROGRAM, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/train.jsonl": trainingJsonl(), "data/eval.jsonl": heldOutJsonl(TOPICS) } });
  await p.initStack("dev");
  await p.up("dev");
  // The gate's connection comes from the model's program value, not its `connection` output (absent from
  // state, so unknown at preview): otherwise every preview showed the gate and the deployment changing.
  const before = (await emulator.state()).requests.total;
  const preview = await p.ok(["preview", "--stack", "dev", "--expect-no-changes"]);
  expect(JSON.parse(/^STEPS (.*)$/m.exec(preview.stdout)?.[1] ?? "{}")).toMatchObject({ gate: ["same"], serve: ["same"] });
  expect((await emulator.state()).requests.total).toBe(before);
  await p.ok(["destroy", "--yes", "--stack", "dev"]);
});
