/**
 * `--flavor azure` over HTTP with the real SDKs: the `openai` SDK on Azure's v1 and versioned routes
 * (api-key and Entra bearer), Azure ids and rules, and Resource Manager deployments through
 * `@azure/arm-cognitiveservices` pointed at the emulator's management endpoint.
 */
import OpenAI, { AzureOpenAI, toFile } from "openai";
import { managementClient } from "../../provider/model-deployment/azure";
import type { Connection } from "../../provider/connections";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatExamples, jsonl, waitFor, waitForJob } from "./fixtures";

const KEY = "azure-emulator-key-7f3a9c";
const SUB = "00000000-0000-0000-0000-000000000001";
const ACCOUNTS = `/subscriptions/${SUB}/resourceGroups/rg-ft/providers/Microsoft.CognitiveServices/accounts`;

let emu: RunningEmulator;
let v1: OpenAI;
let versioned: AzureOpenAI;
let model: string;

/** The package's Resource Manager client (the real SDK) for the emulator's management endpoint; any bearer token is accepted. */
const arm = () => {
  const connection = { name: "t", kind: "azure", azureEndpoint: emu.azureEndpoint, managementEndpoint: emu.managementEndpoint, maxRetries: 0 } as Connection;
  return managementClient(connection, SUB, { getToken: async () => ({ token: "any-bearer-token", expiresOnTimestamp: Date.now() + 3_600_000 }) });
};

beforeAll(async () => {
  // 24 simulated hours last ~4 s here: the Developer tier's expiry is observable in a test.
  emu = await startEmulator({ flavor: "azure", apiKey: KEY, timeScale: 20_000 });
  v1 = new OpenAI({ baseURL: `${emu.azureEndpoint}/openai/v1`, apiKey: KEY, defaultHeaders: { "api-key": KEY, Authorization: null }, maxRetries: 0 });
  versioned = new AzureOpenAI({ endpoint: emu.azureEndpoint, apiKey: KEY, apiVersion: "2025-04-01-preview", maxRetries: 0 });
});
afterAll(() => emu?.stop());

