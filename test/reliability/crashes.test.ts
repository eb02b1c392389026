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
