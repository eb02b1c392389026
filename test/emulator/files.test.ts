import { createHash } from "node:crypto";
import OpenAI, { toFile } from "openai";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatExamples, jsonl } from "./fixtures";

let emu: RunningEmulator;
let client: OpenAI;

beforeAll(async () => {
  emu = await startEmulator({ args: ["--max-file-bytes", String(1024 * 1024)] });
  client = emu.client({ maxRetries: 0 });
});
afterAll(async () => {
  await emu?.stop();
});

describe("files", () => {
  it("creates, retrieves, downloads and deletes a file", async () => {
    const text = jsonl(chatExamples(12));
    const created = await client.files.create({ file: await toFile(Buffer.from(text), "train.jsonl"), purpose: "fine-tune" });
    expect(created).toMatchObject({
      object: "file",
      bytes: Buffer.byteLength(text),
      filename: "train.jsonl",
      purpose: "fine-tune",
      status: "processed",
    });
    expect(created.id).toMatch(/^file-[A-Za-z0-9]{22}$/);
    expect(Math.abs(created.created_at - Date.now() / 1000)).toBeLessThan(5);

    expect(await client.files.retrieve(created.id)).toEqual(created);
    const content = await client.files.content(created.id);
    expect(await content.text()).toBe(text);

    const deleted = await client.files.delete(created.id);
    expect(deleted).toEqual({ id: created.id, object: "file", deleted: true });
    await expect(client.files.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.files.delete(created.id)).rejects.toMatchObject({ status: 404, type: "invalid_request_error" });
    await expect(client.files.content(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const { log } = await emu.state();
    const actions = log.filter((e) => e.id === created.id).map((e) => e.action);
    expect(actions).toEqual(["file.created", "file.deleted"]);
  });

  it("keeps binary content byte for byte, with odd filenames", async () => {
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    // CRLF and boundary-like sequences inside the content must not confuse the multipart parser.
    bytes.write("\r\n--boundary\r\n\r\n--", 1000, "latin1");
    const name = 'we"ird; name=ü.bin';
    const f = await client.files.create({ file: await toFile(bytes, name), purpose: "user_data" });
    expect(f.bytes).toBe(bytes.length);
    expect(f.filename).toBe(name);
    const back = Buffer.from(await (await client.files.content(f.id)).arrayBuffer());
    expect(back.equals(bytes)).toBe(true);
  });

  it("sets expires_at from expires_after, and 30 days for batch files", async () => {
    const f = await client.files.create({
      file: await toFile(Buffer.from("{}\n"), "a.jsonl"),
      purpose: "user_data",
      expires_after: { anchor: "created_at", seconds: 3600 },
    });
    expect(f.expires_at).toBe(f.created_at + 3600);
    const b = await client.files.create({ file: await toFile(Buffer.from("{}\n"), "b.jsonl"), purpose: "batch" });
    expect(b.expires_at).toBe(b.created_at + 30 * 24 * 3600);
    await expect(
      client.files.create({
        file: await toFile(Buffer.from("{}\n"), "c.jsonl"),
        purpose: "user_data",
        expires_after: { anchor: "created_at", seconds: 10 },
      }),
    ).rejects.toMatchObject({ status: 400, param: "expires_after.seconds" });
  });

  it("rejects an unknown purpose, a missing file, a non-.jsonl fine-tune file, and a file over the size limit", async () => {
    const file = await toFile(Buffer.from("{}\n"), "x.jsonl");
    const unknown = client.files.create({ file, purpose: "training" as never });
    await expect(unknown).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(unknown).rejects.toMatchObject({ param: "purpose", type: "invalid_request_error" });

    await expect(client.files.create({ purpose: "fine-tune" } as never)).rejects.toMatchObject({
      status: 400,
      param: "file",
      code: "missing_required_parameter",
    });
    await expect(
      client.files.create({ file: await toFile(Buffer.from("{}\n"), "train.csv"), purpose: "fine-tune" }),
    ).rejects.toMatchObject({ status: 400, code: "invalid_file_format" });
    await expect(
      client.files.create({ file: await toFile(Buffer.alloc(1024 * 1024 + 1), "big.bin"), purpose: "user_data" }),
    ).rejects.toMatchObject({ status: 400, code: "file_too_large" });
    // The server is still fine afterwards.
    expect((await client.models.list()).data.length).toBeGreaterThan(0);
  });

  it("lists with purpose filter and order, and auto-paginates with for await across pages", async () => {
    await emu.reset();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const purpose = i % 2 === 0 ? "fine-tune" : "user_data";
      const f = await client.files.create({ file: await toFile(Buffer.from(`{"n":${i}}\n`), `f${i}.jsonl`), purpose });
      ids.push(f.id);
    }
    const all = await client.files.list();
    expect(all.data.map((f) => f.id)).toEqual([...ids].reverse());
    const asc = await client.files.list({ order: "asc" });
    expect(asc.data.map((f) => f.id)).toEqual(ids);
    const ft = await client.files.list({ purpose: "fine-tune" });
    expect(ft.data.map((f) => f.id)).toEqual([ids[6], ids[4], ids[2], ids[0]]);

    const firstPage = await client.files.list({ limit: 2 });
    expect(firstPage.data).toHaveLength(2);
    expect(firstPage.has_more).toBe(true);

    const seen: string[] = [];
    for await (const f of client.files.list({ limit: 2, order: "asc" })) seen.push(f.id);
    expect(seen).toEqual(ids);
    const state = await emu.state();
    // 4 pages of 2 (the last with 1 item).
    expect(state.requests.byRoute["GET /v1/files"]).toBeGreaterThanOrEqual(4 + 4);

    // A cursor stays valid after its file is deleted.
    const page = await client.files.list({ limit: 3, order: "asc" });
    await client.files.delete(page.data[2]!.id);
    const next = await client.files.list({ limit: 10, order: "asc", after: page.data[2]!.id });
    expect(next.data.map((f) => f.id)).toEqual(ids.slice(3));

    await expect(client.files.list({ limit: 0 })).rejects.toMatchObject({ status: 400, param: "limit" });
    await expect(client.files.list({ order: "sideways" as never })).rejects.toMatchObject({ status: 400, param: "order" });
  });
});

describe("uploads", () => {
  it("creates an upload, adds parts, completes it with md5, and yields a normal file", async () => {
    const data = Buffer.from(jsonl(chatExamples(40)));
    const cut = [0, 1000, 5000, data.length];
    const upload = await client.uploads.create({ bytes: data.length, filename: "big.jsonl", mime_type: "text/jsonl", purpose: "fine-tune" });
    expect(upload).toMatchObject({ object: "upload", status: "pending", bytes: data.length, filename: "big.jsonl", purpose: "fine-tune", file: null });
    expect(upload.id).toMatch(/^upload_/);
    expect(upload.expires_at).toBe(upload.created_at + 3600);

    const parts = [];
    for (let i = 0; i < 3; i++) {
      const part = await client.uploads.parts.create(upload.id, { data: await toFile(data.subarray(cut[i], cut[i + 1]), "chunk") });
      expect(part).toMatchObject({ object: "upload.part", upload_id: upload.id });
      expect(part.id).toMatch(/^part_/);
      parts.push(part);
    }
    const md5 = createHash("md5").update(data).digest("hex");
    // Wrong byte count (a part left out) and wrong md5 are refused.
    await expect(client.uploads.complete(upload.id, { part_ids: [parts[0]!.id, parts[1]!.id] })).rejects.toMatchObject({
      status: 400,
      code: "upload_bytes_mismatch",
    });
    await expect(client.uploads.complete(upload.id, { part_ids: parts.map((p) => p.id), md5: "0".repeat(32) })).rejects.toMatchObject({
      status: 400,
      code: "md5_mismatch",
    });
    const done = await client.uploads.complete(upload.id, { part_ids: parts.map((p) => p.id), md5 });
    expect(done.status).toBe("completed");
    expect(done.file).toMatchObject({ object: "file", bytes: data.length, filename: "big.jsonl", purpose: "fine-tune", status: "processed" });
    const content = Buffer.from(await (await client.files.content(done.file!.id)).arrayBuffer());
    expect(content.equals(data)).toBe(true);
    expect((await client.files.retrieve(done.file!.id)).id).toBe(done.file!.id);

    // No more parts or completion after completion, and a completed upload cannot be cancelled.
    await expect(client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from("x"), "x") })).rejects.toMatchObject({ status: 400 });
    await expect(client.uploads.complete(upload.id, { part_ids: parts.map((p) => p.id) })).rejects.toMatchObject({ status: 400 });
    await expect(client.uploads.cancel(upload.id)).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("orders parts by part_ids, not by arrival", async () => {
    const a = Buffer.from("first-"), b = Buffer.from("second");
    const upload = await client.uploads.create({ bytes: 12, filename: "o.txt", mime_type: "text/plain", purpose: "user_data" });
    const pb = await client.uploads.parts.create(upload.id, { data: await toFile(b, "b") });
    const pa = await client.uploads.parts.create(upload.id, { data: await toFile(a, "a") });
    const done = await client.uploads.complete(upload.id, { part_ids: [pa.id, pb.id] });
    expect(await (await client.files.content(done.file!.id)).text()).toBe("first-second");
  });

  it("cancels an upload; no parts can be added afterwards", async () => {
    const upload = await client.uploads.create({ bytes: 10, filename: "c.jsonl", mime_type: "text/jsonl", purpose: "fine-tune" });
    await client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from("12345"), "p") });
    const cancelled = await client.uploads.cancel(upload.id);
    expect(cancelled.status).toBe("cancelled");
    await expect(client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from("67890"), "p") })).rejects.toMatchObject({
      status: 400,
      code: "upload_not_pending",
    });
    await expect(client.uploads.cancel("upload_nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("validates create parameters and refuses a part over 64 MB", async () => {
    await expect(client.uploads.create({ bytes: 10, filename: "x.jsonl", purpose: "fine-tune" } as never)).rejects.toMatchObject({
      status: 400,
      param: "mime_type",
    });
    await expect(client.uploads.create({ bytes: "ten", filename: "x.jsonl", mime_type: "text/jsonl", purpose: "fine-tune" } as never)).rejects.toMatchObject({
      status: 400,
      code: "invalid_type",
    });
    await expect(client.uploads.create({ bytes: 10, filename: "x.jsonl", mime_type: "text/jsonl", purpose: "nope" as never })).rejects.toMatchObject({
      status: 400,
      param: "purpose",
    });
    await expect(
      client.uploads.create({ bytes: 9 * 1024 ** 3, filename: "x.jsonl", mime_type: "text/jsonl", purpose: "fine-tune" }),
    ).rejects.toMatchObject({ status: 400, param: "bytes" });

    const upload = await client.uploads.create({ bytes: 64 * 1024 * 1024 + 1, filename: "x.bin", mime_type: "application/octet-stream", purpose: "user_data" });
    await expect(
      client.uploads.parts.create(upload.id, { data: await toFile(Buffer.alloc(64 * 1024 * 1024 + 1), "p") }),
    ).rejects.toMatchObject({ status: 400, code: "part_too_large" });
    const state = await emu.state();
    expect(state.uploads.find((u) => u.id === upload.id)).toMatchObject({ status: "pending", parts: 0 });
  });
});
