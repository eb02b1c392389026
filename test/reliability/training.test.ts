/**
 * Long waits and what the API does during them, through the Automation API runner (the Pulumi engine): a wait deadline that saves the
 * job and resumes it, an emulator restart in the middle of training, jobs that fail, and an organisation
 * refused new jobs.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordFigures } from "../helpers/figures";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { waitFor } from "../helpers/wait";
import { MANY_MODELS } from "./program";

jest.setTimeout(900_000);

function projectFor(emulator: RunningEmulator, files: Record<string, string> = { "data/m0.jsonl": chatDataset(12) }) {
  return new PulumiProject({ program: MANY_MODELS, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files });
}

describe("a wait deadline", () => {
  let emulator: RunningEmulator;
  beforeAll(async () => (emulator = await startEmulator({ timeScale: 2 })));
  afterAll(() => emulator?.stop());

  it("saves the job as a partial resource, and the next up resumes waiting without a new job", async () => {
    const project = projectFor(emulator);
    await project.initStack("dev", { waitTimeoutMinutes: "0.05" });
    const first = await project.run(["up", "--stack", "dev"]);
    expect(first.code).not.toBe(0);
    expect(first.output).toMatch(/job ftjob-\S+ is still (validating_files|queued|running) after 0.05 minute\(s\); run `pulumi up` again to keep waiting/);
    const [job] = (await emulator.state()).jobs;
    expect(await project.exportStack("dev")).toContain(job.id);

    await project.ok(["config", "set", "--stack", "dev", "waitTimeoutMinutes", "10"]);
    const second = await project.up("dev");
    expect(second.output).toMatch(new RegExp(`resuming the wait for job ${job.id}`));
    const state = await emulator.state();
    expect(state.jobs.map((j) => [j.id, j.status])).toEqual([[job.id, "succeeded"]]);
    expect((await project.outputs("dev")).job0).toBe(job.id);
    recordFigures({ scenario: "wait deadline", jobsCreated: state.jobs.length, jobsExpected: 1 });
  });
});

describe("an emulator restart in the middle of training", () => {
  it("is ridden out: the provider keeps polling and completes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ft-restart-"));
    let emulator = await startEmulator({ timeScale: 2, dataDir });
    const port = Number(new URL(emulator.url).port);
    const project = projectFor(emulator);
    await project.initStack("dev");
    const up = project.up("dev");
    await waitFor(async () => (await emulator.state()).jobs[0]?.status === "running", "a running job", 120_000, 100);
    await emulator.stop();
    await new Promise((r) => setTimeout(r, 3_000));
    emulator = await startEmulator({ timeScale: 2, dataDir, port });
    try {
      await up;
      const state = await emulator.state();
      // The restarted emulator served the polls that saw the job through.
      expect(state.requests.byRoute["GET /v1/fine_tuning/jobs/{id}"]).toBeGreaterThan(0);
      expect(state.jobs.map((j) => j.status)).toEqual(["succeeded"]);
      expect(state.models).toHaveLength(1);
      recordFigures({ scenario: "emulator restart", crashesSurvived: 1, jobsCreated: state.jobs.length, jobsExpected: 1 });
    } finally {
      await emulator.stop();
    }
  });
});

describe("failures from the API", () => {
  let emulator: RunningEmulator;
  beforeAll(async () => (emulator = await startEmulator({ timeScale: 100 })));
  afterAll(() => emulator?.stop());

  it("a job failing in training fails up with the API's code and message; fixed data retrains cleanly", async () => {
    const project = projectFor(emulator);
    await project.initStack("dev");
    await emulator.faults({ failNextJobs: 1 });
    const failed = await project.run(["up", "--stack", "dev"]);
    expect(failed.code).not.toBe(0);
    const [job] = (await emulator.state()).jobs;
    expect(job.status).toBe("failed");
    expect(failed.output).toContain(`${job.error?.code}: ${job.error?.message}`);
    expect(JSON.parse(await project.exportStack("dev")).deployment.resources.find((r: { id?: string }) => r.id === job.id)?.outputs.status).toBe("failed");

    project.write("data/m0.jsonl", chatDataset(13));
    await project.up("dev");
    const state = await emulator.state();
    expect(state.jobs.filter((j) => j.status === "succeeded")).toHaveLength(1);
    expect(state.models).toHaveLength(1);
    await project.ok(["preview", "--expect-no-changes", "--stack", "dev"]);
  });

  it("an organisation refused new jobs gets a plain error, and its existing models stay managed", async () => {
    await emulator.reset();
    const project = projectFor(emulator);
    await project.initStack("dev");
    await project.up("dev");
    await emulator.faults({ blockFineTuning: true });
    await project.ok(["config", "set", "--stack", "dev", "nEpochs", "3"]);
    const refused = await project.run(["up", "--stack", "dev"]);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/cannot start new fine-tuning jobs \(OpenAI accepts none from 2027-01-06 on\): train on Azure OpenAI instead/);
    expect((await emulator.state()).models).toHaveLength(1);
    await project.ok(["refresh", "--yes", "--stack", "dev"]);
    await project.ok(["destroy", "--yes", "--stack", "dev"]);
    const state = await emulator.state();
    expect(state.models).toEqual([]);
    expect(state.files).toEqual([]);
  });
});
