/**
 * A dataset's warnings, through the Automation API runner (the engine `pulumi up` runs): shown once per
 * operation (the engine's Diagnostics summary repeats the run's messages once more, as it does for
 * every message), in the preview and the up that create the resources, and again exactly once when new
 * bytes replace both: the FineTunedModel's check reuses the file's report (it reads nothing and says
 * nothing about the data) instead of judging the data a second time.
 */
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { PROGRAM } from "./program";

jest.setTimeout(600_000);

let emulator: RunningEmulator;
let project: PulumiProject;

/** 12 examples (fewer than the 50 OpenAI recommends), a blank line, and one example without a system message. */
function dataset(tag: string): string {
  const lines = chatDataset(12, tag).trimEnd().split("\n");
  lines.splice(3, 0, "");
  lines.push(JSON.stringify({ messages: [{ role: "user", content: `${tag}: hello` }, { role: "assistant", content: "Hi." }] }));
  return lines.join("\n") + "\n";
}

const WARNINGS = ["[few_examples] 13 examples", "line 4: [blank_line]", "line 14: [missing_system_message]"];

/** How often each warning appears while the operation runs, and in the engine's summary after it. */
function counts(output: string) {
  const [live, summary = ""] = output.split(/^Diagnostics:$/m);
  const count = (text: string, part: string) => part.split(text).length - 1;
  return WARNINGS.map((w) => [w, count(w, live!), count(w, summary)]);
}
const ONCE = WARNINGS.map((w) => [w, 1, 1]);

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 200 });
  project = new PulumiProject({ program: PROGRAM, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/train.jsonl": dataset("first") } });
  await project.initStack("dev", { dataset: "data/train.jsonl", nEpochs: "1" });
});
afterAll(() => emulator?.stop());

describe("dataset warnings", () => {
  it("appear once in the preview and once in the up that creates the file and the model", async () => {
    const preview = await project.ok(["preview", "--stack", "dev"]);
    expect(counts(preview.output)).toEqual(ONCE);
    expect(preview.output).not.toMatch(/model: checking dataset/);
    const up = await project.up("dev");
    expect(counts(up.output)).toEqual(ONCE);
  });

  it("appear once again when new bytes replace the file and retrain the model", async () => {
    project.write("data/train.jsonl", dataset("second"));
    expect(await project.plannedSteps("dev")).toMatchObject({ data: ["create-replacement", "replace", "delete-replaced"], model: ["create-replacement", "replace", "delete-replaced"] });
    // The engine checks a replacement twice (against the old state, then as a new resource): still one warning.
    const preview = await project.ok(["preview", "--stack", "dev"]);
    expect(preview.output.split("model: 13 examples, 604 tokens").length - 1).toBe(2);
    expect(counts(preview.output)).toEqual(ONCE);
    const up = await project.up("dev");
    expect(counts(up.output)).toEqual(ONCE);
    expect(up.output).not.toMatch(/model: checking dataset/);
    await project.ok(["destroy", "--yes", "--stack", "dev"]);
  });
});
