/**
 * The ModelDeployment's `connection` input, its provider methods called directly against the emulator
 * through the real SDK: a named connection is where the model is checked and the marker recorded, and
 * a name the stack does not define fails the check before any request.
 */
import { provider } from "../../../provider/model-deployment/provider";
import { listServing } from "../../../provider/serving";
import { onlyNamedConnection, trainModel, withEmulator } from "../../helpers/provider-env";

const emulator = withEmulator({ timeScale: 400, apiKey: "sk-deployment-named-9b1e44c07a" });
let model: string;

/** The emulator starts each test empty, so each trains its model. */
beforeEach(async () => {
  model = await trainModel(emulator().client(), "dep");
}, 90_000);

beforeAll(() => onlyNamedConnection(emulator()));

describe("ModelDeployment connection", () => {
  it("checks the model and records the serving marker through the named connection", async () => {
    const news = { model, servedBy: "envs/prod/serving", connection: "emu" };
    expect((await provider.check({}, news)).failures).toEqual([]);
    const { id, outs } = await provider.create(news);
    expect(id).toBe("envs/prod/serving");
    expect(outs.connection).toBe("emu");
    expect(await listServing(emulator().client())).toEqual([{ model, servedBy: { project: "envs", stack: "prod", resource: "serving" } }]);
    await provider.delete(id, outs);
    expect(await listServing(emulator().client())).toEqual([]);
  });

  it("fails without the named connection because the default one's key is refused", async () => {
    await expect(provider.create({ model, servedBy: "envs/prod/other" })).rejects.toThrow(/401/);
    expect(await listServing(emulator().client())).toEqual([]);
  });

  it("refuses a connection name the stack does not define at check, with no request", async () => {
    const before = (await emulator().state()).requests.total;
    const { failures } = await provider.check({}, { model, servedBy: "envs/prod/serving", connection: "nope" });
    expect(failures).toEqual([{ property: "connection", reason: 'connection "nope" is not defined in openai-finetune:connections (defined: emu)' }]);
    expect((await emulator().state()).requests.total).toBe(before);
  });

  it("replaces the deployment when the connection changes, and an absent connection in old state is no change", async () => {
    const olds = { model, servedBy: "envs/prod/serving" };
    expect(await provider.diff("envs/prod/serving", olds, { ...olds, connection: "emu" })).toMatchObject({ changes: true, replaces: ["connection"] });
    expect(await provider.diff("envs/prod/serving", olds, { ...olds })).toMatchObject({ changes: false });
  });
});
