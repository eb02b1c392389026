import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { provider } from "../../../provider/training-file/provider";
import { analyzeDataset, sha256Content } from "../../../provider/dataset";
import { UNKNOWN } from "../../../provider/schema";
import type { RunningEmulator } from "../../helpers/emulator";
import { apiCalls, chatDataset, withEmulator, writeDataset } from "../../helpers/provider-env";

const current = withEmulator();
let emulator: RunningEmulator;
beforeEach(() => (emulator = current()));

const owner = "quickstart/dev/support-data";

function inputsFor(path: string, extra: Record<string, unknown> = {}) {
  return { path, contentHash: sha256Content(readFileSync(path)).sha256, owner, ...extra };
}

async function checked(news: Record<string, unknown>) {
  const result = await provider.check({}, news);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as Record<string, unknown>;
}

describe("TrainingFile check()", () => {
  it.each([
    ["a missing file", "path", { path: "/nonexistent/train.jsonl", owner }, /cannot read dataset \/nonexistent\/train.jsonl: ENOENT/],
    ["both path and content", "path", { path: "a.jsonl", content: "x", owner }, /exactly one of `path`.*or `content`/],
    ["neither path nor content", "path", { owner }, /exactly one of/],
    ["an empty inline dataset", "content", { content: "", owner, contentHash: sha256Content("").sha256 }, /empty/],
    ["an unknown purpose", "purpose", { content: "x", owner, purpose: "training" }, /fine-tune/],
    ["a filename with a directory", "filename", { content: "x", owner, filename: "a/b.jsonl" }, /not a path/],
  ])("fails for %s, naming the property %s, with no API call", async (_what, property, news, reason) => {
    const { failures } = await provider.check({}, news);
    expect(failures).toEqual([expect.objectContaining({ property, reason: expect.stringMatching(reason) })]);
    expect(await apiCalls(emulator)).toBe(0);
  });

  it("fails an invalid dataset with the bad line's number and code, with no API call", async () => {
    const lines = chatDataset(12).split("\n");
    lines[4] = '{"messages": [{"role": "user", "content": "hi"}';
    const path = writeDataset(lines.join("\n"));
    const { failures } = await provider.check({}, inputsFor(path));
    expect(failures?.[0].property).toBe("path");
    expect(failures?.[0].reason).toMatch(/line 5: \[invalid_json\]/);
    expect(await apiCalls(emulator)).toBe(0);
  });

  it("its one pass serves every model: tokens for each encoding, cached by the program's hash", async () => {
    const path = writeDataset(chatDataset(12, "one-pass"));
    const inputs = await checked(inputsFor(path));
    const counted = { o200k: await analyzeDataset({ path }, { model: "gpt-4.1-mini", noCache: true }), cl100k: await analyzeDataset({ path }, { model: "gpt-3.5-turbo", noCache: true }) };
    rmSync(path);
    // The file is gone: only the check's cached scan can answer, for either tokenizer.
    const sha256 = inputs.contentHash as string;
    const o200k = await analyzeDataset({ path }, { model: "gpt-4.1-mini", sha256 });
    const cl100k = await analyzeDataset({ path }, { model: "gpt-3.5-turbo", sha256 });
    expect([o200k.cached, o200k.encoding, o200k.tokens]).toEqual([true, "o200k_base", counted.o200k.tokens]);
    expect([cl100k.cached, cl100k.encoding, cl100k.tokens]).toEqual([true, "cl100k_base", counted.cl100k.tokens]);
  });

  it("re-checks from the program's hash without reading the file; create still refuses other bytes", async () => {
    const path = writeDataset(chatDataset(12, "hinted"));
    const inputs = await checked(inputsFor(path));
    // Bytes changed after the program hashed them: the re-check trusts the program's hash (no read)…
    writeFileSync(path, "{not json\n");
    expect((await provider.check({}, inputs)).failures ?? []).toEqual([]);
    // …and the upload, which reads the bytes, is what refuses them.
    await expect(provider.create(inputs)).rejects.toThrow(/changed while pulumi was running/);
    expect((await emulator.state()).files).toHaveLength(0);
  });

  it("lets unknown values through at preview", async () => {
    const { failures } = await provider.check({}, { path: UNKNOWN, contentHash: UNKNOWN, owner });
    expect(failures ?? []).toEqual([]);
  });

  it("names both ways to give the key when there is none", async () => {
    const key = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      const { failures } = await provider.check({}, inputsFor(writeDataset(chatDataset(12))));
      expect(failures?.[0].reason).toMatch(/pulumi config set --secret openai:apiKey.*OPENAI_API_KEY/);
    } finally {
      process.env.OPENAI_API_KEY = key;
    }
  });
});

