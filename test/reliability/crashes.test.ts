/**
 * `pulumi up` killed (SIGKILL, as a CI timeout does) or interrupted (SIGINT, as Ctrl-C does) at three
 * points: during the upload, right after the job was created, while waiting for training. After the
 * README's recovery (`pulumi cancel`, `pulumi refresh --clear-pending-creates`, then `pulumi up`) the stack converges with
 * one job per model, the job created before the crash adopted, and no orphaned files.
 */
import { recordFigures } from "../helpers/figures";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { waitFor } from "../helpers/wait";
import { MANY_MODELS } from "./program";

jest.setTimeout(900_000);

let emulator: RunningEmulator;
beforeAll(async () => (emulator = await startEmulator({ timeScale: 5 })));
afterAll(() => emulator?.stop());
beforeEach(() => emulator.reset());

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The points to interrupt at, each a condition seen from outside (CLI output, emulator state). */
const POINTS: Record<string, (output: string) => Promise<boolean> | boolean> = {
  "during the upload": (output) => /info: \[runtime\] uploading /.test(output),
  "right after the job was created": async () => (await emulator.state()).jobs.length > 0,
  "while waiting for training": (output) => /model-0: step \d+/.test(output),
};

describe.each(["SIGKILL", "SIGINT"] as const)("pulumi up interrupted by %s", (signal) => {
  it.each(Object.keys(POINTS))("%s: the next up converges with one job, adopted, and no orphaned files", async (point) => {
    const project = new PulumiProject({ program: MANY_MODELS, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/m0.jsonl": chatDataset(12) } });
    await project.initStack("dev");
    let output = "";
    const interrupted = project.run(["up", "--stack", "dev"], { onOutput: (text) => (output = text) });
    const pid = project.running?.pid as number;
    await waitFor(async () => POINTS[point](output), point, 120_000, 25);
    const jobsAtCrash = (await emulator.state()).jobs.map((j) => j.id);
    project.interrupt(signal);
    await interrupted;
    await waitFor(async () => !groupAlive(pid), "every process of the interrupted run to end", 120_000, 25);

    // The README's recovery: release the dead run's lock, drop its pending operations, run again.
    await project.ok(["cancel", "--yes", "--stack", "dev"]);
    await project.ok(["refresh", "--clear-pending-creates", "--yes", "--stack", "dev"]);
    await project.up("dev");
    await project.ok(["preview", "--expect-no-changes", "--stack", "dev"]);

    const state = await emulator.state();
    const outputs = await project.outputs("dev");
    const exported = await project.exportStack("dev");
    expect(state.jobs).toHaveLength(1);
    expect(state.jobs.map((j) => j.id)).toEqual(jobsAtCrash.length > 0 ? jobsAtCrash : [outputs.job0]);
    expect(outputs.job0).toBe(state.jobs[0].id);
    const orphans = state.files.filter((f) => !exported.includes(f.id));
    recordFigures({ scenario: `crash ${signal} ${point}`, crashesSurvived: 1, jobsCreated: state.jobs.length, jobsExpected: 1, filesOrphaned: orphans.length });
    expect(orphans).toEqual([]);
    expect(state.files.filter((f) => f.purpose === "fine-tune")).toHaveLength(1);
  });
});

/** One model on a dataset above a lowered part threshold, so it goes up through the Uploads API. */
const MULTIPART = `
const { TrainingFile, FineTunedModel } = require("pulumi-openai-finetune");
const data = new TrainingFile("data-0", { path: "data/m0.jsonl", uploadPartThresholdBytes: 1024 });
const model = new FineTunedModel("model-0", {
  baseModel: "gpt-4o-mini-2024-07-18",
  trainingFile: data,
  hyperparameters: { nEpochs: 2 },
  pollIntervalSeconds: 0.5,
});
exports.job0 = model.jobId;
exports.file0 = data.id;
`;

describe("pulumi up killed during a multipart upload", () => {
  it("after its part was received: the recovery leaves no upload open and no file orphaned", async () => {
    const dataset = chatDataset(12);
    expect(Buffer.byteLength(dataset)).toBeGreaterThan(1024);
    const project = new PulumiProject({ program: MULTIPART, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/m0.jsonl": dataset } });
    await project.initStack("dev");
    // The completion is held unanswered, so the kill lands with the part received and the upload open.
    await emulator.faults({ holdUploadCompletion: true });
    const interrupted = project.run(["up", "--stack", "dev"]);
    const pid = project.running?.pid as number;
    await waitFor(
      async () => {
        const state = await emulator.state();
        const completing = state.received.some((r) => r.method === "POST" && /^\/v1\/uploads\/[^/]+\/complete$/.test(r.path));
        return completing && state.uploads.some((u) => u.status === "pending" && u.parts === 1);
      },
      "the part received and the completion sent",
      120_000,
      25,
    );
    const [open] = (await emulator.state()).uploads;
    project.interrupt("SIGKILL");
    await interrupted;
    await waitFor(async () => !groupAlive(pid), "every process of the killed run to end", 120_000, 25);
    await emulator.faults({ holdUploadCompletion: false });
    expect((await emulator.state()).uploads.map((u) => [u.id, u.status])).toEqual([[open!.id, "pending"]]);
    expect((await emulator.state()).files).toEqual([]);

    await project.ok(["cancel", "--yes", "--stack", "dev"]);
    await project.ok(["refresh", "--clear-pending-creates", "--yes", "--stack", "dev"]);
    const up = await project.up("dev");
    await project.ok(["preview", "--expect-no-changes", "--stack", "dev"]);

    expect(up.output).toContain(`cancelled upload ${open!.id} of `);
    const state = await emulator.state();
    const outputs = await project.outputs("dev");
    const exported = await project.exportStack("dev");
    expect(state.uploads.map((u) => u.status)).toEqual(["cancelled", "completed"]);
    expect(state.uploads[0]!.id).toBe(open!.id);
    const orphans = state.files.filter((f) => !exported.includes(f.id));
    recordFigures({ scenario: "crash SIGKILL during a multipart upload", crashesSurvived: 1, jobsCreated: state.jobs.length, jobsExpected: 1, filesOrphaned: orphans.length });
    expect(orphans).toEqual([]);
    // One training file (the job's result file is the other).
    expect(state.files.filter((f) => f.purpose === "fine-tune").map((f) => [f.id, f.bytes])).toEqual([[outputs.file0, Buffer.byteLength(dataset)]]);
    expect(state.jobs.map((j) => j.id)).toEqual([outputs.job0]);
  });
});
