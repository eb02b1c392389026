import { spawnSync } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toFile } from "openai";
import { CLI, startEmulator } from "../helpers/emulator";
import { chatExamples, jsonl, uploadJsonl, waitFor, waitForJob } from "./fixtures";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "emulator-test-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const metricSteps = (events: { type?: string; data?: unknown }[]) =>
  events.filter((e) => e.type === "metrics").map((e) => (e.data as { step: number }).step);

describe("--data-dir persistence", () => {
  it.each(["SIGTERM", "SIGKILL"] as const)("keeps files, jobs and job progress across a restart mid-training (%s)", async (signal) => {
    const dataDir = tempDir();
    const first = await startEmulator({ dataDir, timeScale: 5 });
    const c1 = first.client({ maxRetries: 0 });
    const text = jsonl(chatExamples(10));
    const file = await uploadJsonl(c1, chatExamples(10));
    const upload = await c1.uploads.create({ bytes: Buffer.byteLength(text), filename: "up.jsonl", mime_type: "text/jsonl", purpose: "fine-tune" });
    const p1 = await c1.uploads.parts.create(upload.id, { data: await toFile(Buffer.from(text.slice(0, 100)), "a") });
    const p2 = await c1.uploads.parts.create(upload.id, { data: await toFile(Buffer.from(text.slice(100)), "b") });
    const uploaded = (await c1.uploads.complete(upload.id, { part_ids: [p1.id, p2.id] })).file!;
    const created = await c1.fineTuning.jobs.create({
      model: "gpt-4o-mini",
      training_file: uploaded.id,
      suffix: "persist",
      method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 10 } } },
    });
    await waitFor(
      async () => metricSteps((await c1.fineTuning.jobs.listEvents(created.id, { limit: 100 })).data).length >= 3,
      "a few training steps",
      30_000,
      10,
    );
    const before = await c1.fineTuning.jobs.retrieve(created.id);
    expect(before.status).toBe("running");
    const eventsBefore = (await c1.fineTuning.jobs.listEvents(created.id, { limit: 100 })).data;
    if (signal === "SIGKILL") {
      await new Promise((r) => setTimeout(r, 300)); // let the debounced save land, then crash
      first.kill("SIGKILL");
      await first.stop();
    } else {
      await first.stop();
      expect(first.process.exitCode).toBe(0);
    }

    const second = await startEmulator({ dataDir, timeScale: 5 });
    try {
      const c2 = second.client({ maxRetries: 0 });
      expect(await (await c2.files.content(file.id)).text()).toBe(text);
      expect(await (await c2.files.content(uploaded.id)).text()).toBe(text);
      expect((await c2.files.list()).data.map((f) => f.id).sort()).toEqual([file.id, uploaded.id].sort());
      const after = await c2.fineTuning.jobs.retrieve(created.id);
      expect(["running", "succeeded"]).toContain(after.status);
      const { job } = await waitForJob(c2, created.id, ["succeeded", "failed", "cancelled"]);
      expect(job.status).toBe("succeeded");
      expect(job.fine_tuned_model).toMatch(/^ft:gpt-4o-mini-2024-07-18:emulator-org:persist:/);
      const events = [];
      for await (const e of c2.fineTuning.jobs.listEvents(created.id, { limit: 100 })) events.push(e);
      // What happened before the restart is kept, and the job continued from where it was.
      const ids = new Set(events.map((e) => e.id));
      for (const e of eventsBefore) expect(ids.has(e.id)).toBe(true);
      const steps = metricSteps(events).reverse();
      expect(steps[steps.length - 1]).toBe(100);
      expect(new Set(steps).size).toBe(steps.length);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect((await c2.fineTuning.jobs.checkpoints.list(created.id)).data.map((c) => c.step_number)).toEqual([100, 90, 80]);
      expect((await c2.models.retrieve(job.fine_tuned_model!)).id).toBe(job.fine_tuned_model);
      const state = await second.state();
      expect(state.log.filter((e) => e.action === "model.created")).toHaveLength(1);
      expect(state.log.map((e) => e.action).slice(0, 3)).toEqual(["file.created", "file.created", "job.created"]);
    } finally {
      await second.stop();
    }
  });

  it("keeps a paused job paused across a restart, and reset clears the data dir", async () => {
    const dataDir = tempDir();
    const first = await startEmulator({ dataDir, timeScale: 5 });
    const c1 = first.client({ maxRetries: 0 });
    const file = await uploadJsonl(c1, chatExamples(10));
    const job = await c1.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id });
    await waitFor(async () => (await c1.fineTuning.jobs.retrieve(job.id)).status === "running", "running", 30_000, 10);
    await c1.fineTuning.jobs.pause(job.id);
    await first.stop();
    const second = await startEmulator({ dataDir, timeScale: 5 });
    try {
      const c2 = second.client({ maxRetries: 0 });
      await new Promise((r) => setTimeout(r, 500));
      expect((await c2.fineTuning.jobs.retrieve(job.id)).status).toBe("paused");
      await c2.fineTuning.jobs.resume(job.id);
      expect((await waitForJob(c2, job.id, ["succeeded", "failed"])).job.status).toBe("succeeded");
      await second.reset();
      expect((await c2.files.list()).data).toEqual([]);
      expect((await c2.fineTuning.jobs.list()).data).toEqual([]);
    } finally {
      await second.stop();
    }
    const third = await startEmulator({ dataDir });
    try {
      expect((await third.client().fineTuning.jobs.list()).data).toEqual([]);
    } finally {
      await third.stop();
    }
  });
});

describe("the emulator command", () => {
  it("prints the listening URL first, and stops cleanly on SIGINT (a second signal while stopping is absorbed)", async () => {
    const emu = await startEmulator();
    expect(emu.output().split("\n")[0]).toMatch(/^openai-finetune emulator listening on http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect((await emu.client().models.list()).data.length).toBeGreaterThan(0);
    // An upload still in flight keeps the emulator stopping (up to 2 s), so the second signal
    // certainly arrives while it stops, not after the process began to exit.
    const { port } = new URL(emu.url);
    const inFlight = request({ host: "127.0.0.1", port, method: "POST", path: "/v1/files", headers: { authorization: `Bearer ${emu.apiKey}`, "content-type": "multipart/form-data; boundary=x", "content-length": "1000000" } });
    inFlight.on("error", () => undefined);
    inFlight.write("--x\r\n");
    await waitFor(async () => (await emu.state()).requests.total >= 2, "the upload to be under way", 5000, 5);
    emu.kill("SIGINT");
    await waitFor(async () => /SIGINT received/.test(emu.output()), "the stop message", 5000, 5);
    emu.process.kill("SIGTERM");
    await emu.stop();
    inFlight.destroy();
    expect(emu.process.exitCode).toBe(0);
    expect(emu.output()).toMatch(/SIGINT received, stopping/);
  });

  it("listens on a given port, and explains bad options", async () => {
    const help = spawnSync(process.execPath, [CLI, "emulator", "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--time-scale/);
    const bad = spawnSync(process.execPath, [CLI, "emulator", "--time-scale", "fast"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/option '--time-scale <F>' argument 'fast' is invalid\. must be a number/);
    const unknown = spawnSync(process.execPath, [CLI, "emulator", "--colour"], { encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--colour'/);

    const probe = await startEmulator();
    const port = Number(new URL(probe.url).port);
    await probe.stop();
    const fixed = await startEmulator({ port });
    try {
      expect(fixed.url).toBe(`http://127.0.0.1:${port}`);
    } finally {
      await fixed.stop();
    }
  });
});
