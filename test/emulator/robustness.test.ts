import { request } from "node:http";
import { connect } from "node:net";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatExamples, prng, uploadJsonl } from "./fixtures";

let emu: RunningEmulator;
let auth: Record<string, string>;

beforeAll(async () => {
  emu = await startEmulator();
  auth = { authorization: `Bearer ${emu.apiKey}` };
});
afterAll(async () => {
  await emu?.stop();
});

/** The OpenAI error envelope, exactly. */
function expectEnvelope(body: unknown): void {
  expect(Object.keys(body as object)).toEqual(["error"]);
  const { error } = body as { error: { param: unknown; code: unknown; message: string; type: string } };
  expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof error.type).toBe("string");
  expect(typeof error.message).toBe("string");
  expect(error.message.length).toBeGreaterThan(0);
  for (const v of [error.param, error.code]) expect(v === null || typeof v === "string").toBe(true);
}

async function send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${emu.url}${path}`, { method, headers: { ...auth, ...headers }, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

const multipart = (boundary: string, parts: string) => ({
  headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  body: parts,
});

describe("bad input gets a 4xx with the error envelope, and the server keeps serving", () => {
  it("malformed multipart bodies", async () => {
    const good = '--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="t.jsonl"\r\n\r\n{}\n\r\n--b--\r\n';
    const cases: { headers: Record<string, string>; body: string }[] = [
      { headers: { "content-type": "multipart/form-data" }, body: good }, // no boundary
      { headers: { "content-type": "application/json" }, body: "{}" }, // not multipart at all
      multipart("zzz", good), // boundary never appears
      multipart("b", good.slice(0, -8)), // truncated: no closing boundary
      multipart("b", "--b\r\nX-Nothing: here\r\n\r\ndata\r\n--b--\r\n"), // no Content-Disposition
      multipart("b", "--b\r\nContent-Disposition: form-data\r\n\r\ndata\r\n--b--\r\n"), // no name
      multipart("b", "--b\r\n\r\ndata\r\n--b--\r\n"), // no headers
      multipart("b", `--b\r\nContent-Disposition: form-data; name="purpose"\r\n${"X-Pad: y\r\n".repeat(3000)}\r\nfine-tune\r\n--b--\r\n`), // huge part headers
      multipart("b", "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--b--\r\n"), // no file
      multipart("b", good.replace("fine-tune", "fine-tuning")), // unknown purpose
      multipart("b", `--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n${"x".repeat(70_000)}\r\n--b--\r\n`), // oversized field
      multipart("b", good.replace('name="purpose"', 'name="colour"')), // unknown field
    ];
    for (const c of cases) {
      const res = await send("POST", "/v1/files", c.body, c.headers);
      expect(res.status).toBe(400);
      expectEnvelope(res.json);
    }
    // And for upload parts.
    const upload = await emu.client().uploads.create({ bytes: 3, filename: "a.bin", mime_type: "application/octet-stream", purpose: "user_data" });
    const part = await send("POST", `/v1/uploads/${upload.id}/parts`, good.slice(0, 40), { "content-type": "multipart/form-data; boundary=b" });
    expect(part.status).toBe(400);
    expectEnvelope(part.json);
    const ok = await send("POST", "/v1/files", good, { "content-type": "multipart/form-data; boundary=b" });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ object: "file", bytes: 3, filename: "t.jsonl" });
  });

  it("invalid JSON bodies and missing fields", async () => {
    for (const path of ["/v1/fine_tuning/jobs", "/v1/uploads", "/v1/chat/completions", "/v1/uploads/upload_x/complete"]) {
      for (const body of ["{bad", "[1, 2]", "42", "null", '"text"', "{\"model\": }", "\u0000\u0001"]) {
        const res = await send("POST", path, body, { "content-type": "application/json" });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expectEnvelope(res.json);
      }
    }
    const missing = await send("POST", "/v1/fine_tuning/jobs", "{}", { "content-type": "application/json" });
    expect(missing).toEqual({
      status: 400,
      json: { error: { message: "Missing required parameter: 'model'.", type: "invalid_request_error", param: "model", code: "missing_required_parameter" } },
    });
    const file = await uploadJsonl(emu.client(), chatExamples(10));
    const noFile = await send("POST", "/v1/fine_tuning/jobs", JSON.stringify({ model: "gpt-4o-mini" }), { "content-type": "application/json" });
    expect(noFile.json).toMatchObject({ error: { param: "training_file" } });
    const wrongType = await send("POST", "/v1/fine_tuning/jobs", JSON.stringify({ model: 4, training_file: file.id }));
    expect(wrongType).toMatchObject({ status: 400, json: { error: { param: "model", code: "invalid_type" } } });
    const unknownMethod = await send("PATCH", "/v1/files", "{}");
    expect(unknownMethod.status).toBe(404);
    expectEnvelope(unknownMethod.json);
  });

  it("huge headers and non-HTTP garbage", async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${emu.url}/v1/models`, { headers: { ...auth, "x-huge": "h".repeat(64 * 1024) } }, (r) => {
        let body = "";
        r.setEncoding("utf8").on("data", (d) => (body += d)).on("end", () => resolve({ status: r.statusCode!, body }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(res.status).toBe(431);
    expectEnvelope(JSON.parse(res.body));

    const raw = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(emu.url);
      const socket = connect(Number(port), "127.0.0.1", () => socket.write("THIS IS NOT HTTP\r\n\r\n"));
      let data = "";
      socket.setEncoding("utf8").on("data", (d) => (data += d)).on("end", () => resolve(data)).on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expectEnvelope(JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)));
    expect((await emu.client().models.list()).data.length).toBeGreaterThan(0);
  });

  it("a bounded fuzz loop of random invalid requests", async () => {
    const rand = prng(20261127);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const garbage = (n: number) => Array.from({ length: n }, () => String.fromCharCode(Math.floor(rand() * 256))).join("");
    const token = () => pick(["file-", "ftjob-", "upload_", "ft:gpt-4o-mini:x::", "", "%ZZ", "..%2F", "a%00b"]) + Math.floor(rand() * 1e9).toString(36);
    const paths: (() => [string, string])[] = [
      () => [pick(["GET", "DELETE"]), `/v1/files/${token()}`],
      () => ["GET", `/v1/files/${token()}/content`],
      () => ["GET", `/v1/files?${pick(["limit=0", "limit=-5", "limit=abc", "order=up", "purpose=nope", "after=file-nope", "limit=99999"])}`],
      () => ["GET", `/v1/fine_tuning/jobs?${pick(["limit=0", "limit=1000", "metadata=maybe", "after=nope", "colour=red"])}`],
      () => [pick(["GET", "POST"]), `/v1/fine_tuning/jobs/${token()}${pick(["", "/events", "/checkpoints", "/cancel", "/pause", "/resume"])}`],
      () => [pick(["GET", "DELETE"]), `/v1/models/${token()}`],
      () => ["POST", pick(["/v1/files", "/v1/uploads", "/v1/fine_tuning/jobs", "/v1/chat/completions", `/v1/uploads/${token()}/parts`, `/v1/uploads/${token()}/complete`, `/v1/uploads/${token()}/cancel`])],
      () => [pick(["PUT", "PATCH", "GET", "POST"]), `/v1/${garbage(6).replace(/[^a-z]/g, "x")}/${token()}`],
      () => [pick(["GET", "POST"]), `/openai/${pick(["files", "models", "fine_tuning/jobs"])}`], // Azure route without api-version
    ];
    const bodies = [
      () => garbage(Math.floor(rand() * 300)),
      () => "{" + garbage(20),
      () => JSON.stringify(pick([[], 1, "x", null, true])),
      () => JSON.stringify({ [`fz_${Math.floor(rand() * 1000)}`]: pick([1, "x", null, [], {}]) }),
      () => JSON.stringify({ model: pick([1, null, [], {}]), messages: pick([1, "x", [{}], [{ role: "robot" }]]) }),
    ];
    const contentTypes = ["application/json", "text/plain", `multipart/form-data; boundary=${garbage(5).replace(/[^a-z]/g, "q")}`, "multipart/form-data", ""];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const [method, path] = pick(paths)();
      const headers: Record<string, string> = rand() < 0.1 ? {} : { ...auth };
      const ct = pick(contentTypes);
      if (ct) headers["content-type"] = ct;
      const hasBody = method !== "GET" && rand() < 0.9;
      const res = await fetch(`${emu.url}${path}`, { method, headers, body: hasBody ? pick(bodies)() : undefined });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status < 400 || res.status >= 500) throw new Error(`fuzz #${i}: ${method} ${path} -> ${res.status} ${text}`);
      expectEnvelope(JSON.parse(text));
    }
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([400, 401, 404]));
    // Still serving, and every request was counted.
    const client = emu.client({ maxRetries: 0 });
    expect((await client.models.list()).data.length).toBeGreaterThan(0);
    const file = await uploadJsonl(client, chatExamples(10));
    expect((await client.files.retrieve(file.id)).id).toBe(file.id);
    const state = await emu.state();
    expect(state.requests.total).toBeGreaterThanOrEqual(600);
    expect(state.received.length).toBe(500); // the most recent ones
  });

  it("draws faults from a seeded generator when given a seed: the same seed, the same answers", async () => {
    const statuses = async (seed: number) => {
      await emu.faults({ rate500: 0.5, seed });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await fetch(`${emu.baseURL}/models`, { headers: auth })).status);
      await emu.faults({ rate500: 0, seed: 0 });
      return out;
    };
    const first = await statuses(42);
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await statuses(42)).toEqual(first);
    expect(await statuses(43)).not.toEqual(first);
  });

  it("counts as retried the requests the SDK sent again, from what it received (not from the faults it injected)", async () => {
    await emu.reset();
    await emu.faults({ rate500: 1 });
    try {
      await expect(emu.client({ maxRetries: 2 }).models.list()).rejects.toThrow(/500/);
    } finally {
      await emu.faults({ rate500: 0 });
    }
    expect((await emu.state()).requests).toMatchObject({ total: 3, retried: 2 });
  });

  it("records received requests without credentials, bodies capped at 64 KiB", async () => {
    await emu.reset();
    await send("POST", "/v1/fine_tuning/jobs", JSON.stringify({ model: "gpt-4o-mini", note: "x".repeat(100_000) }), { "content-type": "application/json", "x-trace": "t1" });
    const { received, requests } = await emu.state();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: "POST", path: "/v1/fine_tuning/jobs", query: {}, headers: { "x-trace": "t1" } });
    expect(received[0]!.headers.authorization).toBeUndefined();
    expect(received[0]!.body.length).toBe(64 * 1024);
    expect(received[0]!.body.startsWith('{"model":"gpt-4o-mini"')).toBe(true);
    expect(requests).toEqual({ total: 1, retried: 0, byRoute: { "POST /v1/fine_tuning/jobs": 1 } });
    // Bodies of requests refused before they were read (here: no API key) are recorded too.
    await fetch(`${emu.baseURL}/files`, { method: "POST", body: "refused body" });
    expect((await emu.state()).received[1]).toMatchObject({ path: "/v1/files", body: "refused body" });
  });
});

