/**
 * examples/azure/ itself (transpiled, not copied), through the Automation API runner (the Pulumi
 * engine `pulumi up` runs) against the emulator as Azure: staging trains, deploys a Developer candidate
 * and gates it; prod deploys staging's model on Standard. Resource Manager deployments are created,
 * scaled in place, recreated after a Developer deployment expires, and none is left after destroy;
 * the preview refuses what Azure would, with no API call; no key or token reaches state or logs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { waitFor } from "../helpers/wait";

jest.setTimeout(900_000);

const ROOT = join(__dirname, "../..");
// The example is type-checked as strict TypeScript by typecheck.test.ts; its JavaScript output has lost the types.
const PROGRAM = "// @ts-nocheck\n" + ts.transpileModule(readFileSync(join(ROOT, "examples/azure/index.ts"), "utf8"), {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: false },
}).outputText;

const KEY = "azure-example-key-90c7e1d2b3a4";
const SUB = "00000000-0000-0000-0000-0000000000e2";
const STAGING = "organization/openai-finetune-azure/staging";
/** The emulator's Entra tokens are unsigned JWTs ending in `.emulator`: none may be stored or printed. */
const TOKEN = /eyJ[\w-]+\.[\w-]+\.emulator/;

let emulator: RunningEmulator;
let project: PulumiProject;
const logs: string[] = [];

const deployments = async () => (await emulator.state()).deployments.map((d) => ({ name: d.name, sku: d.sku, account: d.id.split("/")[8] }));
const chatCalls = async () => (await emulator.state()).requests.byRoute["POST /openai/v1/chat/completions"] ?? 0;
const run = async (args: string[]) => {
  const result = await project.ok(args);
  logs.push(result.output);
  return result;
};

async function stack(name: string, config: Record<string, string>) {
  await project.initStack(name, { subscriptionId: SUB, resourceGroup: "rg-ft", ...config });
  const set = (path: string, value: string, secret = false) => project.ok(["config", "set", "--stack", name, "--path", ...(secret ? ["--secret"] : []), `openai-finetune:connections.${path}`, value]);
  await set("azure.kind", "azure");
  await set("azure.azureEndpoint", emulator.azureEndpoint!);
  await set("azure.managementEndpoint", emulator.managementEndpoint!);
  await set("azure.apiKey", KEY, true);
}

beforeAll(async () => {
  // 24 simulated hours pass in ~22 s, 15 idle days in ~5 minutes: only the Developer tier expires here.
  emulator = await startEmulator({ flavor: "azure", timeScale: 4_000, apiKey: KEY });
  const training = chatDataset(12, "support");
  const held = training.split("\n").slice(0, 4).join("\n") + "\n";
  project = new PulumiProject({ name: "openai-finetune-azure", program: PROGRAM, baseURL: emulator.baseURL, files: { "data/train.jsonl": training, "data/eval.jsonl": held } });
  // Resource Manager takes only Entra tokens: DefaultAzureCredential finds the emulator's managed identity.
  Object.assign(project.env, { IDENTITY_ENDPOINT: `${emulator.url}/_emulator/identity`, IDENTITY_HEADER: "e2e" });
  await stack("staging", { role: "train", dataset: "data/train.jsonl", evalDataset: "data/eval.jsonl", account: "aoai-staging", nEpochs: "1" });
  await stack("prod", { role: "serve", sourceStack: STAGING, account: "aoai-prod", capacity: "1" });
});
afterAll(() => emulator?.stop());

