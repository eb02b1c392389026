import OpenAI from "openai";
import type { FineTuningJobEvent } from "openai/resources/fine-tuning/jobs/jobs";
import { analyzeDataset, autoEpochs } from "../../provider/dataset";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatExamples, dpoExamples, jsonl, uploadJsonl, waitFor, waitForJob } from "./fixtures";

let emu: RunningEmulator;
let client: OpenAI;

beforeAll(async () => {
  emu = await startEmulator({ timeScale: 100 });
  client = emu.client({ maxRetries: 0 });
});
afterAll(async () => {
  await emu?.stop();
});

describe("fine-tuning job lifecycle", () => {
  it("runs validating_files -> queued -> running -> succeeded with events, checkpoints, result file and model", async () => {
    const examples = chatExamples(12);
    const file = await uploadJsonl(client, examples);
    const created = await client.fineTuning.jobs.create({
      model: "gpt-4o-mini",
      training_file: file.id,
      suffix: "colours",
      seed: 42,
      metadata: { team: "search" },
    });
    expect(created).toMatchObject({
      object: "fine_tuning.job",
      status: "validating_files",
      model: "gpt-4o-mini-2024-07-18",
      training_file: file.id,
      validation_file: null,
      fine_tuned_model: null,
      finished_at: null,
      trained_tokens: null,
      result_files: [],
      error: null,
      seed: 42,
      metadata: { team: "search" },
      hyperparameters: { n_epochs: "auto", batch_size: "auto", learning_rate_multiplier: "auto" },
      method: { type: "supervised", supervised: { hyperparameters: { n_epochs: "auto", batch_size: "auto", learning_rate_multiplier: "auto" } } },
    });
    expect(created.id).toMatch(/^ftjob-[A-Za-z0-9]{24}$/);

    const { job, seen } = await waitForJob(client, created.id, ["succeeded", "failed"], 30_000, 5);
    expect(job.status).toBe("succeeded");
    // Polled often enough to see (at least some of) the intermediate states, in order.
    const order = ["validating_files", "queued", "running", "succeeded"];
    expect(seen.map((s) => order.indexOf(s))).toEqual([...seen.map((s) => order.indexOf(s))].sort());
    expect(seen).toContain("running");

    // trained_tokens: the shared dataset rules' token count x OpenAI's auto epochs.
    const report = await analyzeDataset({ content: jsonl(examples) }, { model: "gpt-4o-mini-2024-07-18", method: "supervised", noCache: true });
    expect(report.epochs).toBe(autoEpochs(12));
    expect(job.trained_tokens).toBe(report.billedTokens);
    expect(job.trained_tokens).toBe(report.tokens * autoEpochs(12));
    expect(job.hyperparameters).toEqual({ n_epochs: autoEpochs(12), batch_size: 1, learning_rate_multiplier: expect.any(Number) });
    expect(job.fine_tuned_model).toMatch(/^ft:gpt-4o-mini-2024-07-18:emulator-org:colours:[A-Za-z0-9]{8}$/);
    expect(job.finished_at).toBeGreaterThanOrEqual(job.created_at);

    // Events: newest first, message and metrics events, auto-paginated across pages.
    const events: FineTuningJobEvent[] = [];
    for await (const e of client.fineTuning.jobs.listEvents(job.id, { limit: 10 })) events.push(e);
    expect(events.length).toBeGreaterThan(20);
    expect(events[0]!.message).toBe("The job has successfully completed");
    expect(events[events.length - 1]!.message).toBe(`Created fine-tuning job: ${job.id}`);
    const messages = events.map((e) => e.message).reverse();
    const idx = (m: string) => messages.findIndex((x) => x.startsWith(m));
    expect(idx("Validating training file")).toBeLessThan(idx("Files validated"));
    expect(idx("Files validated")).toBeLessThan(idx("Fine-tuning job started"));
    expect(idx("Fine-tuning job started")).toBeLessThan(idx("Step 1/"));
    expect(idx("New fine-tuned model created")).toBeGreaterThan(idx("Step "));
    const metrics = events.filter((e) => e.type === "metrics");
    const steps = autoEpochs(12) * 12;
    expect(metrics[0]!.data).toMatchObject({ step: steps, total_steps: steps, train_loss: expect.any(Number) });
    for (const e of events) expect(e).toMatchObject({ object: "fine_tuning.job.event", level: "info", id: expect.stringMatching(/^ftevent-/) });
    const created_ats = events.map((e) => e.created_at);
    expect(created_ats).toEqual([...created_ats].sort((a, b) => b - a));

    // Checkpoints: the last three epochs, newest first, losses decreasing over training.
    const ckpts = (await client.fineTuning.jobs.checkpoints.list(job.id)).data;
    expect(ckpts.map((c) => c.step_number)).toEqual([steps, steps - 12, steps - 24]);
    expect(ckpts[0]!.fine_tuned_model_checkpoint).toBe(`${job.fine_tuned_model}:ckpt-step-${steps}`);
    const chrono = [...ckpts].reverse();
    for (let i = 1; i < chrono.length; i++) {
      expect(chrono[i]!.metrics.train_loss!).toBeLessThan(chrono[i - 1]!.metrics.train_loss!);
      expect(chrono[i]!.metrics.valid_loss!).toBeLessThan(chrono[i - 1]!.metrics.valid_loss!);
    }
    const ckptPages = [];
    for await (const c of client.fineTuning.jobs.checkpoints.list(job.id, { limit: 1 })) ckptPages.push(c.id);
    expect(ckptPages).toEqual(ckpts.map((c) => c.id));

    // Result file: CSV of step metrics.
    expect(job.result_files).toHaveLength(1);
    const resultFile = await client.files.retrieve(job.result_files[0]!);
    expect(resultFile).toMatchObject({ purpose: "fine-tune-results", filename: "step_metrics.csv" });
    const csv = (await (await client.files.content(resultFile.id)).text()).trim().split("\n");
    expect(csv[0]).toBe("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy");
    expect(csv).toHaveLength(steps + 1);

    // The model exists, with its base's shutdown date; deleting it makes it 404.
    const model = await client.models.retrieve(job.fine_tuned_model!);
    expect(model).toMatchObject({ id: job.fine_tuned_model, object: "model", owned_by: "org-emulator" });
    expect(model.shutdown_date).toBe((await client.models.retrieve("gpt-4o-mini-2024-07-18")).shutdown_date);
    expect((await client.models.list()).data.map((m) => m.id)).toContain(job.fine_tuned_model);
    const state = await emu.state();
    const log = state.log.filter((e) => [job.id, job.fine_tuned_model].includes(e.id)).map((e) => e.action);
    expect(log).toEqual(["job.created", "model.created", "job.succeeded"]);
    expect(state.models.map((m) => m.id)).toContain(job.fine_tuned_model);

    expect(await client.models.delete(job.fine_tuned_model!)).toEqual({ id: job.fine_tuned_model, object: "model", deleted: true });
    await expect(client.models.retrieve(job.fine_tuned_model!)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.models.delete(job.fine_tuned_model!)).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    expect((await client.models.list()).data.map((m) => m.id)).not.toContain(job.fine_tuned_model);
    expect((await emu.state()).log.map((e) => e.action)).toContain("model.deleted");
  });

  it("names the model without a suffix as ft:<base>:<org>::<id>, honours n_epochs, and trains DPO with a validation file", async () => {
    const train = await uploadJsonl(client, dpoExamples(10), "dpo.jsonl");
    const valid = await uploadJsonl(client, dpoExamples(10), "dpo-valid.jsonl");
    const created = await client.fineTuning.jobs.create({
      model: "gpt-4.1-mini-2025-04-14",
      training_file: train.id,
      validation_file: valid.id,
      method: { type: "dpo", dpo: { hyperparameters: { n_epochs: 2, beta: 0.2, batch_size: 2 } } },
    });
    const { job } = await waitForJob(client, created.id, ["succeeded", "failed"]);
    expect(job.status).toBe("succeeded");
    expect(job.fine_tuned_model).toMatch(/^ft:gpt-4\.1-mini-2025-04-14:emulator-org::[A-Za-z0-9]{8}$/);
    expect(job.method).toEqual({
      type: "dpo",
      dpo: { hyperparameters: { n_epochs: 2, beta: 0.2, batch_size: 2, learning_rate_multiplier: expect.any(Number) } },
    });
    expect(job.validation_file).toBe(valid.id);
    const ckpts = (await client.fineTuning.jobs.checkpoints.list(job.id)).data;
    expect(ckpts.map((c) => c.step_number)).toEqual([10, 5]); // 2 epochs of 5 batches
    const metrics = (await client.fineTuning.jobs.listEvents(job.id, { limit: 100 })).data.filter((e) => e.type === "metrics");
    expect(metrics[0]!.data).toMatchObject({ valid_loss: expect.any(Number) });
  });

  it("validates a larger file (off the event loop) and bills its real tokens", async () => {
    const examples = chatExamples(6000);
    const file = await uploadJsonl(client, examples);
    expect(file.bytes).toBeGreaterThan(1024 * 1024);
    const created = await client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id, hyperparameters: { n_epochs: 1 } });
    const { job } = await waitForJob(client, created.id, ["succeeded", "failed"], 60_000, 50);
    expect(job.status).toBe("succeeded");
    const report = await analyzeDataset({ content: jsonl(examples) }, { model: "gpt-4o-mini-2024-07-18", method: "supervised", nEpochs: 1, noCache: true });
    expect(job.trained_tokens).toBe(report.billedTokens);
    expect(job.hyperparameters).toMatchObject({ n_epochs: 1, batch_size: 12 });
  });

  it("fails a job on bad training data, naming the first bad line", async () => {
    const lines: (object | string)[] = chatExamples(12);
    lines[4] = { messages: [{ role: "user", content: "hi" }, { role: "assistant" }] };
    lines[7] = "{not json";
    const file = await uploadJsonl(client, lines);
    const created = await client.fineTuning.jobs.create({ model: "gpt-4o-mini-2024-07-18", training_file: file.id });
    const { job } = await waitForJob(client, created.id, ["succeeded", "failed"]);
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ param: "training_file", code: expect.any(String), message: expect.stringContaining("line 5") });
    expect(job.fine_tuned_model).toBeNull();
    expect(job.finished_at).not.toBeNull();
    const events = (await client.fineTuning.jobs.listEvents(job.id)).data;
    expect(events[0]).toMatchObject({ level: "error" });
    expect((await emu.state()).log.filter((e) => e.id === job.id).map((e) => e.action)).toEqual(["job.created", "job.failed"]);
  });

  it("fails a job with fewer than 10 examples", async () => {
    const file = await uploadJsonl(client, chatExamples(5));
    const created = await client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id });
    const { job } = await waitForJob(client, created.id, ["succeeded", "failed"]);
    expect(job.status).toBe("failed");
    expect(job.error?.code).toBe("too_few_examples");
    expect(job.error?.message).toMatch(/10/);
  });

  it("cancels a job, and refuses to cancel it twice (400, never 409)", async () => {
    const file = await uploadJsonl(client, chatExamples(10));
    const created = await client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id });
    const cancelled = await client.fineTuning.jobs.cancel(created.id);
    expect(cancelled.status).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.fineTuning.jobs.retrieve(created.id)).status).toBe("cancelled");
    const again = client.fineTuning.jobs.cancel(created.id);
    await expect(again).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(client.fineTuning.jobs.pause(created.id)).rejects.toMatchObject({ status: 400 });
    await expect(client.fineTuning.jobs.resume(created.id)).rejects.toMatchObject({ status: 400 });
    expect((await emu.state()).log.filter((e) => e.id === created.id).map((e) => e.action)).toEqual(["job.created", "job.cancelled"]);
    await expect(client.fineTuning.jobs.cancel("ftjob-doesnotexist")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("fails the next n jobs during training when asked (failNextJobs)", async () => {
    await emu.faults({ failNextJobs: 1 });
    const file = await uploadJsonl(client, chatExamples(10));
    const first = await client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id });
    const second = await client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id });
    const a = (await waitForJob(client, first.id, ["succeeded", "failed"])).job;
    const b = (await waitForJob(client, second.id, ["succeeded", "failed"])).job;
    expect(a.status).toBe("failed");
    expect(a.error).toMatchObject({ code: "server_error", param: null });
    const metrics = (await client.fineTuning.jobs.listEvents(a.id, { limit: 100 })).data.filter((e) => e.type === "metrics");
    expect(metrics.length).toBeGreaterThan(0); // it failed during training, not at validation
    expect(b.status).toBe("succeeded");
  });

  it("refuses job creation for an organisation without fine-tuning access (blockFineTuning)", async () => {
    const file = await uploadJsonl(client, chatExamples(10));
    await emu.faults({ blockFineTuning: true });
    const attempt = client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id });
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(attempt).rejects.toThrow(/fine-tuning job creation is not available for this organization/i);
    // Existing things keep working.
    expect((await client.fineTuning.jobs.list()).data.length).toBeGreaterThan(0);
    await emu.faults({ blockFineTuning: false });
    await expect(client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id })).resolves.toMatchObject({ status: "validating_files" });
  });

  it("continues fine-tuning from an existing fine-tuned model", async () => {
    const file = await uploadJsonl(client, chatExamples(10));
    const first = (await waitForJob(client, (await client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id, suffix: "one" })).id, ["succeeded"])).job;
    const second = await client.fineTuning.jobs.create({ model: first.fine_tuned_model!, training_file: file.id, suffix: "two" });
    expect(second.model).toBe(first.fine_tuned_model);
    const done = (await waitForJob(client, second.id, ["succeeded", "failed"])).job;
    expect(done.fine_tuned_model).toMatch(/^ft:gpt-4o-mini-2024-07-18:emulator-org:two:/);
  });
});