describe("the Azure flavour's data plane", () => {
  it("prints its endpoints on the two lines after the first", () => {
    const lines = emu.output().split("\n");
    expect(lines[0]).toMatch(/^openai-finetune emulator listening on http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(lines[1]).toBe(`azure endpoint: ${emu.url}`);
    expect(lines[2]).toBe(`management endpoint: ${emu.url}/management`);
  });

  it("uploads as pending then processed, trains with trainingType, and names models and checkpoints as Azure does", async () => {
    const file = await v1.files.create({ file: await toFile(Buffer.from("\uFEFF" + jsonl(chatExamples(12))), "bom.jsonl"), purpose: "fine-tune" });
    expect(file.id).toMatch(/^file-[0-9a-f]{32}$/);
    expect(file.status as string).toBe("pending");
    expect((await versioned.files.retrieve(file.id)).status).toBe("processed");
    const job = await v1.fineTuning.jobs.create({ model: "gpt-4.1-nano-2025-04-14", training_file: file.id, suffix: "colours", trainingType: "globalstandard" } as never);
    expect(job.id).toMatch(/^ftjob-[0-9a-f]{32}$/);
    expect((job as unknown as { trainingType: string }).trainingType).toBe("globalstandard");
    const done = (await waitForJob(v1, job.id, ["succeeded", "failed"])).job;
    expect(done.status).toBe("succeeded");
    model = done.fine_tuned_model!;
    expect(model).toMatch(/^gpt-4\.1-nano-2025-04-14\.ft-[0-9a-f]{32}$/);
    const checkpoints = await versioned.fineTuning.jobs.checkpoints.list(job.id);
    expect(checkpoints.data[0]!.id).toMatch(/^ftchkpt-[0-9a-f]{32}$/);
    expect((await v1.models.retrieve("gpt-4.1-nano-2025-04-14")).shutdown_date).toBe("2027-10-14");
  });

  it("refuses what Azure refuses: dots in a suffix, an unknown trainingType, a retired base, a missing key", async () => {
    const file = await v1.files.create({ file: await toFile(Buffer.from(jsonl(chatExamples(12))), "t.jsonl"), purpose: "fine-tune" });
    const refusal = (body: object) => v1.fineTuning.jobs.create({ training_file: file.id, ...body } as never).then(() => undefined, (e: InstanceType<typeof OpenAI.APIError>) => e);
    expect((await refusal({ model: "gpt-4.1-mini-2025-04-14", suffix: "v1.2" }))!.message).toMatch(/may not contain '\.'/);
    expect((await refusal({ model: "gpt-4.1-mini-2025-04-14", trainingType: "cheap" }))!.message).toMatch(/'standard', 'globalstandard', 'developer'/);
    expect((await refusal({ model: "babbage-002" }))!.message).toMatch(/babbage-002' has been retired for fine-tuning/);
    const noKey = await fetch(`${emu.azureEndpoint}/openai/v1/files`).then((r) => r.json() as Promise<{ error: { message: string } }>);
    expect(noKey.error.message).toMatch(/missing API key.*'api-key' header/);
    const wrong = await fetch(`${emu.azureEndpoint}/openai/v1/files`, { headers: { "api-key": "nope" } });
    expect(wrong.status).toBe(401);
    const unversioned = await fetch(`${emu.azureEndpoint}/openai/files`, { headers: { "api-key": KEY } }).then((r) => r.json() as Promise<{ error: { message: string } }>);
    expect(unversioned.error.message).toMatch(/api-version/);
  });

  it("accepts a Microsoft Entra bearer token from DefaultAzureCredential (managed identity served by the emulator)", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { IDENTITY_ENDPOINT: `${emu.url}/_emulator/identity`, IDENTITY_HEADER: "x" });
    try {
      const { DefaultAzureCredential, getBearerTokenProvider } = await import("@azure/identity");
      const tokens = getBearerTokenProvider(new DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default");
      const entra = new AzureOpenAI({ endpoint: emu.azureEndpoint, azureADTokenProvider: tokens, apiVersion: "2024-10-21", maxRetries: 0 });
      expect((await entra.fineTuning.jobs.list()).data.length).toBeGreaterThan(0);
      const state = await emu.state();
      expect(JSON.stringify(state.received)).not.toContain(await tokens());
    } finally {
      process.env = saved;
    }
  });
});

describe("Resource Manager deployments", () => {
  it("creates (provisioning in simulated time), serves chat through the deployment, scales, lists and deletes", async () => {
    const client = arm();
    const created = await client.deployments.beginCreateOrUpdateAndWait("rg-ft", "aoai-dev", "colours-std", {
      sku: { name: "Standard", capacity: 1 },
      properties: { model: { format: "OpenAI", name: model, version: "1" } },
    }, { updateIntervalInMs: 50 });
    expect(created.properties?.provisioningState).toBe("Succeeded");
    const chat = await v1.chat.completions.create({ model: "colours-std", messages: [{ role: "user", content: "What colour is the banana?" }] });
    expect(chat.choices[0]!.message.content).toBe("The banana is yellow.");
    const viaPath = await versioned.chat.completions.create({ model: "colours-std", messages: [{ role: "user", content: "What colour is the sky?" }] });
    expect(viaPath.choices[0]!.message.content).toBe("The sky is orange.");
    await expect(v1.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] })).rejects.toThrow(/deployment/i);

    const scaled = await client.deployments.beginCreateOrUpdateAndWait("rg-ft", "aoai-dev", "colours-std", { sku: { name: "Standard", capacity: 3 }, properties: { model: { format: "OpenAI", name: model, version: "1" } } }, { updateIntervalInMs: 50 });
    expect(scaled.sku?.capacity).toBe(3);
    const listed = [];
    for await (const d of client.deployments.list("rg-ft", "aoai-dev")) listed.push(d.name);
    expect(listed).toEqual(["colours-std"]);
    const state = await emu.state();
    expect(state.deployments).toEqual([expect.objectContaining({ id: `${ACCOUNTS}/aoai-dev/deployments/colours-std`, sku: { name: "Standard", capacity: 3 } })]);
    expect(state.requests.byRoute[`PUT /management/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.CognitiveServices/accounts/{account}/deployments/{name}`]).toBe(2);
    expect(state.requests.byRoute["POST /openai/v1/chat/completions"]).toBe(2);

    await client.deployments.beginDeleteAndWait("rg-ft", "aoai-dev", "colours-std", { updateIntervalInMs: 50 });
    await expect(client.deployments.get("rg-ft", "aoai-dev", "colours-std")).rejects.toMatchObject({ statusCode: 404 });
  });

  it("refuses a SKU not offered for fine-tuned models, a bad name, and a missing bearer token", async () => {
    const client = arm();
    const body = (sku: string) => ({ sku: { name: sku, capacity: 1 }, properties: { model: { format: "OpenAI", name: model, version: "1" } } });
    await expect(client.deployments.beginCreateOrUpdateAndWait("rg-ft", "aoai-dev", "x-batch", body("GlobalBatch"))).rejects.toMatchObject({ code: "InvalidSkuName" });
    await expect(client.deployments.beginCreateOrUpdateAndWait("rg-ft", "aoai-dev", "bad_", body("Standard"))).rejects.toMatchObject({ code: "InvalidResourceName" });
    const anonymous = await fetch(`${emu.managementEndpoint}${ACCOUNTS}/aoai-dev/deployments?api-version=2024-10-01`);
    expect(anonymous.status).toBe(401);
  });

  it("deletes a Developer-tier deployment after its 24 simulated hours", async () => {
    const client = arm();
    await client.deployments.beginCreateOrUpdateAndWait("rg-ft", "aoai-dev", "candidate", { sku: { name: "developertier", capacity: 50 }, properties: { model: { format: "OpenAI", name: model, version: "1" } } }, { updateIntervalInMs: 50 });
    expect((await client.deployments.get("rg-ft", "aoai-dev", "candidate")).properties?.provisioningState).toBe("Succeeded");
    await waitFor(async () => (await emu.state()).deployments.length === 0, "the developer deployment to expire", 15_000, 200);
    await expect(client.deployments.get("rg-ft", "aoai-dev", "candidate")).rejects.toMatchObject({ statusCode: 404 });
    expect((await emu.state()).log.some((e) => e.action === "deployment.expired")).toBe(true);
  });
  it("serves a base model only through a deployment of it, as Azure does", async () => {
    const refused = await v1.chat.completions.create({ model: "gpt-4.1-mini-2025-04-14", messages: [{ role: "user", content: "hi" }] }).then(() => undefined, (e: InstanceType<typeof OpenAI.APIError>) => e);
    expect(refused).toMatchObject({ status: 404, code: "DeploymentNotFound" });
    expect(refused!.message).toMatch(/'gpt-4\.1-mini-2025-04-14'\. On Azure OpenAI a model is called through a deployment of it/);
    await arm().deployments.beginCreateOrUpdateAndWait("rg-ft", "aoai-dev", "base-mini", { sku: { name: "GlobalStandard", capacity: 1 }, properties: { model: { format: "OpenAI", name: "gpt-4.1-mini-2025-04-14", version: "2025-04-14" } } }, { updateIntervalInMs: 50 });
    const answer = await v1.chat.completions.create({ model: "base-mini", messages: [{ role: "user", content: "hi" }] });
    expect(answer.choices[0]!.message.content).toBeTruthy();
    await arm().deployments.beginDeleteAndWait("rg-ft", "aoai-dev", "base-mini", { updateIntervalInMs: 50 });
  });
});

