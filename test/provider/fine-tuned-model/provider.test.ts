import { rmSync, writeFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { provider } from "../../../provider/fine-tuned-model/provider";
import { trainingIdentity } from "../../../provider/fine-tuned-model/job";
import { provider as files } from "../../../provider/training-file/provider";
import { PartialResourceError } from "../../../provider/errors";
import { analyzeDataset, sha256Content } from "../../../provider/dataset";
import { UNKNOWN } from "../../../provider/schema";
import type { RunningEmulator } from "../../helpers/emulator";
import { waitForJob } from "../../helpers/wait";
import { apiCalls, chatDataset, withEmulator, writeDataset } from "../../helpers/provider-env";

const current = withEmulator();
let emulator: RunningEmulator;
beforeEach(() => (emulator = current()));

const BASE = "gpt-4o-mini-2024-07-18";
const owner = "quickstart/dev/support-model";

/** Uploads a dataset through the TrainingFile provider and returns FineTunedModel inputs for it. */
async function modelInputs(extra: Record<string, unknown> = {}, examples = 12) {
  const content = chatDataset(examples);
  const path = writeDataset(content);
  const contentHash = sha256Content(content).sha256;
  const { id } = await files.create({ path, contentHash, owner: `${owner}-data`, purpose: "fine-tune", uploadPartThresholdBytes: 1 << 29, validate: true });
  const news = { baseModel: BASE, trainingFile: id, trainingFileHash: contentHash, trainingDataset: { path }, owner, pollIntervalSeconds: 0.2, ...extra };
  const result = await provider.check({}, news);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as Record<string, unknown>;
}

/** Calls other than the base model's `models.retrieve`, which a check that would train makes once. */
async function nonVerifyingCalls(emulator: RunningEmulator): Promise<number> {
  const { requests } = await emulator.state();
  return requests.total - (requests.byRoute["GET /v1/models/{id}"] ?? 0);
}

async function partial(promise: Promise<unknown>): Promise<PartialResourceError> {
  const err = await promise.then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(PartialResourceError);
  return err as PartialResourceError;
}

describe("FineTunedModel check()", () => {
  const valid = { baseModel: BASE, trainingFile: "file-abc", owner };

  it("never reads the dataset again: after the TrainingFile's check it answers from the cached scan by hash", async () => {
    const content = chatDataset(14, "read-once");
    const path = writeDataset(content);
    const contentHash = sha256Content(content).sha256;
    const fileCheck = await files.check({}, { path, contentHash, owner: `${owner}-data`, purpose: "fine-tune" });
    expect(fileCheck.failures ?? []).toEqual([]);
    // The dataset is gone: only the TrainingFile's cached scan can give these figures.
    rmSync(path);
    const news = { baseModel: BASE, trainingFile: UNKNOWN, trainingFileHash: contentHash, trainingDataset: { path }, owner, hyperparameters: { nEpochs: 2 } };
    const { inputs, failures } = await provider.check({}, news);
    expect(failures ?? []).toEqual([]);
    const expected = await analyzeDataset({ content }, { model: BASE, nEpochs: 2, noCache: true });
    expect(inputs).toMatchObject({ estimatedTrainingTokens: expected.billedTokens, estimatedCostUsd: expected.estimatedCostUsd });
    expect(expected.billedTokens).toBeGreaterThan(0);
  });

  it.each([
    ["negative epochs", "hyperparameters", { hyperparameters: { nEpochs: -1 } }],
    ["an unknown method", "method", { method: { type: "distillation" } }],
    ["a suffix over 64 characters", "suffix", { suffix: "x".repeat(65) }],
    ["more than 14 metadata keys", "metadata", { metadata: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, "v"])) }],
    ["a metadata value over 512 characters", "metadata", { metadata: { note: "x".repeat(513) } }],
    ["a reserved metadata key", "metadata", { metadata: { pulumi_owner: "me" } }],
    ["hyperparameters given twice", "hyperparameters", { method: { type: "supervised" }, hyperparameters: { nEpochs: 2 } }],
    ["a method the model does not support", "method", { method: { type: "dpo" } }],
    ["an empty base model", "baseModel", { baseModel: "" }],
  ])("fails for %s, naming %s, with no API call", async (_what, property, extra) => {
    const { failures } = await provider.check({}, { ...valid, ...extra });
    expect(failures).toEqual([expect.objectContaining({ property })]);
    expect(failures?.[0].reason.length).toBeGreaterThan(5);
    expect(await apiCalls(emulator)).toBe(0);
  });

  it("estimates tokens and cost from the local dataset and fails over maxTrainingCostUsd", async () => {
    const path = writeDataset(chatDataset(20));
    const news = { ...valid, trainingDataset: { path }, hyperparameters: { nEpochs: 3 } };
    const ok = await provider.check({}, news);
    expect(ok.failures ?? []).toEqual([]);
    expect(ok.inputs).toMatchObject({ estimatedTrainingTokens: expect.any(Number), estimatedCostUsd: expect.any(Number) });
    const { estimatedCostUsd } = ok.inputs as { estimatedCostUsd: number };
    const capped = await provider.check({}, { ...news, maxTrainingCostUsd: estimatedCostUsd / 2 });
    expect(capped.failures).toEqual([expect.objectContaining({ property: "maxTrainingCostUsd", reason: expect.stringMatching(/exceeds maxTrainingCostUsd/) })]);
    expect(await nonVerifyingCalls(emulator)).toBe(0);
  });

  it("re-checks from the TrainingFile's hash without reading the dataset again", async () => {
    const content = chatDataset(20, "hinted");
    const path = writeDataset(content);
    const news = { ...valid, trainingDataset: { path }, trainingFileHash: sha256Content(content).sha256 };
    const first = await provider.check({}, news);
    expect(first.failures ?? []).toEqual([]);
    // Other bytes under the same hash: only a check that did not read the file returns the first estimate.
    writeFileSync(path, chatDataset(40, "hinted"));
    const again = await provider.check({}, news);
    expect(again.inputs).toMatchObject({ estimatedTrainingTokens: (first.inputs as Record<string, unknown>).estimatedTrainingTokens });
    const unhinted = await provider.check({}, { ...news, trainingFileHash: undefined });
    expect((unhinted.inputs as Record<string, number>).estimatedTrainingTokens).not.toBe((first.inputs as Record<string, number>).estimatedTrainingTokens);
    expect(await nonVerifyingCalls(emulator)).toBe(0);
  });

  it("fails a dataset in the wrong format for the method, naming the line", async () => {
    const path = writeDataset(chatDataset(12));
    const { failures } = await provider.check({}, { ...valid, baseModel: "gpt-4.1-mini-2025-04-14", method: { type: "dpo" }, trainingDataset: { path } });
    expect(failures?.[0]).toMatchObject({ property: "trainingFile", reason: expect.stringMatching(/line 1/) });
  });

  it("warns about what depends on the model, leaving dataset-only warnings to the TrainingFile", async () => {
    const warn = jest.spyOn(pulumi.log, "warn");
    const path = writeDataset(chatDataset(12));
    await provider.check({}, { ...valid, baseModel: "acme-compatible-model", trainingDataset: { path } });
    const model = warn.mock.calls.map(([message]) => message).join("\n");
    warn.mockClear();
    await files.check({}, { path, contentHash: sha256Content(chatDataset(12)).sha256, owner: `${owner}-data` });
    const dataset = warn.mock.calls.map(([message]) => message).join("\n");
    warn.mockRestore();
    expect(model).toContain("[unknown_model]");
    expect(model).not.toContain("[few_examples]");
    expect(dataset).toContain("[few_examples]");
    expect(dataset).not.toMatch(/\[(unknown_model|no_model)\]/);
  });

  it("verifies the key and base model with one call when it would train, and makes none for an unchanged resource", async () => {
    const path = writeDataset(chatDataset(12));
    const news = { ...valid, trainingDataset: { path } };
    expect((await provider.check({}, news)).failures ?? []).toEqual([]);
    expect((await emulator.state()).requests.byRoute).toEqual({ "GET /v1/models/{id}": 1 });
    const checked = (await provider.check({}, news)).inputs as Record<string, unknown>;
    const before = await apiCalls(emulator);
    expect((await provider.check(checked, news)).failures ?? []).toEqual([]);
    expect(await apiCalls(emulator)).toBe(before);
    // A replacing change trains again: verified again.
    await provider.check(checked, { ...news, suffix: "v2" });
    expect(await apiCalls(emulator)).toBe(before + 1);
  });

  it("refuses an unknown base model the endpoint does not serve, suggesting the nearest ids", async () => {
    const { failures } = await provider.check({}, { ...valid, baseModel: "gpt-4o-mini-2024-07-1" });
    expect(failures).toEqual([expect.objectContaining({ property: "baseModel", reason: expect.stringMatching(/did you mean gpt-4o-mini-2024-07-18/) })]);
  });

  it("does not refuse on errors that say nothing of the key or model (5xx after its tries): warns that they were not verified", async () => {
    await emulator.faults({ rate500: 1 });
    const warn = jest.spyOn(pulumi.log, "warn");
    try {
      const { failures } = await provider.check({}, { ...valid, suffix: "blip" });
      expect(failures ?? []).toEqual([]);
      expect(warn.mock.calls.map(([m]) => m).join("\n")).toMatch(/checking the API key and base model gpt-4o-mini-2024-07-18 before training \(HTTP 500\): .* after 3 tries: not verified now; a wrong key or base model would still stop the job's create/);
    } finally {
      warn.mockRestore();
      await emulator.faults({ rate500: 0 });
    }
    expect((await emulator.state()).requests.byRoute["GET /v1/models/{id}"]).toBe(3);
  });

  it("accepts unknown values at preview", async () => {
    const { failures } = await provider.check({}, { ...valid, trainingFile: UNKNOWN, baseModel: UNKNOWN });
    expect(failures ?? []).toEqual([]);
  });
});