describe("job list and create validation", () => {
  it("lists newest first, filters by metadata and auto-paginates", async () => {
    await emu.reset();
    const file = await uploadJsonl(client, chatExamples(10));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const j = await client.fineTuning.jobs.create({
        model: "gpt-4o-mini",
        training_file: file.id,
        metadata: { batch: i % 2 === 0 ? "even" : "odd", n: String(i) },
      });
      ids.push(j.id);
    }
    const plain = await client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id });
    expect((await client.fineTuning.jobs.list()).data.map((j) => j.id)).toEqual([plain.id, ...[...ids].reverse()]);
    const even = await client.fineTuning.jobs.list({ metadata: { batch: "even" } });
    expect(even.data.map((j) => j.id)).toEqual([ids[4], ids[2], ids[0]]);
    const one = await client.fineTuning.jobs.list({ metadata: { batch: "odd", n: "3" } });
    expect(one.data.map((j) => j.id)).toEqual([ids[3]]);
    const all: string[] = [];
    for await (const j of client.fineTuning.jobs.list({ limit: 2 })) all.push(j.id);
    expect(all).toEqual([plain.id, ...[...ids].reverse()]);
    const byRoute = (await emu.state()).requests.byRoute;
    expect(byRoute["GET /v1/fine_tuning/jobs"]).toBeGreaterThanOrEqual(3 + 3);
    expect(byRoute["POST /v1/fine_tuning/jobs"]).toBe(6);
  });

  it("validates create parameters like OpenAI (400 BadRequestError with param)", async () => {
    const file = await uploadJsonl(client, chatExamples(10));
    const other = await client.files.create({ file: new File(["{}\n"], "x.jsonl"), purpose: "user_data" });
    const cases: [Record<string, unknown>, string | null, RegExp?][] = [
      [{ training_file: file.id }, "model"],
      [{ model: "gpt-4o-mini" }, "training_file"],
      [{ model: "gpt-4", training_file: file.id }, "model", /not available for fine-tuning/],
      [{ model: "gpt-4o-mini", training_file: "file-nope" }, "training_file"],
      [{ model: "gpt-4o-mini", training_file: other.id }, "training_file", /purpose/],
      [{ model: "gpt-4o-mini", training_file: file.id, validation_file: "file-nope" }, "validation_file"],
      [{ model: "gpt-4o-mini", training_file: file.id, suffix: "x".repeat(65) }, "suffix"],
      [{ model: "gpt-4o-mini", training_file: file.id, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, "metadata"],
      [{ model: "gpt-4o-mini", training_file: file.id, metadata: { k: "v".repeat(513) } }, "metadata.k"],
      [{ model: "gpt-4o-mini", training_file: file.id, method: { type: "dpo" } }, "method.type", /does not support/],
      [{ model: "gpt-4o-mini", training_file: file.id, method: { type: "magic" } }, "method.type"],
      [{ model: "gpt-4o-mini", training_file: file.id, method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 0 } } } }, "method.supervised.hyperparameters.n_epochs"],
      [{ model: "gpt-4o-mini", training_file: file.id, method: { type: "supervised", supervised: { hyperparameters: { warmup: 3 } } } }, "method.supervised.hyperparameters.warmup"],
      [{ model: "gpt-4o-mini", training_file: file.id, hyperparameters: { n_epochs: "many" } }, "hyperparameters.n_epochs"],
      [{ model: "o4-mini", training_file: file.id, method: { type: "reinforcement", reinforcement: {} } }, "method.reinforcement.grader"],
      [{ model: "gpt-4o-mini", training_file: file.id, integrations: [{ type: "slack" }] }, "integrations[0].type"],
      [{ model: "gpt-4o-mini", training_file: file.id, seed: 1.5 }, "seed"],
      [{ model: "gpt-4o-mini", training_file: file.id, colour: "blue" }, "colour"],
    ];
    for (const [body, param, message] of cases) {
      const attempt = client.fineTuning.jobs.create(body as never);
      await expect(attempt).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      await expect(attempt).rejects.toMatchObject({ status: 400, param, type: "invalid_request_error" });
      if (message) await expect(attempt).rejects.toThrow(message);
    }
    expect((await emu.state()).jobs.filter((j) => j.training_file === file.id)).toHaveLength(0);
  });
});

