/**
 * The ModelEvaluation gate through the Automation API runner (the Pulumi engine decides create, update,
 * partial state and what depends on a failed resource), against the emulator: train, evaluate on
 * held-out questions, skip an unchanged evaluation, re-run on new data, and refuse a failing model.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { PulumiProject } from "../helpers/pulumi";
import { heldOutJsonl, TOPICS, trainingJsonl } from "../provider/evaluation/support-data";

jest.setTimeout(900_000);

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { TrainingFile, FineTunedModel, ModelEvaluation } = require("pulumi-openai-finetune");
const config = new pulumi.Config();

/** @type {import("pulumi-openai-finetune").EvaluatedModel} */
let model = config.get("modelId") || "";
if (!model) {
  const data = new TrainingFile("data", { path: "data/train.jsonl" });
  model = new FineTunedModel("model", {
    baseModel: "gpt-4.1-mini-2025-04-14",
    trainingFile: data,
    hyperparameters: { nEpochs: 1 },
    pollIntervalSeconds: 0.5,
  });
}
const gate = new ModelEvaluation("gate", {
  model: config.get("evalModel") || model,
  dataset: config.get("evalData") || "data/eval.jsonl",
  graders: JSON.parse(config.get("graders") || '[{"type":"similar","threshold":0.6}]'),
  minPassRate: Number(config.get("minPassRate") || "0.8"),
  concurrency: config.getNumber("concurrency") || 8,
});
// Stands for what serves the model: it must not be created when the gate fails.
new TrainingFile("after-gate", { path: "data/train.jsonl", filename: "after-gate.jsonl" }, { dependsOn: [gate] });
exports.passed = gate.passed;
exports.passRate = gate.passRate;
exports.counts = gate.counts;
exports.reportPath = gate.reportPath;
exports.model = gate.model;
`;

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 100 });
});
afterAll(() => emulator?.stop());

const chatCalls = async () => (await emulator.state()).requests.byRoute["POST /v1/chat/completions"] ?? 0;
const apiCalls = async () => (await emulator.state()).requests.total;

function project(): PulumiProject {
  return new PulumiProject({
    name: "gated",
    program: PROGRAM,
    baseURL: emulator.baseURL,
    apiKey: emulator.apiKey,
    files: { "data/train.jsonl": trainingJsonl(), "data/eval.jsonl": heldOutJsonl() },
  });
}

describe("a gate on a model trained in the same stack", () => {
  let p: PulumiProject;
  beforeAll(async () => {
    p = project();
    await p.initStack("dev");
  });

  it("previews the number of examples and the estimated cost with no chat call", async () => {
    const preview = await p.ok(["preview", "--stack", "dev"]);
    expect(preview.output).toMatch(/gate: will evaluate the model on 10 examples, 10 chat requests, ~\d+ prompt \+ ~\d+ completion tokens, cost unknown/);
    expect(await chatCalls()).toBe(0);
  });

  it("evaluates at the first up, passes, and writes the report next to the project", async () => {
    await p.up("dev");
    const out = await p.outputs("dev");
    expect(out).toMatchObject({ passed: true, passRate: 1, counts: { total: 10, passed: 10, failed: 0, errored: 0 } });
    expect(await chatCalls()).toBe(TOPICS.length);
    expect(out.reportPath).toBe(join(p.dir, ".openai-finetune/evaluations/gate.json"));
    const report = JSON.parse(readFileSync(out.reportPath as string, "utf8"));
    for (const key of ["model", "passed", "passRate", "meanScore", "counts", "graders", "baselineResult", "delta", "usage", "failures", "createdAt"]) {
      expect(report).toHaveProperty(key);
    }
    expect(report.model).toBe(out.model);
    expect(existsSync(join(p.dir, ".openai-finetune/evaluations/gate.md"))).toBe(true);
    expect((await emulator.state()).files.map((f) => f.filename).some((n) => n.startsWith("after-gate"))).toBe(true);
  });

  it("does not evaluate again at the next up, nor when only the concurrency changes", async () => {
    const before = await chatCalls();
    await p.ok(["up", "--stack", "dev", "--expect-no-changes"]);
    expect(await chatCalls()).toBe(before);
    await p.ok(["config", "set", "--stack", "dev", "concurrency", "2"]);
    expect((await p.plannedSteps("dev")).gate).toEqual(["update"]);
    await p.up("dev");
    expect(await chatCalls()).toBe(before);
  });

  it("evaluates again when the dataset's bytes change", async () => {
    const before = await chatCalls();
    p.write("data/eval.jsonl", heldOutJsonl(TOPICS.slice(0, 6)));
    await p.up("dev");
    expect(await chatCalls()).toBe(before + 6);
    expect((await p.outputs("dev")).counts).toEqual({ total: 6, passed: 6, failed: 0, errored: 0 });
  });
});

describe("a failing gate", () => {
  let p: PulumiProject;
  beforeAll(async () => {
    p = project();
    await p.initStack("base", { modelId: "gpt-4.1-mini-2025-04-14" });
  });

  it("fails up naming minPassRate, the threshold, the pass rate and the worst examples, and nothing depending on it is created", async () => {
    const filesBefore = (await emulator.state()).files.length;
    const up = await p.run(["up", "--stack", "base"]);
    expect(up.code).not.toBe(0);
    expect(up.output).toContain("gate: the evaluation gate failed for gpt-4.1-mini-2025-04-14: pass rate 0.0% (0/10) is below minPassRate 80.0%");
    expect(up.output).toMatch(/worst examples:\s+line \d+: "[^"]+" expected "[^"]*Console/);
    expect(up.output).toMatch(/similar>=0.6: similarity 0\.\d\d \(threshold 0.6\)/);
    expect(up.output).toContain(join(p.dir, ".openai-finetune/evaluations/gate.json"));
    expect((await emulator.state()).files.length).toBe(filesBefore);
    const state = JSON.parse(await p.exportStack("base"));
    const gate = state.deployment.resources.find((r: { urn: string }) => r.urn.endsWith("::gate"));
    expect(gate.outputs).toMatchObject({ passed: false, passRate: 0 });
    expect(gate.initErrors?.[0]).toContain("minPassRate");
    expect(state.deployment.resources.some((r: { urn: string }) => r.urn.endsWith("::after-gate"))).toBe(false);
  });

  it("fails the next up again from state, without paying for the same evaluation", async () => {
    const before = await chatCalls();
    const up = await p.run(["up", "--stack", "base"]);
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/gate: the evaluation gate failed for gpt-4.1-mini-2025-04-14 and nothing that defines it changed, so it is not run again: pass rate 0.0% \(0\/10\) is below minPassRate 80.0%/);
    expect(await chatCalls()).toBe(before);
  });

  it("passes once the threshold allows it, evaluating again", async () => {
    await p.ok(["config", "set", "--stack", "base", "minPassRate", "0"]);
    const before = await chatCalls();
    await p.up("base");
    expect(await chatCalls()).toBe(before + TOPICS.length);
    expect((await p.outputs("base")).passed).toBe(true);
  });
});

describe("bad input is refused at preview with no API call", () => {
  let p: PulumiProject;
  beforeAll(async () => {
    p = project();
    p.write("data/no-final.jsonl", heldOutJsonl().replace(/\n$/, "\n") + JSON.stringify({ messages: [{ role: "user", content: "q" }, { role: "assistant", content: "a" }, { role: "user", content: "more?" }] }) + "\n");
    await p.initStack("bad", { modelId: "ft:gpt-4.1-mini-2025-04-14:emulator-org:support:abcdefgh" });
  });

  it.each([
    ["an eval dataset without a final assistant message", { evalData: "data/no-final.jsonl" }, /line 11: the last message must be the assistant's reference answer \(it is a 'user' message\)/],
    ["an unknown grader", { graders: '[{"type":"semantic-equals"}]' }, /graders\[0\]\.type: unknown grader type "semantic-equals"/],
    ["a regex that does not compile", { graders: '[{"type":"regex","value":"(unclosed"}]' }, /graders\[0\] \(regex\): the pattern "\(unclosed" does not compile/],
    ["a JSON schema that is not valid", { graders: '[{"type":"is-json","schema":{"type":"nonsense"}}]' }, /graders\[0\] \(is-json\): the JSON schema is not valid/],
    ["minPassRate outside 0..1", { minPassRate: "1.5" }, /minPassRate must be from 0 to 1/],
  ])("%s", async (_what, config, message) => {
    for (const [key, value] of Object.entries(config)) await p.ok(["config", "set", "--stack", "bad", key, value]);
    const before = await apiCalls();
    const preview = await p.run(["preview", "--stack", "bad"]);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(message);
    expect(await apiCalls()).toBe(before);
    for (const key of Object.keys(config)) await p.ok(["config", "rm", "--stack", "bad", key]);
  });
});
