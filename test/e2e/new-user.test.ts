/**
 * What a new user hits first, through the Automation API runner (the same engine as the CLI) against
 * the emulator: cost caps that fail closed before anything is uploaded, previews that verify the key
 * and base model without paying, and no API call at all for a preview with nothing to change.
 */
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";

jest.setTimeout(600_000);

const KEY = "sk-new-user-test-3b9d";
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 200, apiKey: KEY });
});
afterAll(() => emulator?.stop());

/** One TrainingFile and one FineTunedModel, with the model's settings from stack config. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { TrainingFile, FineTunedModel } = require("pulumi-openai-finetune");
const config = new pulumi.Config();
const data = new TrainingFile("support-data", { path: "data/train.jsonl" });
const model = new FineTunedModel("support-model", {
  baseModel: config.require("baseModel"),
  trainingFile: data,
  hyperparameters: { nEpochs: 1, batchSize: config.getNumber("batchSize") },
  maxTrainingCostUsd: config.getNumber("cap"),
  pricePerMillionTokens: config.getNumber("price"),
  pollIntervalSeconds: 0.5,
});
exports.fineTunedModel = model.fineTunedModel;
`;

function project(name: string, apiKey = KEY, examples = 30, baseURL = emulator.baseURL): PulumiProject {
  return new PulumiProject({ name, program: PROGRAM, baseURL, apiKey, files: { "data/train.jsonl": chatDataset(examples, name) } });
}

describe("a cost cap with no price known", () => {
  it("fails an up without preview before any byte is uploaded, saying how to give a price", async () => {
    // gpt-5 is served by the emulator but not in the model facts: no price.
    const p = project("capnoprice");
    await p.initStack("dev", { baseModel: "gpt-5", cap: "5" });
    const up = await p.run(["up", "--stack", "dev"]);
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/support-data: uploading the training file: refused, nothing was uploaded/);
    expect(up.output).toMatch(/support-model: maxTrainingCostUsd is \$5\.00 but no training price is known for gpt-5/);
    expect(up.output).toMatch(/pricePerMillionTokens/);
    if (process.env.SHOW) console.log(up.output);
    expect(up.output).toMatch(/OPENAI_FINETUNE_PRICES/);
    const state = await emulator.state();
    expect(state.files).toHaveLength(0);
    expect(state.uploads).toHaveLength(0);
    expect(state.jobs).toHaveLength(0);
  });

  it("fails the preview on the model that sets it", async () => {
    const p = project("capnopricepreview");
    await p.initStack("dev", { baseModel: "gpt-5", cap: "5" });
    const preview = await p.run(["preview", "--stack", "dev"]);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/FineTunedModel resource 'support-model': property maxTrainingCostUsd value \{5\} has a problem: support-model: maxTrainingCostUsd is \$5\.00 but no training price is known for gpt-5/);
  });

  it("is enforced once a price is given", async () => {
    const p = project("capprice");
    // 30 short examples are a few thousand tokens: at $1,000,000 per 1M tokens far over a $1 cap.
    await p.initStack("dev", { baseModel: "gpt-5", cap: "1", price: "1000000" });
    const up = await p.run(["up", "--stack", "dev"]);
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/support-model: estimated training cost \$[\d.,]+ exceeds maxTrainingCostUsd \$1\.00/);
    expect((await emulator.state()).files).toHaveLength(0);
  });
});

describe("a preview that would train", () => {
  it("fails with a wrong key, naming the resource and what was refused", async () => {
    const p = project("wrongkey", "sk-wrong-key-0000");
    await p.initStack("dev", { baseModel: "gpt-4o-mini-2024-07-18" });
    const preview = await p.run(["preview", "--stack", "dev"]);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/support-model: checking the API key and base model gpt-4o-mini-2024-07-18 before training \(HTTP 401/);
    expect(preview.output).toMatch(/fix `openai:apiKey`/);
    expect(preview.output).not.toContain("sk-wrong-key-0000");
  });

  it("fails on a mistyped base model, suggesting the nearest known ids", async () => {
    const p = project("typo");
    await p.initStack("dev", { baseModel: "gpt-4.1-nano-2025-04-1", cap: "5" });
    const preview = await p.run(["preview", "--stack", "dev"]);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/gpt-4\.1-nano-2025-04-1 is neither served by this endpoint \(HTTP 404\) nor in the model facts: did you mean gpt-4\.1-nano-2025-04-14/);
    // The typo is the problem, not the cap it leaves without a price.
    expect(preview.output).not.toMatch(/no training price is known/);
  });

  it("makes one call to verify, and an unchanged stack's preview makes none", async () => {
    const p = project("noop");
    await p.initStack("dev", { baseModel: "gpt-4o-mini-2024-07-18", cap: "5" });
    const before = await emulator.state();
    await p.ok(["preview", "--stack", "dev"]);
    const after = await emulator.state();
    expect(after.requests.total - before.requests.total).toBe(1);
    const route = "GET /v1/models/{id}";
    expect((after.requests.byRoute[route] ?? 0) - (before.requests.byRoute[route] ?? 0)).toBe(1);

    await p.up("dev");
    const settled = (await emulator.state()).requests.total;
    await p.ok(["preview", "--expect-no-changes", "--stack", "dev"]);
    expect((await emulator.state()).requests.total).toBe(settled);
    await p.ok(["destroy", "--yes", "--stack", "dev"]);
  });
});

describe("a refresh that fails", () => {
  it("shows its error once, with the resource and the operation, and no stack trace", async () => {
    const p = project("refresherr");
    await p.initStack("dev", { baseModel: "gpt-4o-mini-2024-07-18" });
    await p.up("dev");
    const refresh = await p.run(["refresh", "--yes", "--stack", "dev"], { env: { OPENAI_API_KEY: "sk-wrong-key-1111" } });
    expect(refresh.code).not.toBe(0);
    // stdout is the CLI's own output (the runner repeats it on stderr when the command fails).
    const errors = refresh.stdout.split("\n").filter((line) => /error: /.test(line) && /HTTP 401/.test(line));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((line) => /(support-model: refreshing: reading fine-tuning job|support-data: refreshing: reading file) \S+ \(HTTP 401/.test(line))).toBe(true);
    // Each says nothing changed, then (the key being refused) what to run after a rotation.
    expect(errors.every((line) => line.includes("; the state is unchanged. the default connection: the API refused the key (HTTP 401)"))).toBe(true);
    expect(refresh.stdout).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(refresh.stdout).not.toContain("sk-wrong-key-1111");
    await p.ok(["destroy", "--yes", "--stack", "dev"]);
  });
});