describe("simulated durations", () => {
  it("a 10-example job takes about 20 s at time scale 1 (1 s at 20)", async () => {
    const scaled = await startEmulator({ timeScale: 20 });
    try {
      const c = scaled.client({ maxRetries: 0 });
      const file = await uploadJsonl(c, chatExamples(10));
      const started = Date.now();
      const created = await c.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id });
      const { job, seen } = await waitForJob(c, created.id, ["succeeded", "failed"], 30_000, 10);
      const took = Date.now() - started;
      expect(job.status).toBe("succeeded");
      expect(seen).toEqual(["validating_files", "queued", "running", "succeeded"]);
      expect(took).toBeGreaterThan(900);
      expect(took).toBeLessThan(4000);
      expect(job.estimated_finish).toBeNull();
    } finally {
      await scaled.stop();
    }
  });
});

describe("pause and resume", () => {
  it("pauses a running job (progress stops) and resumes it to success", async () => {
    const slow = await startEmulator({ timeScale: 10 });
    try {
      const c = slow.client({ maxRetries: 0 });
      const file = await uploadJsonl(c, chatExamples(10));
      const created = await c.fineTuning.jobs.create({
        model: "gpt-4o-mini",
        training_file: file.id,
        method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 3 } } },
      });
      await expect(c.fineTuning.jobs.pause(created.id)).rejects.toMatchObject({ status: 400 }); // not running yet
      await waitFor(async () => (await c.fineTuning.jobs.retrieve(created.id)).status === "running", "running", 20_000, 10);
      const paused = await c.fineTuning.jobs.pause(created.id);
      expect(paused.status).toBe("paused");
      const stepsAt = async () =>
        (await c.fineTuning.jobs.listEvents(created.id, { limit: 100 })).data.filter((e) => e.type === "metrics").length;
      const before = await stepsAt();
      await new Promise((r) => setTimeout(r, 1500));
      expect((await c.fineTuning.jobs.retrieve(created.id)).status).toBe("paused");
      expect(await stepsAt()).toBe(before);
      await expect(c.fineTuning.jobs.pause(created.id)).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      const resumed = await c.fineTuning.jobs.resume(created.id);
      expect(resumed.status).toBe("running");
      const { job } = await waitForJob(c, created.id, ["succeeded", "failed"], 30_000);
      expect(job.status).toBe("succeeded");
      const messages = (await c.fineTuning.jobs.listEvents(created.id, { limit: 100 })).data.map((e) => e.message);
      expect(messages).toContain("Fine-tuning job paused");
      expect(messages).toContain("Fine-tuning job resumed");
    } finally {
      await slow.stop();
    }
  });
});