describe("kept-alive connections", () => {
  /** Two requests on one connection, the second `idleMs` after the first answer. */
  function twoRequestsOneConnection(idleMs: number): Promise<{ keepAlive: string | undefined; answers: number }> {
    const { port } = new URL(emu.url);
    const req = `GET /v1/models HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${emu.apiKey}\r\n\r\n`;
    return new Promise((resolve) => {
      const socket = connect(Number(port), "127.0.0.1");
      let keepAlive: string | undefined;
      let answers = 0;
      socket.on("data", (chunk) => {
        const text = chunk.toString("latin1");
        if (!text.startsWith("HTTP/1.1 200")) return;
        answers++;
        if (answers === 1) {
          keepAlive = /^keep-alive: (.*)\r$/im.exec(text)?.[1];
          setTimeout(() => socket.write(req), idleMs);
        } else socket.end();
      });
      socket.on("error", () => undefined);
      socket.on("close", () => resolve({ keepAlive, answers }));
      socket.write(req);
    });
  }

  // The ECONNRESET flake: a client whose event loop was starved reused a connection after the
  // server had closed it (at the advertised 5 s plus Node's default 1 s buffer).
  it("answers a client that reuses one later than the advertised timeout", async () => {
    expect(await twoRequestsOneConnection(7_000)).toEqual({ keepAlive: "timeout=5", answers: 2 });
  }, 20_000);
});
