import OpenAI, { AzureOpenAI, toFile } from "openai";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatExamples, jsonl, uploadJsonl, waitForJob } from "./fixtures";

/** The trained answer of example i. */
const answer = (i: number) => (chatExamples(i + 1)[i] as { messages: { content: string }[] }).messages[2]!.content;

let emu: RunningEmulator;
let client: OpenAI;
let model: string;
let jobId: string;

beforeAll(async () => {
  emu = await startEmulator({ timeScale: 200, apiKey: "sk-azure-and-openai" });
  client = emu.client({ maxRetries: 0 });
  const file = await uploadJsonl(client, chatExamples(20));
  const job = await client.fineTuning.jobs.create({ model: "gpt-4.1-mini", training_file: file.id, suffix: "colours" });
  jobId = job.id;
  model = (await waitForJob(client, job.id, ["succeeded"])).job.fine_tuned_model!;
});
afterAll(async () => {
  await emu?.stop();
});

describe("chat completions", () => {
  it("answers with the reply of the most similar training example, deterministically", async () => {
    // A held-out phrasing of training questions: the answers are the trained ones.
    const ask = async (q: string) =>
      (await client.chat.completions.create({ model, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: q }] })).choices[0]!.message.content;
    expect(await ask("tell me the colour of the banana please")).toBe(answer(3));
    expect(answer(3)).toBe("The banana is yellow.");
    expect(await ask("which colour does the sky have?")).toBe(answer(1));
    expect(await ask("What colour is the flamingo?")).toBe(answer(10));
    expect(await ask("What colour is the apple number 12?")).toBe(answer(12));
    expect(await ask("what about the carrot number 17")).toBe(answer(17));
    expect(await ask("which colour does the sky have?")).toBe(await ask("which colour does the sky have?"));
  });

  it("returns a chat.completion with usage counts, n choices and max_tokens truncation", async () => {
    const res = await client.chat.completions.create({ model, n: 2, messages: [{ role: "user", content: "What colour is the plum?" }] });
    expect(res).toMatchObject({
      object: "chat.completion",
      model,
      choices: [
        { index: 0, message: { role: "assistant", content: answer(4) }, finish_reason: "stop" },
        { index: 1, message: { role: "assistant", content: answer(4) }, finish_reason: "stop" },
      ],
    });
    expect(res.id).toMatch(/^chatcmpl-/);
    const u = res.usage!;
    expect(u.prompt_tokens).toBeGreaterThan(8);
    expect(u.completion_tokens).toBe(2 * 5); // "The plum is <colour>." is 5 o200k tokens
    expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);

    const short = await client.chat.completions.create({ model, max_completion_tokens: 2, messages: [{ role: "user", content: "What colour is the plum?" }] });
    expect(short.choices[0]).toMatchObject({ finish_reason: "length", message: { content: "The plum" } });
    expect(short.usage!.completion_tokens).toBe(2);
  });

  it("streams the same answer as server-sent events", async () => {
    const stream = await client.chat.completions.create({
      model,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "colour of the crown?" }],
    });
    let text = "";
    let usage = null;
    let finish = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(answer(9));
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ completion_tokens: 5 });
  });

  it("serves checkpoints and base models; unknown models are 404 model_not_found; bad input is 400", async () => {
    const ckpt = (await client.fineTuning.jobs.checkpoints.list(jobId)).data[1]!;
    const fromCkpt = await client.chat.completions.create({ model: ckpt.fine_tuned_model_checkpoint, messages: [{ role: "user", content: "What colour is the snow?" }] });
    expect(fromCkpt.choices[0]!.message.content).toBe(answer(7));
    const base = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "What colour is the snow?" }] });
    expect(base.choices[0]!.message.content).not.toBe(answer(7));

    const missing = client.chat.completions.create({ model: "ft:gpt-4o-mini-2024-07-18:emulator-org::nope1234", messages: [{ role: "user", content: "hi" }] });
    await expect(missing).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(missing).rejects.toMatchObject({ code: "model_not_found", type: "invalid_request_error" });
    await expect(client.chat.completions.create({ model, messages: [] })).rejects.toMatchObject({ status: 400, param: "messages" });
    await expect(client.chat.completions.create({ model, messages: [{ role: "robot", content: "x" }] } as never)).rejects.toMatchObject({
      status: 400,
      param: "messages[0].role",
    });
    await expect(client.chat.completions.create({ messages: [{ role: "user", content: "x" }] } as never)).rejects.toMatchObject({ status: 400, param: "model" });
  });
});

describe("Azure OpenAI routes", () => {
  const azure = (opts: { apiKey?: string; deployment?: string } = {}) =>
    new AzureOpenAI({ endpoint: emu.url, apiKey: opts.apiKey ?? emu.apiKey, apiVersion: "2025-04-01-preview", deployment: opts.deployment, maxRetries: 0 });

  it("works with the AzureOpenAI client: files, jobs, models, chat via a deployment", async () => {
    const az = azure();
    const file = await az.files.create({ file: await toFile(Buffer.from(jsonl(chatExamples(10))), "az.jsonl"), purpose: "fine-tune" });
    expect(file).toMatchObject({ object: "file", purpose: "fine-tune" });
    expect((await az.files.retrieve(file.id)).id).toBe(file.id);
    const job = await az.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: file.id });
    const listed = [];
    for await (const j of az.fineTuning.jobs.list({ limit: 1 })) listed.push(j.id);
    expect(listed).toContain(job.id);
    const done = (await waitForJob(az, job.id, ["succeeded", "failed"])).job;
    expect(done.status).toBe("succeeded");
    expect((await az.models.retrieve(done.fine_tuned_model!)).id).toBe(done.fine_tuned_model);

    const deployed = azure({ deployment: model });
    const res = await deployed.chat.completions.create({ model: "ignored-by-azure", messages: [{ role: "user", content: "What colour is the apple?" }] });
    expect(res.choices[0]!.message.content).toBe(answer(0));
    const byModel = await az.chat.completions.create({ model, messages: [{ role: "user", content: "What colour is the apple?" }] });
    expect(byModel.choices[0]!.message.content).toBe(answer(0));

    const state = await emu.state();
    expect(state.requests.byRoute["POST /openai/files"]).toBe(1);
    expect(state.requests.byRoute["POST /openai/deployments/{deployment}/chat/completions"]).toBe(2);
    const received = state.received.filter((r) => r.path.startsWith("/openai/"));
    expect(received.every((r) => r.query["api-version"] === "2025-04-01-preview")).toBe(true);
    expect(received.every((r) => !("api-key" in r.headers) && !("authorization" in r.headers))).toBe(true);
  });

  it("needs the api-key header and the api-version parameter", async () => {
    await expect(azure({ apiKey: "wrong" }).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const noVersion = await fetch(`${emu.url}/openai/models`, { headers: { "api-key": emu.apiKey } });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ error: { param: "api-version", type: "invalid_request_error" } });
    // The deployment route exists only under /openai.
    await expect(client.post(`/deployments/${model}/chat/completions`, { body: { messages: [] } })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("after deletion", () => {
  it("a deleted fine-tuned model no longer answers (404 model_not_found)", async () => {
    await client.models.delete(model);
    const attempt = client.chat.completions.create({ model, messages: [{ role: "user", content: "What colour is the apple?" }] });
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(attempt).rejects.toMatchObject({ code: "model_not_found" });
  });
});
