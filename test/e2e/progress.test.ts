/**
 * Progress while training, through the Automation API runner against the emulator: events are read by
 * cursor so a burst of 150 between two polls loses none, and shown in summary form by default; an
 * outage while waiting is told in a bounded number of lines and the wait then completes.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { waitFor } from "../helpers/wait";

jest.setTimeout(600_000);

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { TrainingFile, FineTunedModel } = require("pulumi-openai-finetune");
const config = new pulumi.Config();
const data = new TrainingFile("burst-data", { path: "data/train.jsonl" });
const model = new FineTunedModel("burst-model", {
  baseModel: "gpt-4o-mini-2024-07-18",
  trainingFile: data,
  hyperparameters: { nEpochs: 1, batchSize: 1 },
  pollIntervalSeconds: config.getNumber("pollIntervalSeconds") || 20,
  progress: /** @type {"default" | "verbose" | "quiet" | undefined} */ (config.get("progress")),
});
exports.fineTunedModel = model.fineTunedModel;
`;

/** The distinct training steps the output shows a metrics line for. */
function metricSteps(output: string): number[] {
  return [...new Set([...output.matchAll(/burst-model: step (\d+)\/150 /g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

describe("a burst of events between two polls", () => {
  let emulator: RunningEmulator;
  let project: PulumiProject;

  beforeAll(async () => {
    // 150 steps with a metrics event each, all within a fraction of a second: the second poll finds them all.
    emulator = await startEmulator({ timeScale: 200, args: ["--max-metric-events", "1000"] });
    project = new PulumiProject({ name: "burst", program: PROGRAM, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/train.jsonl": chatDataset(150, "burst") } });
  });
  afterAll(() => emulator?.stop());

  it("are all read and shown in summary form: messages, checkpoints, a metrics line per 10%", async () => {
    await project.initStack("default");
    const up = await project.up("default");
    const job = (await emulator.state()).jobs[0]!;
    let events = 0;
    for await (const _ of emulator.client().fineTuning.jobs.listEvents(job.id, { limit: 100 })) events++;
    expect(events).toBeGreaterThanOrEqual(120);
    for (const message of ["Files validated, moving job to queued state", "Fine-tuning job started", "Checkpoint created at step 150", "The job has successfully completed"]) {
      expect(up.output).toContain(`burst-model: ${message}`);
    }
    expect(metricSteps(up.output)).toEqual([15, 30, 45, 60, 75, 90, 105, 120, 135, 150]);
    expect(up.output).toMatch(/burst-model: step 15\/150 \(10%\), train loss \d+\.\d{4}/);
  });

  it("are all shown with progress verbose, and none with progress quiet", async () => {
    await project.initStack("verbose", { progress: "verbose" });
    const verbose = await project.up("verbose");
    expect(metricSteps(verbose.output)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));

    await project.initStack("quiet", { progress: "quiet" });
    const quiet = await project.up("quiet");
    expect(metricSteps(quiet.output)).toEqual([]);
    expect(quiet.output).not.toContain("Fine-tuning job started");
    expect(quiet.output).toMatch(/burst-model: job ftjob-\S+ is succeeded/);
  });

  it("a changed progress setting updates in place with no API call", async () => {
    await project.ok(["config", "set", "--stack", "quiet", "progress", "verbose"]);
    expect((await project.plannedSteps("quiet"))["burst-model"]).toEqual(["update"]);
    const before = (await emulator.state()).requests.total;
    await project.up("quiet");
    expect((await emulator.state()).requests.total).toBe(before);
  });
});

describe("an outage while waiting", () => {
  it("is told once, then at most once a minute, and the wait completes when the API is back", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ft-outage-"));
    let emulator = await startEmulator({ timeScale: 1, dataDir });
    const port = Number(new URL(emulator.url).port);
    const project = new PulumiProject({ name: "outage", program: PROGRAM, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files: { "data/train.jsonl": chatDataset(20, "outage") } });
    await project.initStack("dev", { pollIntervalSeconds: "0.5" });
    let stopped: Promise<void> | undefined;
    const up = project.run(["up", "--stack", "dev"], {
      onOutput: (output) => {
        if (!stopped && /burst-model: job ftjob-\S+ is validating_files/.test(output)) stopped = emulator.stop();
      },
    });
    try {
      await waitFor(async () => stopped !== undefined, "the job to be waited on", 120_000, 100);
      await stopped;
      await new Promise((resolve) => setTimeout(resolve, 65_000));
      emulator = await startEmulator({ timeScale: 1, dataDir, port });
      const result = await up;
      if (process.env.SHOW) console.log(result.output);
      expect(result.code).toBe(0);
      const lines = (pattern: RegExp) => new Set(result.output.split("\n").filter((line) => pattern.test(line)).map((line) => line.replace(/^.*?burst-model:/, ""))).size;
      // Distinct lines (the CLI repeats each message in its summary): one first failure, one a minute in, one recovery.
      expect(lines(/burst-model: polling job ftjob-\S+: the API did not answer \(connection refused\); still waiting/)).toBe(1);
      expect(lines(/burst-model: still waiting for job ftjob-\S+, API unreachable for 1m0\ds/)).toBe(1);
      expect(lines(/burst-model: the API answers again after 1m\d\ds/)).toBe(1);
      expect(result.output).toMatch(/burst-model: job ftjob-\S+ is succeeded/);
    } finally {
      await emulator.stop();
    }
  });
});

