/**
 * ModelDeployment on an Azure connection, its provider methods called directly against the emulator
 * (`--flavor azure`): the Resource Manager deployment through `@azure/arm-cognitiveservices`, the data
 * plane through the real `openai` SDK. Create, scale in place, replace, a Developer deployment that
 * expires and comes back, delete; and the check's refusals, with no request.
 */
import { configureConnections, CONNECTIONS_KEY, registerTokenProvider } from "../../../provider/connections";
import { PartialResourceError } from "../../../provider/errors";
import { provider } from "../../../provider/model-deployment/provider";
import { listServing } from "../../../provider/serving";
import { trainModel, withEmulator } from "../../helpers/provider-env";
import { waitFor } from "../../helpers/wait";

const KEY = "azure-deployment-key-3e8f10aa";
// 24 simulated hours pass in ~9 s: a Developer deployment's expiry is observable here.
const emulator = withEmulator({ flavor: "azure", timeScale: 10_000, apiKey: KEY });
const SUB = "00000000-0000-0000-0000-0000000000aa";
const ARM_TOKEN = "arm-bearer-token-5d1c";
let model: string;

const v1 = () => emulator().client({ baseURL: `${emulator().azureEndpoint}/openai/v1`, apiKey: KEY, defaultHeaders: { "api-key": KEY, Authorization: null } });
const deployments = async () => (await emulator().state()).deployments;
const azure = (sku: Record<string, unknown> = { name: "Standard", capacity: 1 }, extra: Record<string, unknown> = {}) => ({ subscriptionId: SUB, resourceGroup: "rg-ft", account: "aoai-prod", sku, ...extra });
const news = (azureInput: Record<string, unknown> | undefined = azure(), connection = "az") => ({ model, servedBy: "shop/prod/serving", connection, azure: azureInput });

function configure(managementEndpoint = emulator().managementEndpoint, apiKey = KEY) {
  const connections = {
    az: { kind: "azure", azureEndpoint: emulator().azureEndpoint, apiKey, managementEndpoint },
    oai: { kind: "openai", baseUrl: emulator().baseURL, apiKey: KEY },
  };
  configureConnections({ get: (key) => (key === CONNECTIONS_KEY ? JSON.stringify(connections) : undefined) });
}

beforeAll(() => registerTokenProvider("az", async () => ARM_TOKEN));

beforeEach(async () => {
  configure();
  model = await trainModel(v1(), "az", "gpt-4.1-mini-2025-04-14");
}, 90_000);

