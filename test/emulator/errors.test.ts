import OpenAI from "openai";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatExamples, uploadJsonl } from "./fixtures";

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ apiKey: "sk-the-right-key" });
});
afterAll(async () => {
  await emu?.stop();
});
beforeEach(async () => {
  await emu.reset();
});

describe("SDK error classes", () => {
  it("AuthenticationError for a wrong key and for no key; the right key works", async () => {
    const wrong = emu.client({ apiKey: "sk-wrong-key-1234", maxRetries: 0 });
    const attempt = wrong.models.list();
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(attempt).rejects.toMatchObject({ status: 401, code: "invalid_api_key", type: "invalid_request_error" });
    await expect(attempt).rejects.not.toThrow(/sk-wrong-key-1234/); // the key is masked
    const res = await fetch(`${emu.baseURL}/models`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { message: expect.stringMatching(/didn't provide an API key/), type: "invalid_request_error", param: null, code: null } });
    const listed = await emu.client().models.list();
    expect(listed.data.map((m) => m.id)).toContain("gpt-4o-mini-2024-07-18");
  });

  it("NotFoundError for unknown objects and URLs, with the error envelope", async () => {
    const client = emu.client({ maxRetries: 0 });
    await expect(client.files.retrieve("file-missing")).rejects.toMatchObject({ status: 404, param: "id" });
    await expect(client.fineTuning.jobs.retrieve("ftjob-missing")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.fineTuning.jobs.listEvents("ftjob-missing")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.fineTuning.jobs.checkpoints.list("ftjob-missing")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.models.retrieve("ft:gpt-4o-mini-2024-07-18:emulator-org::gone1234")).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
    await expect(client.get("/nothing/here")).rejects.toMatchObject({ status: 404, message: expect.stringContaining("Invalid URL") });
  });

  it("BadRequestError for invalid parameters; deleting a base model is refused with 403", async () => {
    const client = emu.client({ maxRetries: 0 });
    await expect(client.fineTuning.jobs.list({ limit: 1000 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(client.models.delete("gpt-4o-mini")).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(client.models.retrieve("gpt-4o-mini")).resolves.toMatchObject({ id: "gpt-4o-mini" });
  });

  it("RateLimitError after the retries are exhausted, honouring retry-after", async () => {
    await emu.faults({ rate429: 1, retryAfterSeconds: 0.05 });
    const client = emu.client({ maxRetries: 2 });
    const started = Date.now();
    const attempt = client.files.list();
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(attempt).rejects.toMatchObject({ status: 429, code: "rate_limit_exceeded" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100); // two waits of 50 ms
    const state = await emu.state();
    expect(state.faults.injected429).toBe(3); // first try + 2 retries
    expect(state.requests.byRoute["GET /v1/files"]).toBe(3);
    const headers = state.received.filter((r) => r.path === "/v1/files").map((r) => r.headers["x-stainless-retry-count"]);
    expect(headers).toEqual(["0", "1", "2"]);
    // Admin routes are not subject to faults nor counted.
    expect((await emu.state()).requests.total).toBe(3);
  });

  it("InternalServerError after retries on injected 500s", async () => {
    await emu.faults({ rate500: 1, retryAfterSeconds: 0.01 });
    const attempt = emu.client({ maxRetries: 1 }).models.list();
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(attempt).rejects.toMatchObject({ status: 500, type: "server_error" });
    expect((await emu.state()).faults.injected500).toBe(2);
  });

  it("the SDK rides through random 429s and 500s by retrying", async () => {
    const client = emu.client({ maxRetries: 20 });
    const file = await uploadJsonl(client, chatExamples(10));
    await emu.faults({ rate429: 0.25, rate500: 0.25, retryAfterSeconds: 0.001, seed: 11 });
    const results = [];
    for (let i = 0; i < 25; i++) {
      results.push(await client.files.retrieve(file.id));
      results.push(await client.fineTuning.jobs.list({ limit: 1 }));
    }
    const job = await client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id });
    expect(job.status).toBe("validating_files");
    expect(results).toHaveLength(50);
    const state = await emu.state();
    expect(state.faults.injected429).toBeGreaterThan(0);
    expect(state.faults.injected500).toBeGreaterThan(0);
    // Every fault cost one extra request; nothing else did, and exactly one job was created.
    expect(state.requests.total).toBe(1 + 50 + 1 + state.faults.injected429 + state.faults.injected500);
    expect(state.jobs).toHaveLength(1);
  });

  it("a reset connection is an APIConnectionError without retries, and retried otherwise", async () => {
    await emu.faults({ resetRate: 1 });
    await expect(emu.client({ maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    const retrying = emu.client({ maxRetries: 5 }).models.list();
    // Once the retried request has been reset at least once, let the next attempt through.
    while ((await emu.state()).faults.resets < 2) await new Promise((r) => setTimeout(r, 10));
    await emu.faults({ resetRate: 0 });
    await expect(retrying).resolves.toMatchObject({ data: expect.any(Array) });
    const state = await emu.state();
    expect(state.requests.byRoute["GET /v1/models"]).toBe(state.faults.resets + 1);
  });

  it("a lost answer (dropResponseRate): the request took effect though the client saw a connection error", async () => {
    const client = emu.client({ maxRetries: 0 });
    const file = await uploadJsonl(client, chatExamples(10));
    await emu.faults({ dropResponseRate: 1 });
    await expect(client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id })).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    await emu.faults({ dropResponseRate: 0 });
    const state = await emu.state();
    expect(state.faults.droppedResponses).toBe(1);
    expect(state.jobs).toHaveLength(1); // created, though the client never heard of it
    expect((await client.fineTuning.jobs.list()).data.map((j) => j.id)).toEqual([state.jobs[0]!.id]);
  });

  it("rejects invalid fault settings", async () => {
    const res = await fetch(`${emu.url}/_emulator/faults`, { method: "POST", body: JSON.stringify({ rate429: 2 }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: "rate429", type: "invalid_request_error" } });
  });
});