describe("FineTunedModel lifecycle", () => {
  it("trains, waits and records the model, its checkpoints and its base model's shutdown date", async () => {
    const inputs = await modelInputs({ suffix: "support" });
    const { id, outs } = await provider.create(inputs);
    const job = (await emulator.state()).jobs.find((j) => j.id === id);
    expect(outs).toMatchObject({
      jobId: id,
      status: "succeeded",
      fineTunedModel: job?.fine_tuned_model,
      trainedTokens: job?.trained_tokens,
      trainingFileHash: inputs.trainingFileHash,
    });
    expect(outs.fineTunedModel).toMatch(new RegExp(`^ft:${BASE}:[^:]+:support:`));
    expect(outs.checkpoints).toHaveLength(3);
    expect(outs.resultFiles.length).toBeGreaterThan(0);
    // The emulator's catalog (as the API's models.retrieve reports it).
    expect(outs.baseModelShutdownDate).toBe("2027-01-14");
  });

  it("adopts the job an interrupted create started instead of paying for a second one", async () => {
    const inputs = await modelInputs({ waitTimeoutMinutes: 0.0001 });
    const first = await partial(provider.create(inputs));
    // The first up died before its result reached the state: the next create must find that job.
    const second = await provider.create({ ...inputs, waitTimeoutMinutes: 10 });
    expect(second.id).toBe(first.id);
    expect((await emulator.state()).jobs).toHaveLength(1);
  });

  it("records the dataset hash in the job, and still adopts a job of v0.1.0 that has no pulumi_dataset", async () => {
    const inputs = await modelInputs({ waitTimeoutMinutes: 10 });
    const { id } = await provider.create(inputs);
    const job = await emulator.client().fineTuning.jobs.retrieve(id);
    expect(job.metadata).toEqual({ pulumi_owner: owner, pulumi_inputs: trainingIdentity(inputs as never), pulumi_dataset: inputs.trainingFileHash });

    // What v0.1.0 wrote: the same owner and identity keys, no dataset key. The interrupted create's
    // job is found by them and adopted, not trained again.
    await emulator.reset();
    const again = await modelInputs({ waitTimeoutMinutes: 10 });
    const legacy = await emulator.client().fineTuning.jobs.create({
      model: BASE,
      training_file: again.trainingFile as string,
      metadata: { pulumi_owner: owner, pulumi_inputs: trainingIdentity(again as never) },
    });
    const adopted = await provider.create(again);
    expect(adopted.id).toBe(legacy.id);
    expect((await emulator.state()).jobs).toHaveLength(1);
  });

  it("saves a partial resource at the wait deadline and resumes waiting through update", async () => {
    const inputs = await modelInputs({ waitTimeoutMinutes: 0.0001 });
    const err = await partial(provider.create(inputs));
    expect(err.message).toMatch(/run `pulumi up` again to keep waiting/);
    expect(err.properties).toMatchObject({ jobId: err.id, __provider: undefined });
    expect(err.properties.status).not.toBe("succeeded");
    const { outs } = await provider.update(err.id, err.properties, { ...inputs, waitTimeoutMinutes: 10 });
    expect(outs).toMatchObject({ status: "succeeded", jobId: err.id });
    expect((await emulator.state()).jobs).toHaveLength(1);
  });

  it("fails with the API's error code and message when training fails, then retrains on the next up", async () => {
    await emulator.faults({ failNextJobs: 1 });
    const inputs = await modelInputs();
    const err = await partial(provider.create(inputs));
    const job = (await emulator.state()).jobs[0];
    expect(job.status).toBe("failed");
    expect(err.message).toContain(job.error?.code ?? "missing code");
    expect(err.message).toContain(job.error?.message ?? "missing message");
    expect(await provider.diff(err.id, err.properties, inputs)).toMatchObject({ changes: true, replaces: ["status"] });
    const { id } = await provider.create(inputs);
    expect(id).not.toBe(err.id);
  });

  it("fails a cancelled job plainly", async () => {
    const inputs = await modelInputs({ waitTimeoutMinutes: 0.0001 });
    const err = await partial(provider.create(inputs));
    await emulator.client().fineTuning.jobs.cancel(err.id);
    const resumed = await partial(provider.update(err.id, err.properties, inputs));
    expect(resumed.message).toMatch(/cancelled/);
  });

  it("says plainly when the organisation may not create fine-tuning jobs", async () => {
    await emulator.faults({ blockFineTuning: true });
    const inputs = await modelInputs();
    await expect(provider.create(inputs)).rejects.toThrow(/cannot start new fine-tuning jobs.*Existing fine-tuned models stay managed/);
    expect((await emulator.state()).jobs).toHaveLength(0);
  });

  it("replaces on training inputs, updates provider settings with no API call, and shows no change for metadata", async () => {
    const inputs = await modelInputs({ hyperparameters: { nEpochs: 2 } });
    const { id, outs } = await provider.create(inputs);
    expect((await provider.diff(id, outs, { ...inputs, hyperparameters: { nEpochs: 3 } })).replaces).toEqual(["hyperparameters"]);
    expect((await provider.diff(id, outs, { ...inputs, trainingFile: UNKNOWN })).replaces).toEqual(["trainingFile"]);
    // The API cannot change an existing job's metadata: no diff (nothing downstream goes unknown), a warning.
    const warn = jest.spyOn(pulumi.log, "warn");
    expect(await provider.diff(id, outs, { ...inputs, metadata: { team: "ml" } })).toMatchObject({ changes: false, replaces: [] });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(`the API cannot change the metadata of existing job ${id}; the new metadata applies to the next training`));
    expect(await provider.diff(id, outs, { ...inputs, metadata: { team: "ml" }, waitTimeoutMinutes: 5 })).toMatchObject({ changes: true, replaces: [] });
    warn.mockRestore();
    for (const change of [{ waitTimeoutMinutes: 5 }, { deleteModelOnDestroy: false }, { metadata: { team: "ml" } }]) {
      const news = { ...inputs, ...change };
      expect(await provider.diff(id, outs, news)).toEqual({ changes: !("metadata" in change), replaces: [], deleteBeforeReplace: false });
      const before = await apiCalls(emulator);
      const { outs: updated } = await provider.update(id, outs, news);
      expect(updated).toMatchObject({ ...change, fineTunedModel: outs.fineTunedModel });
      expect(await apiCalls(emulator)).toBe(before);
    }
    expect((await emulator.state()).jobs).toHaveLength(1);
  });

  it("warns from state, without an API call, when the base model retires within 90 days", async () => {
    const warn = jest.spyOn(pulumi.log, "warn");
    const soon = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const olds = { baseModel: BASE, trainingFile: "file-1", owner, fineTunedModel: "ft:x", baseModelShutdownDate: soon };
    await provider.diff("ftjob-1", olds, { ...olds });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`retires on ${soon}`)));
    expect(await apiCalls(emulator)).toBe(0);
    warn.mockRestore();
  });

  it("refreshes, and marks a model deleted out of band so that the next diff retrains", async () => {
    const inputs = await modelInputs();
    const { id, outs } = await provider.create(inputs);
    expect((await provider.read(id, outs)).props).toMatchObject({ status: "succeeded", fineTunedModel: outs.fineTunedModel });
    expect(await provider.diff(id, outs, inputs)).toMatchObject({ changes: false });
    await emulator.client().models.delete(outs.fineTunedModel);
    const refreshed = await provider.read(id, outs);
    expect(refreshed.props).toMatchObject({ modelDeleted: true });
    expect(await provider.diff(id, refreshed.props, inputs)).toMatchObject({ changes: true, replaces: ["fineTunedModel"] });
  });

  it("reports a job gone from the API as gone", async () => {
    const { outs } = await provider.create(await modelInputs());
    expect(await provider.read("ftjob-doesnotexist", outs)).toEqual({});
  });

  it("does not adopt a finished job whose model was deleted: it trains again", async () => {
    const inputs = await modelInputs();
    const { id, outs } = await provider.create(inputs);
    await emulator.client().models.delete(outs.fineTunedModel);
    const again = await provider.create(inputs);
    expect(again.id).not.toBe(id);
  });

  it("imports a job by id with inputs read from the job", async () => {
    const inputs = await modelInputs();
    const client = emulator.client();
    const job = await client.fineTuning.jobs.create({ model: BASE, training_file: String(inputs.trainingFile), suffix: "legacy", seed: 7, method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 2 } } } });
    await waitForJob(client, job.id, ["succeeded"]);
    const { id, props, inputs: imported } = await provider.read(job.id, {});
    expect(id).toBe(job.id);
    expect(imported).toMatchObject({ baseModel: BASE, trainingFile: inputs.trainingFile, suffix: "legacy", seed: 7, method: { type: "supervised", hyperparameters: { nEpochs: 2 } } });
    expect(props).toMatchObject({ status: "succeeded", jobId: job.id });
  });

  it("imports a finished job without replaying its event history, which a new job shows in full", async () => {
    const inputs = await modelInputs({ progress: "verbose" });
    const info = jest.spyOn(pulumi.log, "info");
    const { id } = await provider.create(inputs);
    // Messages are shown as the API words them (metrics lines are reworded); each would show again if replayed.
    const events: string[] = [];
    for await (const e of emulator.client().fineTuning.jobs.listEvents(id, { limit: 100 })) if (e.type === "message") events.push(e.message);
    expect(events).toEqual(expect.arrayContaining(["Fine-tuning job started", "The job has successfully completed"]));
    const shown = (message: string) => info.mock.calls.some(([line]) => String(line).includes(message));
    expect(events.filter(shown)).toEqual(events);
    info.mockClear();
    const imported = await provider.create({ ...inputs, importJobId: id });
    expect(imported.id).toBe(id);
    expect(info.mock.calls.map(([line]) => String(line))).toContainEqual(expect.stringMatching(new RegExp(`importing job ${id} \\(succeeded\\); nothing is trained`)));
    expect(events.filter(shown)).toEqual([]);
    info.mockRestore();
  });

  it("says, when the API stops answering while the job is created, what it tried and what exists afterwards", async () => {
    const inputs = await modelInputs();
    await emulator.faults({ resetRate: 1 });
    const err: Error = await provider.create(inputs).then(() => { throw new Error("created"); }, (e) => e);
    expect(err.message).toMatch(/^support-model: creating the fine-tuning job: the API did not answer \(.+\) \(after 8 tries over \d+ s\); whether a job was created could not be checked \(the API did not answer\); the next `pulumi up` looks before creating, so it never creates a second$/);
    await emulator.faults({ resetRate: 0 });
    expect((await emulator.state()).jobs).toEqual([]);
  });

  it("deletes the model and result files, keeps the model when asked, and treats 404 as done", async () => {
    const { id, outs } = await provider.create(await modelInputs());
    await provider.delete(id, outs);
    const client = emulator.client();
    await expect(client.models.retrieve(outs.fineTunedModel)).rejects.toMatchObject({ status: 404 });
    const state = await emulator.state();
    expect(state.files.filter((f) => outs.resultFiles.includes(f.id))).toEqual([]);
    await expect(provider.delete(id, outs)).resolves.toBeUndefined();

    const kept = await provider.create(await modelInputs({ deleteModelOnDestroy: false, suffix: "kept" }));
    await provider.delete(kept.id, kept.outs);
    await expect(client.models.retrieve(kept.outs.fineTunedModel)).resolves.toMatchObject({ id: kept.outs.fineTunedModel });
  });

  it("cancels a job still training on delete", async () => {
    const err = await partial(provider.create(await modelInputs({ waitTimeoutMinutes: 0.0001 })));
    await provider.delete(err.id, err.properties);
    expect((await emulator.state()).jobs[0].status).toBe("cancelled");
  });
});