describe("ModelDeployment on Azure", () => {
  it("creates the deployment, whose name is the model to call, and deletes it on delete, leaving the model", async () => {
    const inputs = (await provider.check({}, news())).inputs;
    const { id, outs } = await provider.create(inputs);
    expect(outs).toMatchObject({ model: expect.stringMatching(/^serving-[0-9a-f]{8}$/), fineTunedModel: model, deploymentName: outs.model, endpoint: emulator().azureEndpoint, provisioningState: "Succeeded" });
    expect(await deployments()).toEqual([expect.objectContaining({ name: outs.model, sku: { name: "Standard", capacity: 1 }, properties: expect.objectContaining({ model: expect.objectContaining({ name: model }) }) })]);
    // The deployment answers on the v1 routes with model=<deployment name>.
    const answer = await v1().chat.completions.create({ model: outs.model, messages: [{ role: "user", content: "az question number 1: where is setting 1?" }] });
    expect(answer.choices[0]!.message.content).toBeTruthy();
    expect(await listServing(v1())).toEqual([{ model, servedBy: { project: "shop", stack: "prod", resource: "serving" } }]);
    await provider.delete(id, outs);
    expect(await deployments()).toEqual([]);
    expect(await listServing(v1())).toEqual([]);
    expect((await emulator().state()).models.map((m) => m.id)).toContain(model);
  });

  it("scales capacity in place under the same name; another SKU replaces it, deleting the old one first", async () => {
    const inputs = (await provider.check({}, news())).inputs;
    const { id, outs } = await provider.create(inputs);
    const scaled = (await provider.check({}, news(azure({ name: "Standard", capacity: 3 })))).inputs;
    expect(await provider.diff(id, outs, scaled)).toMatchObject({ changes: true, replaces: [] });
    const { outs: after } = await provider.update(id, outs, scaled);
    expect(after!.model).toBe(outs.model);
    expect((await deployments()).map((d) => [d.name, d.sku])).toEqual([[outs.model, { name: "Standard", capacity: 3 }]]);
    const resku = (await provider.check({}, news(azure({ name: "GlobalStandard" })))).inputs;
    expect(await provider.diff(id, after, resku)).toMatchObject({ changes: true, replaces: ["azure"], deleteBeforeReplace: true });
    const renamed = (await provider.check({}, news(azure({ name: "Standard", capacity: 3 }, { deploymentName: "support-v2" })))).inputs;
    const rename = await provider.diff(id, after, renamed);
    expect(rename).toMatchObject({ changes: true, replaces: ["azure"] });
    expect(rename.deleteBeforeReplace ?? false).toBe(false);
    expect(await provider.diff(id, after, scaled)).toMatchObject({ changes: false });
  });

  it("marks an expired Developer deployment at refresh, and the next update deploys it again", async () => {
    const inputs = (await provider.check({}, news(azure({ name: "Developer" })))).inputs;
    const { id, outs } = await provider.create(inputs);
    expect((await deployments())[0]!.sku).toEqual({ name: "developertier", capacity: 50 });
    await waitFor(async () => (await deployments()).length === 0, "the Developer deployment to expire", 40_000, 500);
    const refreshed = (await provider.read(id, outs)).props!;
    expect(refreshed).toMatchObject({ deploymentDeleted: true, provisioningState: null, model: outs.model });
    expect(await provider.diff(id, refreshed, inputs)).toMatchObject({ changes: true, replaces: [] });
    const { outs: again } = await provider.update(id, refreshed, inputs);
    expect(again).toMatchObject({ model: outs.model, provisioningState: "Succeeded" });
    expect(again!.deploymentDeleted).toBeUndefined();
    expect((await deployments()).map((d) => d.name)).toEqual([outs.model]);
  }, 60_000);

  it("reaches refresh and destroy after a key rotation: says what to run, or uses the key in OPENAI_FINETUNE_AZ_API_KEY", async () => {
    const { id, outs } = await provider.create((await provider.check({}, news())).inputs);
    // What refresh and destroy get without --run-program: the provider config of the last up, whose key is no longer valid.
    configure(undefined, "azure-key-rotated-away-0000");
    delete process.env.OPENAI_FINETUNE_AZ_API_KEY;
    const stale = await provider.read(id, outs).then(() => "read", (e: Error) => e.message);
    expect(stale).toMatch(/connection "az": the API refused the key \(HTTP 401\)\. `pulumi refresh` uses the provider configuration saved at the last `pulumi up`/);
    expect(stale).toMatch(/export OPENAI_FINETUNE_AZ_API_KEY=<new key>/);
    expect(stale).not.toContain("azure-key-rotated-away-0000");
    process.env.OPENAI_FINETUNE_AZ_API_KEY = KEY;
    try {
      expect((await provider.read(id, outs)).props).toMatchObject({ model: outs.model, provisioningState: "Succeeded" });
      await provider.delete(id, outs);
    } finally {
      delete process.env.OPENAI_FINETUNE_AZ_API_KEY;
    }
    expect(await deployments()).toEqual([]);
    expect(await listServing(v1())).toEqual([]);
  });

  it("keeps a deployment Resource Manager refused as a partial resource that says what exists, and its delete cleans up", async () => {
    const source = `/subscriptions/${SUB}/resourceGroups/rg-train/providers/Microsoft.CognitiveServices/accounts/aoai-train`;
    const missing = "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef";
    const inputs = (await provider.check({}, { ...news(azure(undefined, { source })), model: missing })).inputs;
    const err = await provider.create(inputs).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PartialResourceError);
    const partial = err as PartialResourceError;
    expect(partial.message).toMatch(/^serving: create: deploying gpt-4\.1-mini-2025-04-14\.ft-0123456789abcdef0123456789abcdef as serving-[0-9a-f]{8} on Azure \(HTTP 400 ModelNotFound\): .*not found in \/subscriptions\/.*aoai-train.*; no deployment serving-[0-9a-f]{8} exists on aoai-prod; the next `pulumi up` tries again, `pulumi destroy` removes what exists$/);
    expect(partial.properties).toMatchObject({ deploymentDeleted: true, provisioningState: null, fineTunedModel: missing });
    expect(await listServing(v1())).toEqual([{ model: missing, servedBy: { project: "shop", stack: "prod", resource: "serving" } }]);
    await provider.delete(partial.id, partial.properties);
    expect(await listServing(v1())).toEqual([]);
    expect(await deployments()).toEqual([]);
  });

  it("refuses at check, with no request: no azure on Azure, azure on OpenAI, a SKU or name Azure rejects, http Resource Manager off loopback", async () => {
    const before = (await emulator().state()).requests.total;
    const reasons = async (input: Record<string, unknown>) => ((await provider.check({}, input)).failures ?? []).map((f) => `${f.property}: ${f.reason}`);
    expect(await reasons({ ...news(), azure: undefined })).toEqual([expect.stringMatching(/^azure: connection "az" is Azure OpenAI, where a fine-tuned model answers only through a deployment: give azure: \{subscriptionId/)]);
    expect(await reasons(news(azure(), "oai"))).toEqual(['azure: connection "oai" is not an Azure connection (kind "openai"): azure deployments are made only on Azure OpenAI; remove azure or name an Azure connection']);
    expect(await reasons(news(azure({ name: "Basic" })))).toEqual(['azure: azure.sku.name: Azure offers fine-tuned models on Standard, GlobalStandard, ProvisionedManaged, Developer, not "Basic"']);
    expect(await reasons(news(azure(undefined, { deploymentName: "support_" })))).toEqual([expect.stringMatching(/^azure: azure\.deploymentName: Azure accepts 2-64 letters/)]);
    configure("http://management.example.com");
    expect(await reasons(news())).toEqual(["connection: managementEndpoint http://management.example.com: Resource Manager must be reached over https (plain http is accepted for loopback addresses only)"]);
    expect((await emulator().state()).requests.total).toBe(before);
  });
});