describe("examples/azure: train and gate on Azure, serve in prod", () => {
  it("staging trains on Azure, deploys the candidate on Developer and gates it through the deployment", async () => {
    await run(["up", "--stack", "staging"]);
    const out = await project.outputs("staging");
    expect(out.fineTunedModel).toMatch(/^gpt-4\.1-mini-2025-04-14\.ft-[0-9a-f]{32}$/);
    expect(out.candidate).toMatch(/^support-candidate-[0-9a-f]{8}$/);
    expect(out.gatePassed).toBe(true);
    expect(await deployments()).toEqual([{ name: out.candidate, sku: { name: "developertier", capacity: 50 }, account: "aoai-staging" }]);
    // The gate's four answers came through the deployment (a fine-tune is not callable by its id on Azure).
    expect(await chatCalls()).toBe(4);
  });

  it("prod deploys staging's model on Standard from its own account, naming the source account", async () => {
    await run(["up", "--stack", "prod"]);
    const out = await project.outputs("prod");
    expect(out.servedModel).toMatch(/^support-[0-9a-f]{8}$/);
    expect(out.endpoint).toBe(emulator.azureEndpoint);
    const prod = (await emulator.state()).deployments.find((d) => d.name === out.servedModel)!;
    expect(prod.sku).toEqual({ name: "Standard", capacity: 1 });
    expect(prod.properties.model).toMatchObject({ name: (await project.outputs("staging")).fineTunedModel, source: `/subscriptions/${SUB}/resourceGroups/rg-ft/providers/Microsoft.CognitiveServices/accounts/aoai-staging` });
    await run(["preview", "--stack", "prod", "--expect-no-changes"]);
  });

  it("a new capacity is an in-place update of the same deployment", async () => {
    const name = (await project.outputs("prod")).servedModel;
    await project.ok(["config", "set", "--stack", "prod", "capacity", "3"]);
    expect(await project.plannedSteps("prod")).toMatchObject({ support: ["update"] });
    await run(["up", "--stack", "prod"]);
    expect((await project.outputs("prod")).servedModel).toBe(name);
    expect((await deployments()).filter((d) => d.account === "aoai-prod")).toEqual([{ name, sku: { name: "Standard", capacity: 3 }, account: "aoai-prod" }]);
  });

  it("an expired Developer deployment shows as deleted at refresh, and the next up deploys it again without re-evaluating", async () => {
    const candidate = (await project.outputs("staging")).candidate;
    await waitFor(async () => !(await deployments()).some((d) => d.name === candidate), "the Developer deployment to expire", 60_000, 500);
    const refresh = await run(["refresh", "--yes", "--stack", "staging"]);
    expect(refresh.output).toMatch(new RegExp(`deployment ${candidate} no longer exists on aoai-staging \\(a Developer deployment lives 24 hours`));
    expect(await project.plannedSteps("staging")).toMatchObject({ "support-candidate": ["update"] });
    const calls = await chatCalls();
    await run(["up", "--stack", "staging"]);
    expect((await deployments()).map((d) => d.name)).toContain(candidate);
    expect(await chatCalls()).toBe(calls);
    await run(["preview", "--stack", "staging", "--expect-no-changes"]);
  });

  it("refuses at preview, with no API call, a SKU and a deployment name Azure rejects", async () => {
    const before = (await emulator.state()).requests.total;
    const refusal = async (key: string, value: string) => {
      await project.ok(["config", "set", "--stack", "prod", key, value]);
      const preview = await project.run(["preview", "--stack", "prod"]);
      await project.ok(["config", "rm", "--stack", "prod", key]);
      expect(preview.code).not.toBe(0);
      return preview.output;
    };
    expect(await refusal("sku", "Basic")).toMatch(/azure\.sku\.name: Azure offers fine-tuned models on Standard, GlobalStandard, ProvisionedManaged, Developer, not "Basic"/);
    expect(await refusal("deploymentName", "support_")).toMatch(/azure\.deploymentName: Azure accepts 2-64 letters, digits, '_', '\.' and '-', starting with a letter or digit and not ending in '_' or '\.'/);
    expect((await emulator.state()).requests.total).toBe(before);
  });

  it("destroy leaves no deployment, deletes staging's model, and no key or token is in state or logs", async () => {
    const state = (await project.exportStack("staging")) + (await project.exportStack("prod"));
    await run(["destroy", "--yes", "--stack", "prod"]);
    await run(["destroy", "--yes", "--stack", "staging"]);
    const after = await emulator.state();
    expect(after.deployments).toEqual([]);
    expect(after.models).toEqual([]);
    for (const text of [state, ...logs]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toMatch(TOKEN);
    }
  });
});