describe("the base model's retirement warning, judged by OPENAI_FINETUNE_NOW", () => {
  const olds = { jobId: "ftjob-x", fineTunedModel: "ft:gpt-3.5-turbo-0125:org::abc", baseModel: "gpt-3.5-turbo-0125", baseModelShutdownDate: "2027-01-20", status: "succeeded" };
  afterEach(() => delete process.env.OPENAI_FINETUNE_NOW);

  async function warningsOfDiff(nowIso: string): Promise<string[]> {
    process.env.OPENAI_FINETUNE_NOW = nowIso;
    const warn = jest.spyOn(pulumi.log, "warn");
    try {
      await provider.diff!("ftjob-x", olds, {});
      return warn.mock.calls.map(([message]) => message);
    } finally {
      warn.mockRestore();
    }
  }

  it.each([
    ["2026-12-02", ["ft:gpt-3.5-turbo-0125:org::abc: its base model gpt-3.5-turbo-0125 retires on 2027-01-20 (in 49 days); the fine-tuned model stops serving then"]],
    ["2026-10-22", ["ft:gpt-3.5-turbo-0125:org::abc: its base model gpt-3.5-turbo-0125 retires on 2027-01-20 (in 90 days); the fine-tuned model stops serving then"]],
    ["2026-10-21", []],
    ["2027-02-01", ["ft:gpt-3.5-turbo-0125:org::abc: its base model gpt-3.5-turbo-0125 retired on 2027-01-20; the fine-tuned model stops serving then"]],
  ])("on %s warns %j", async (nowIso, expected) => {
    expect(await warningsOfDiff(nowIso)).toEqual(expected);
    expect(await apiCalls(emulator)).toBe(0);
  });

  it("refuses a malformed OPENAI_FINETUNE_NOW, naming it", async () => {
    await expect(warningsOfDiff("next tuesday")).rejects.toThrow('OPENAI_FINETUNE_NOW must be an ISO date or date-time (e.g. 2026-12-02), got "next tuesday"');
  });
});
