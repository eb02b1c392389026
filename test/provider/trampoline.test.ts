/**
 * The provider object stored in state, serialized for real and loaded in a fresh Node process the way
 * the dynamic-provider host loads it (require-from-string, then `.handler()`), then driven against the
 * emulator. The key reaches it only through configure(), as stack config does, and never the text.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { trampoline } from "../../provider/trampoline";
import { sha256Content } from "../../provider/dataset";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";

const ROOT = resolve(__dirname, "../..");
const SECRET = "sk-serialization-secret-0123456789abcdef";

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 200, apiKey: SECRET });
});
afterAll(() => emulator?.stop());

/** A user's project: the package installed in node_modules (here a link to this checkout). */
function userProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "ft-project-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "pulumi-openai-finetune"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "user-project", private: true }));
  return dir;
}

/** What cmd/dynamic-provider does with `__provider`, in a process of its own. */
const HOST = `
const requireFromString = require(${JSON.stringify(join(ROOT, "node_modules/require-from-string"))});
const fs = require("fs");
(async () => {
  const provider = requireFromString(fs.readFileSync(process.argv[2], "utf8")).handler();
  await provider.configure({ config: { get: (k) => (k === "openai:apiKey" ? process.env.CONFIG_KEY : k === "openai:baseUrl" ? process.env.CONFIG_URL : undefined) } });
  const news = JSON.parse(process.argv[3]);
  const checked = await provider.check({}, news);
  if (checked.failures && checked.failures.length) throw new Error(JSON.stringify(checked.failures));
  const created = await provider.create(checked.inputs);
  const read = await provider.read(created.id, created.outs);
  await provider.delete(created.id, created.outs);
  console.log("RESULT " + JSON.stringify({ created, read }));
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

/** As dynamic.Resource does it: one provider object per module, serialized as `() => provider`. */
async function serialized(kind: Parameters<typeof trampoline>[0]): Promise<string> {
  const provider = trampoline(kind);
  return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

describe("the serialized provider", () => {
  it("captures no key, no path and no environment, and works when loaded from its text", async () => {
    process.env.OPENAI_API_KEY = SECRET;
    const text = await serialized("training-file");
    delete process.env.OPENAI_API_KEY;
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(ROOT);
    expect(text).not.toContain(emulator.url);
    expect(text).toContain('require(entry)');
    expect(text).not.toMatch(/sk-|OPENAI_|process\.env/);

    const project = userProject();
    const providerFile = join(project, "provider.js");
    writeFileSync(providerFile, text);
    const hostFile = join(project, "host.js");
    writeFileSync(hostFile, HOST);
    const content = chatDataset(12);
    const news = { content, contentHash: sha256Content(content).sha256, owner: "p/s/serialized" };
    const env = { PATH: process.env.PATH, CONFIG_KEY: SECRET, CONFIG_URL: emulator.baseURL, OPENAI_FINETUNE_CACHE_DIR: mkdtempSync(join(tmpdir(), "ft-cache-")) };
    const stdout = execFileSync(process.execPath, [hostFile, providerFile, JSON.stringify(news)], { cwd: project, env, encoding: "utf8" });
    const out = JSON.parse(/^RESULT (.*)$/m.exec(stdout)?.[1] ?? "null");
    expect(out.created.outs).toMatchObject({ fileId: out.created.id, contentHash: news.contentHash, status: "processed" });
    expect(out.read.props).toMatchObject({ fileId: out.created.id });
    expect((await emulator.state()).files).toEqual([]);
  });

  it("is the same small text for every resource of a kind, so state does not grow with the package", async () => {
    const a = await serialized("fine-tuned-model");
    const b = await serialized("fine-tuned-model");
    expect(a).toBe(b);
    expect(a.length).toBeLessThan(8_000);
  });
});
