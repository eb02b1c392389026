/**
 * Upgrading the package is a non-event: a stack created by v0.1.0 (built from its commit and packed, as
 * its users installed it) shows no change once the project installs the working tree's package, before
 * any refresh (which would hide a default filled in by `read`) and after one; a real change still
 * replaces, and destroy cleans up. All through the Automation API runner (the Pulumi engine).
 */
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { V0_1_0, releaseTarball } from "../helpers/release";
import { PROGRAM } from "../e2e/program";

jest.setTimeout(1_500_000);

const STACK = "dev";
const KEY = "sk-upgrade-test-0a1b2c3d4e5f";
let emulator: RunningEmulator;
let project: PulumiProject;

/** The resources of an exported stack by name, with their stored outputs. */
async function storedResources(): Promise<Record<string, Record<string, unknown>>> {
  const exported = JSON.parse(await project.exportStack(STACK)) as { deployment: { resources: { urn: string; type: string; outputs?: Record<string, unknown> }[] } };
  const ours = exported.deployment.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
  return Object.fromEntries(ours.map((r) => [r.urn.split("::").pop() as string, r.outputs ?? {}]));
}

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 500, apiKey: KEY });
  project = new PulumiProject({ name: "upgrade", program: PROGRAM, baseURL: emulator.baseURL, apiKey: KEY, tarball: releaseTarball(V0_1_0), files: { "data/train.jsonl": chatDataset(12, "v1") } });
  await project.initStack(STACK, { dataset: "data/train.jsonl" });
  await project.up(STACK);
});
afterAll(() => emulator?.stop());

describe("a stack created by v0.1.0, through the Automation API runner", () => {
  it("holds v0.1.0's unversioned state (the starting point this test is about)", async () => {
    const resources = await storedResources();
    expect(Object.keys(resources).sort()).toEqual(["data", "model"]);
    for (const outputs of Object.values(resources)) expect(outputs.__schemaVersion).toBeUndefined();
    expect(resources.model.status).toBe("succeeded");
  });

  it("previews no change straight after the package upgrade, before any refresh", async () => {
    project.usePackage();
    const requestsBefore = (await emulator.state()).requests.total;
    const preview = await project.run(["preview", "--stack", STACK, "--expect-no-changes"]);
    expect(preview.code).toBe(0);
    const steps = JSON.parse(/^STEPS (.*)$/m.exec(preview.stdout)?.[1] ?? "{}");
    expect({ data: steps.data, model: steps.model }).toEqual({ data: ["same"], model: ["same"] });
    // An unchanged stack's preview reads nothing from the API.
    expect((await emulator.state()).requests.total).toBe(requestsBefore);
  });

  it("refreshes into versioned state and still previews no change", async () => {
    await project.ok(["refresh", "--stack", STACK]);
    const resources = await storedResources();
    expect(resources.data.__schemaVersion).toBe(2);
    expect(resources.model.__schemaVersion).toBe(2);
    await project.ok(["preview", "--stack", STACK, "--expect-no-changes"]);
  });

  it("replaces the file and retrains on new dataset bytes, then destroys everything", async () => {
    const before = await project.outputs(STACK);
    project.write("data/train.jsonl", chatDataset(14, "v2"));
    const steps = await project.plannedSteps(STACK);
    expect(steps.data).toContain("replace");
    expect(steps.model).toContain("replace");
    await project.up(STACK);
    const after = await project.outputs(STACK);
    expect(after.fineTunedModel).not.toBe(before.fineTunedModel);
    expect(after.trainingFileId).not.toBe(before.trainingFileId);
    const written = await storedResources();
    expect(written.model.__schemaVersion).toBe(2);

    await project.ok(["destroy", "--stack", STACK]);
    const state = await emulator.state();
    expect(state.models).toEqual([]);
    expect(state.files.map((f) => f.id)).toEqual([]);
    expect(state.jobs.map((j) => j.status)).toEqual(["succeeded", "succeeded"]);
  });
});
