import { readFileSync } from "node:fs";
import { analyzeDataset, ERROR_CODES, MAX_ISSUES, type AnalyzeOptions } from "../../../provider/dataset";
import { fixture, manifest, useTempCache } from "./helpers";

useTempCache();

/** Error codes whose trigger is built in memory by other tests (an 11 MB line). */
const BUILT_IN_MEMORY = new Set(["image_too_large"]);

describe("a fixture per error code", () => {
  it("covers every documented error code", () => {
    const missing = Object.keys(ERROR_CODES).filter((c) => !manifest.errors[c] && !BUILT_IN_MEMORY.has(c));
    expect(missing).toEqual([]);
  });

  for (const [code, entry] of Object.entries(manifest.errors)) {
    it(`${code}: reported on line ${entry.line}`, async () => {
      const report = await analyzeDataset({ path: fixture(entry.file) }, { noCache: true, ...(entry.options as AnalyzeOptions) });
      expect(report.errors.some((e) => e.code === code && e.line === entry.line)).toBe(true);
      // The fixture triggers its code and nothing else.
      expect([...new Set(report.errors.map((e) => e.code))]).toEqual([code]);
      expect(report.errorCount).toBe(report.errors.length);
      expect(report.valid).toBe(false);
      for (const e of report.errors) expect(e.message.length).toBeGreaterThan(5);
    });
  }

  it("image_too_large: an 11 MB data-URL image", async () => {
    const big = "data:image/png;base64," + "A".repeat(15 * 1024 * 1024);
    const bad = JSON.stringify({
      messages: [
        { role: "user", content: [{ type: "image_url", image_url: { url: big } }] },
        { role: "assistant", content: "A picture." },
      ],
    });
    const good = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({ messages: [{ role: "user", content: `q${i}` }, { role: "assistant", content: `a${i}` }] }),
    );
    const report = await analyzeDataset({ content: [...good.slice(0, 3), bad, ...good.slice(3)].join("\n") }, { noCache: true });
    expect(report.errors).toEqual([expect.objectContaining({ line: 4, code: "image_too_large" })]);
  });
});

describe("a valid fixture per format", () => {
  for (const [name, entry] of Object.entries(manifest.valid)) {
    it(`${name}: valid, detected as ${entry.format}`, async () => {
      const report = await analyzeDataset({ path: fixture(entry.file) }, { noCache: true, ...(entry.options as AnalyzeOptions) });
      expect(report.errors).toEqual([]);
      expect(report.errorCount).toBe(0);
      expect(report.valid).toBe(true);
      expect(report.format).toBe(entry.format);
      expect(report.examples).toBe(entry.examples);
      expect(report.tokens).toBeGreaterThan(entry.examples! * 5);
    });
  }

  it("each format's valid file is a format_mismatch for the other methods", async () => {
    const cases: [string, AnalyzeOptions][] = [
      ["valid/chat.jsonl", { method: "dpo" }],
      ["valid/dpo.jsonl", { method: "supervised" }],
      ["valid/prompt_completion.jsonl", { method: "reinforcement" }],
      ["valid/chat.jsonl", { model: "babbage-002" }],
    ];
    for (const [file, opts] of cases) {
      const report = await analyzeDataset({ path: fixture(file) }, { noCache: true, ...opts });
      // One finding for the file, from the scan's detected format: the model's check reads nothing.
      expect(report.errors).toEqual([expect.objectContaining({ line: 1, code: "format_mismatch" })]);
      expect(report.errorCount).toBe(1);
    }
  });

  it("a chat line in a reinforcement file is judged by the reinforcement rules", async () => {
    const text = readFileSync(fixture("valid/reinforcement.jsonl"), "utf8");
    const chat = JSON.stringify({ messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }] });
    const report = await analyzeDataset({ content: text + chat + "\n" }, { noCache: true });
    expect(report.format).toBe("reinforcement");
    expect(report.errors).toEqual([expect.objectContaining({ line: 11, code: "rft_last_message_not_user" })]);
  });

  it("legacy prompt/completion is what babbage-002 and davinci-002 expect", async () => {
    for (const model of ["babbage-002", "davinci-002"]) {
      const report = await analyzeDataset({ path: fixture("valid/prompt_completion.jsonl") }, { noCache: true, model, method: "supervised" });
      expect(report.errorCount).toBe(0);
      expect(report.format).toBe("prompt_completion");
      expect(report.encoding).toBe("cl100k_base");
    }
  });
});

describe("error cap", () => {
  it("keeps the first 100 errors in line order and counts the rest", async () => {
    const lines = Array.from({ length: 250 }, (_, i) => (i % 2 ? "not json" : JSON.stringify({ messages: "nope" })));
    const report = await analyzeDataset({ content: lines.join("\n") }, { noCache: true });
    expect(report.errors).toHaveLength(MAX_ISSUES);
    expect(report.errorCount).toBe(250);
    expect(report.errors.map((e) => e.line)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(report.errors[0].code).toBe("missing_messages_list");
    expect(report.errors[1].code).toBe("invalid_json");
  });
});
