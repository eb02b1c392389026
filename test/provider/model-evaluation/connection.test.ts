/**
 * The ModelEvaluation's `connection` input, its provider methods called directly against the emulator
 * through the real SDK: the named connection's endpoint answers the chat calls, a name the stack does
 * not define fails the check with no request, and a change of connection evaluates again.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Content } from "../../../provider/dataset";
import { provider } from "../../../provider/model-evaluation/provider";
import { chatDataset, onlyNamedConnection, trainModel, withEmulator } from "../../helpers/provider-env";

const emulator = withEmulator({ timeScale: 400, apiKey: "sk-evaluation-named-4c1d9e" });
const content = chatDataset(10, "ev"); // the API trains on no fewer than 10 examples

const trainedModel = () => trainModel(emulator().client(), "ev", undefined, content);

function news(model: string, connection: string | undefined) {
  return {
    model,
    connection,
    dataset: { content },
    datasetHash: sha256Content(content).sha256,
    graders: [{ type: "similar", threshold: 0.5 }],
    minPassRate: 0.5,
    projectDir: mkdtempSync(join(tmpdir(), "eval-connection-")),
    owner: "evals/dev/gate",
  };
}

const chatCalls = async () => (await emulator().state()).requests.byRoute["POST /v1/chat/completions"] ?? 0;

beforeAll(() => onlyNamedConnection(emulator()));

describe("ModelEvaluation connection", () => {
  it("calls the named connection's endpoint, and fails through the default one whose key is refused", async () => {
    const model = await trainedModel();
    const checked = await provider.check({}, news(model, "emu"));
    expect(checked.failures ?? []).toEqual([]);
    const { outs } = await provider.create(checked.inputs);
    // A model given as an id is its own fineTunedModel: always in state, so a gated deployment never reads it as unknown.
    expect(outs).toMatchObject({ connection: "emu", passed: true, counts: { total: 10, errored: 0 }, fineTunedModel: model });
    expect(await chatCalls()).toBe(10);
    const viaDefault = await provider.create((await provider.check({}, news(model, undefined))).inputs).then(() => "passed", (e: Error) => e.message);
    expect(viaDefault).toMatch(/HTTP 401 invalid_api_key/);
  }, 120_000);

  it("refuses a connection name the stack does not define at check, with no request", async () => {
    const before = (await emulator().state()).requests.total;
    const { failures } = await provider.check({}, news("ft:gpt-4o-mini-2024-07-18:org::abc", "nope"));
    expect(failures).toEqual([{ property: "connection", reason: 'connection "nope" is not defined in openai-finetune:connections (defined: emu)' }]);
    expect((await emulator().state()).requests.total).toBe(before);
  });

  it("evaluates again when the connection changes, and not when old state had none and the program gives none", async () => {
    const model = await trainedModel();
    const inputs = (await provider.check({}, news(model, "emu"))).inputs;
    const { id, outs } = await provider.create(inputs);
    const calls = await chatCalls();
    const { connection: _none, ...olderState } = outs as Record<string, unknown>;
    expect(await provider.diff(id, { ...olderState, connection: undefined }, { ...inputs, connection: undefined })).toMatchObject({ changes: false });
    await provider.update(id, outs, { ...inputs, concurrency: 2 });
    expect(await chatCalls()).toBe(calls);
    expect(await provider.diff(id, outs, { ...inputs, connection: "other" })).toMatchObject({ changes: true });
  }, 120_000);
});