describe("TrainingFile create, read, update, delete", () => {
  it("uploads once, waits until processed, and records the content hash", async () => {
    const path = writeDataset(chatDataset(12));
    const inputs = await checked(inputsFor(path));
    const { id, outs } = await provider.create(inputs);
    const state = await emulator.state();
    expect(state.files.map((f) => f.id)).toEqual([id]);
    expect(outs).toMatchObject({ fileId: id, contentHash: inputs.contentHash, bytes: readFileSync(path).length, status: "processed", purpose: "fine-tune" });
    expect(outs.filename).toContain(String(inputs.contentHash));
    const client = emulator.client();
    expect(Buffer.from(await (await client.files.content(id)).arrayBuffer())).toEqual(readFileSync(path));
  });

  it("adopts the file an interrupted create already uploaded instead of uploading again", async () => {
    const inputs = await checked(inputsFor(writeDataset(chatDataset(12))));
    const first = await provider.create(inputs);
    const again = await provider.create(inputs);
    expect(again.id).toBe(first.id);
    expect((await emulator.state()).files).toHaveLength(1);
  });

  it("goes through the Uploads API above the part threshold", async () => {
    const inputs = await checked(inputsFor(writeDataset(chatDataset(40)), { uploadPartThresholdBytes: 1024 }));
    const { id } = await provider.create(inputs);
    const state = await emulator.state();
    expect(state.requests.byRoute["POST /v1/uploads"]).toBe(1);
    expect(state.requests.byRoute["POST /v1/files"] ?? 0).toBe(0);
    expect(state.files.map((f) => f.id)).toEqual([id]);
  });

  it("refuses to upload bytes that differ from the hash the program computed", async () => {
    const inputs = await checked(inputsFor(writeDataset(chatDataset(12))));
    await expect(provider.create({ ...inputs, contentHash: "0".repeat(64) })).rejects.toThrow(/changed while pulumi was running/);
    expect((await emulator.state()).files).toHaveLength(0);
  });

  it("hashes while uploading in parts: other bytes cancel the upload before it completes, and no file exists", async () => {
    const path = writeDataset(chatDataset(40, "parts-changed"));
    const inputs = await checked(inputsFor(path, { uploadPartThresholdBytes: 1024 }));
    writeFileSync(path, chatDataset(41, "parts-changed"));
    await expect(provider.create(inputs)).rejects.toThrow(/changed while pulumi was running.*nothing was uploaded/);
    const state = await emulator.state();
    expect(state.requests.byRoute["POST /v1/uploads"]).toBe(1);
    expect(state.requests.byRoute["POST /v1/uploads/{id}/complete"] ?? 0).toBe(0);
    expect(state.files).toHaveLength(0);
  });

  it("updates provider-only settings with no API call", async () => {
    const inputs = await checked(inputsFor(writeDataset(chatDataset(12))));
    const { id, outs } = await provider.create(inputs);
    const news = { ...inputs, uploadPartThresholdBytes: 4096 };
    expect(await provider.diff(id, outs, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const before = await apiCalls(emulator);
    const { outs: updated } = await provider.update(id, outs, news);
    expect(updated).toMatchObject({ fileId: id, uploadPartThresholdBytes: 4096 });
    expect(await apiCalls(emulator)).toBe(before);
  });

  it("replaces on new bytes and ignores the same bytes under another path", async () => {
    const inputs = await checked(inputsFor(writeDataset(chatDataset(12))));
    const { id, outs } = await provider.create(inputs);
    const moved = writeDataset(chatDataset(12), "renamed.jsonl");
    expect((await provider.diff(id, outs, await checked(inputsFor(moved)))).changes).toBe(false);
    const changed = writeDataset(chatDataset(13));
    expect((await provider.diff(id, outs, await checked(inputsFor(changed)))).replaces).toEqual(["contentHash"]);
  });

  it("refreshes, reports an out-of-band deletion as gone, and deletes idempotently", async () => {
    const inputs = await checked(inputsFor(writeDataset(chatDataset(12))));
    const { id, outs } = await provider.create(inputs);
    expect((await provider.read(id, outs)).props).toMatchObject({ fileId: id, contentHash: inputs.contentHash });
    await provider.delete(id, outs);
    expect((await emulator.state()).files).toHaveLength(0);
    expect(await provider.read(id, outs)).toEqual({});
    await expect(provider.delete(id, outs)).resolves.toBeUndefined();
  });

  it("imports a file by id, recovering its content hash from the bytes", async () => {
    const content = chatDataset(12);
    const client = emulator.client();
    const file = await client.files.create({ file: new File([content], "legacy.jsonl"), purpose: "fine-tune" });
    const { id, props, inputs } = await provider.read(file.id, {});
    expect(id).toBe(file.id);
    expect(props).toMatchObject({ contentHash: sha256Content(content).sha256, fileId: file.id });
    expect(inputs).toMatchObject({ contentHash: sha256Content(content).sha256, purpose: "fine-tune" });
  });
});