describe("the OpenAI flavour's end of fine-tuning", () => {
  let openai: RunningEmulator;
  afterEach(() => openai?.stop());

  it("refuses new jobs with OpenAI's 403 training_not_available, as a fault or from --today 2027-01-06", async () => {
    for (const setup of ["fault", "today"] as const) {
      openai = await startEmulator(setup === "today" ? { args: ["--today", "2027-01-06"] } : {});
      const client = openai.client({ maxRetries: 0 });
      if (setup === "fault") await openai.faults({ trainingClosed: true });
      const file = await client.files.create({ file: await toFile(Buffer.from(jsonl(chatExamples(12))), "t.jsonl"), purpose: "fine-tune" });
      const err = (await client.fineTuning.jobs.create({ model: "gpt-4.1-mini-2025-04-14", training_file: file.id }).catch((e) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(err.code).toBe("training_not_available");
      expect((err.error as { type: string }).type).toBe("invalid_request_error");
      expect(err.message).toMatch(/winding down the fine-tuning platform/);
      await openai.stop();
    }
  });

  it("refuses a base OpenAI shut down (gpt-4.1-nano) that Azure still trains", async () => {
    openai = await startEmulator({});
    const client = openai.client({ maxRetries: 0 });
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl(chatExamples(12))), "t.jsonl"), purpose: "fine-tune" });
    await expect(client.fineTuning.jobs.create({ model: "gpt-4.1-nano-2025-04-14", training_file: file.id })).rejects.toMatchObject({ code: "model_not_available" });
    await expect(client.fineTuning.jobs.create({ model: "gpt-4.1-mini-2025-04-14", training_file: file.id, trainingType: "standard" } as never)).rejects.toMatchObject({ param: "trainingType" });
  });
});
