import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  analyzeDataset,
  sha256Content,
  sha256File,
  workerScriptPath,
  type DatasetReport,
} from "../../../provider/dataset";
import { chatLine, chatLines, fixture, manifest, tempDir, useTempCache } from "./helpers";

const cache = useTempCache();
let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The report without the fields that legitimately differ between two runs. */
const comparable = (r: DatasetReport) => ({ ...r, cached: undefined, file: undefined });

describe("line endings and blank lines", () => {
  it("CRLF, no trailing newline and LF give the same result", async () => {
    const lf = await analyzeDataset({ content: chatLines(12).join("\n") + "\n" }, { noCache: true });
    const crlf = await analyzeDataset({ path: fixture(manifest.misc.crlf.file) }, { noCache: true });
    const bare = await analyzeDataset({ path: fixture(manifest.misc["no-trailing-newline"].file) }, { noCache: true });
    for (const r of [crlf, bare]) {
      expect(r.errorCount).toBe(0);
      expect(r.examples).toBe(12);
      expect(r.tokens).toBe(lf.tokens);
    }
  });

  it("a trailing newline is not a blank line; inner and trailing blank lines are warned and skipped", async () => {
    const r = await analyzeDataset({ path: fixture(manifest.misc["blank-lines"].file) }, { noCache: true });
    expect(r.errorCount).toBe(0);
    expect(r.examples).toBe(12);
    expect(r.warnings.filter((w) => w.code === "blank_line").map((w) => w.line)).toEqual(manifest.misc["blank-lines"].blankLines);
    const one = await analyzeDataset({ content: chatLines(12).join("\n") + "\n" }, { noCache: true });
    expect(one.warnings.some((w) => w.code === "blank_line")).toBe(false);
  });

  it("counts lines correctly with CRLF errors after blank lines", async () => {
    const content = ["", chatLine(1), "oops", ...chatLines(10, 2)].join("\r\n");
    const r = await analyzeDataset({ content }, { noCache: true });
    expect(r.errors).toEqual([expect.objectContaining({ line: 3, code: "invalid_json" })]);
  });
});

describe("encodings", () => {
  it("reports bytes that are not UTF-8 on their line and checks the other lines", async () => {
    const r = await analyzeDataset({ path: fixture(manifest.errors.invalid_utf8.file) }, { noCache: true });
    expect(r.errors).toEqual([expect.objectContaining({ line: 6, code: "invalid_utf8" })]);
    expect(r.errors[0].message).toMatch(/0xff/);
    expect(r.examples).toBe(11);
    expect(r.tokens).toBeGreaterThan(0);
  });

  it("flags overlong and truncated sequences, accepts real multibyte text", async () => {
    const good = Buffer.from(chatLines(10).join("\n") + "\n");
    const emoji = Buffer.from(chatLine(0).replace("What", "Wh🙂 ça 日本") + "\n");
    const overlong = Buffer.concat([Buffer.from('{"messages": "'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}\n')]);
    const truncated = Buffer.concat([Buffer.from('{"messages": "'), Buffer.from([0xe6, 0x97])]);
    const r = await analyzeDataset({ content: Buffer.concat([good, emoji, overlong, truncated]) }, { noCache: true });
    expect(r.errors.map((e) => [e.line, e.code])).toEqual([
      [12, "invalid_utf8"],
      [13, "invalid_utf8"],
    ]);
  });

  it("accepts a UTF-8 BOM (Azure asks for one) and still checks line 1", async () => {
    const r = await analyzeDataset({ path: fixture(manifest.valid["utf8-bom"].file) }, { noCache: true });
    expect(readFileSync(fixture(manifest.valid["utf8-bom"].file)).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(r.errors).toEqual([]);
    expect(r.examples).toBe(10);
    const clean = await analyzeDataset({ content: chatLines(10).join("\n") + "\n" }, { noCache: true });
    expect(r.tokens).toBe(clean.tokens);
  });

  it("a UTF-16 file is one clear error, not a flood", async () => {
    const r = await analyzeDataset({ path: fixture(manifest.misc.utf16le.file) }, { noCache: true });
    expect(r.errors).toEqual([expect.objectContaining({ line: 1, code: "bom" })]);
    expect(r.errors[0].message).toMatch(/UTF16LE/);
    expect(r.format).toBeNull();
  });

  it("an empty file and a file of blank lines are empty_file", async () => {
    for (const content of ["", "\n\n  \n"]) {
      const r = await analyzeDataset({ content }, { noCache: true });
      expect(r.errors.map((e) => e.code)).toEqual(["empty_file"]);
      expect(r.format).toBeNull();
    }
  });
});

describe("streaming", () => {
  it("finds the worker script (built by npm run build)", () => {
    expect(workerScriptPath()).not.toBeNull();
  });

  it("workers and in-process give identical reports, errors in line order across batches", async () => {
    const path = join(dir, "mixed.jsonl");
    const lines: string[] = [];
    for (let i = 1; i <= 12000; i++) {
      if (i % 997 === 0) lines.push("{broken");
      else if (i % 1499 === 0) lines.push(JSON.stringify({ messages: [{ role: "user", content: "no answer" }] }));
      else if (i % 2003 === 0) lines.push("");
      else lines.push(chatLine(i));
    }
    writeFileSync(path, lines.join("\n") + "\n");
    const inline = await analyzeDataset({ path }, { noCache: true, workers: 0 });
    const pooled = await analyzeDataset({ path }, { noCache: true, workers: 2 });
    expect(comparable(pooled)).toEqual(comparable(inline));
    const errorLines = inline.errors.map((e) => e.line);
    expect(errorLines).toEqual([...errorLines].sort((a, b) => a - b));
    expect(errorLines).toContain(997);
    expect(errorLines).toContain(11964);
    expect(inline.errorCount).toBe(12 + 8);
    expect(inline.warnings.filter((w) => w.code === "blank_line").map((w) => w.line)).toEqual([2003, 4006, 6009, 8012, 10015]);
    expect(inline.examples).toBe(12000 - 5);
  });

  it("handles a huge single line (several MB) that spans many reads", async () => {
    const path = join(dir, "huge-line.jsonl");
    const big = "lorem ipsum dolor sit amet ".repeat(200_000); // 5.4 MB
    const huge = JSON.stringify({ messages: [{ role: "user", content: big }, { role: "assistant", content: "ok" }] });
    writeFileSync(path, [chatLine(1), huge, ...chatLines(10, 2)].join("\n"));
    for (const workers of [0, 2]) {
      const r = await analyzeDataset({ path }, { noCache: true, workers, model: "gpt-4o-mini" });
      expect(r.errorCount).toBe(0);
      expect(r.examples).toBe(12);
      expect(r.truncatedExamples).toBe(1);
      expect(r.warnings).toContainEqual(expect.objectContaining({ line: 2, code: "example_too_long" }));
      expect(r.tokens).toBeGreaterThan(1_000_000);
    }
  });

  it("skips a line over maxLineBytes without buffering it, and goes on after it", async () => {
    const path = join(dir, "too-long.jsonl");
    const long = JSON.stringify({ messages: [{ role: "user", content: "x".repeat(3_000_000) }, { role: "assistant", content: "ok" }] });
    writeFileSync(path, [...chatLines(5), long, "{bad", ...chatLines(5, 8)].join("\n") + "\n");
    for (const workers of [0, 2]) {
      const r = await analyzeDataset({ path }, { noCache: true, workers, maxLineBytes: 1_000_000 });
      expect(r.errors.map((e) => [e.line, e.code])).toEqual([
        [6, "line_too_long"],
        [7, "invalid_json"],
      ]);
      expect(r.examples).toBe(12);
    }
  });

  it("reports progress up to the total size", async () => {
    const path = join(dir, "progress.jsonl");
    writeFileSync(path, chatLines(20000).join("\n"));
    const size = readFileSync(path).length;
    const seen: number[] = [];
    const totals = new Set<number>();
    const r = await analyzeDataset({ path }, {
      noCache: true,
      onProgress: (read, total) => {
        totals.add(total);
        seen.push(read);
      },
    });
    expect(r.bytes).toBe(size);
    expect([...totals]).toEqual([size]);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[seen.length - 1]).toBe(size);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
});

describe("hashes", () => {
  it("sha256File and sha256Content match node:crypto, and the report's sha256", async () => {
    const path = join(dir, "hash.jsonl");
    const content = chatLines(3000).join("\n");
    writeFileSync(path, content);
    const expected = createHash("sha256").update(content).digest("hex");
    expect(await sha256File(path)).toEqual({ sha256: expected, bytes: Buffer.byteLength(content) });
    expect(sha256Content(content)).toEqual({ sha256: expected, bytes: Buffer.byteLength(content) });
    expect(sha256Content(Buffer.from(content))).toEqual({ sha256: expected, bytes: Buffer.byteLength(content) });
    const r = await analyzeDataset({ path }, { noCache: true });
    expect(r.sha256).toBe(expected);
    expect((await analyzeDataset({ content }, { noCache: true })).sha256).toBe(expected);
    // The BOM is hashed: the hash is of the exact bytes.
    const bom = readFileSync(fixture(manifest.valid["utf8-bom"].file));
    expect((await analyzeDataset({ content: bom }, { noCache: true })).sha256).toBe(createHash("sha256").update(bom).digest("hex"));
  });
});

describe("format-only check (countTokens: false)", () => {
  const content = [...chatLines(30), "{oops", '{"messages": []}', ...chatLines(5)].join("\n") + "\n";

  it("finds the same errors and examples as a full check, with no token counts and no cost", async () => {
    const full = await analyzeDataset({ content }, { model: "gpt-4o-mini", noCache: true });
    expect(full.tokensCounted).toBe(true);
    expect(full.tokens).toBeGreaterThan(0);
    expect(full.errors.map((e) => e.line)).toEqual([31, 32]);
    for (const workers of [0, 2]) {
      const quick = await analyzeDataset({ content }, { model: "gpt-4o-mini", countTokens: false, noCache: true, workers });
      expect(quick.errors).toEqual(full.errors);
      expect(quick.examples).toBe(full.examples);
      expect(quick.format).toBe(full.format);
      expect(quick.tokensCounted).toBe(false);
      expect([quick.tokens, quick.billedTokens, quick.estimatedCostUsd, quick.encoding]).toEqual([0, 0, null, undefined]);
    }
  });

  it("is never cached, so a counted check never gets an uncounted result", async () => {
    const quick = await analyzeDataset({ content }, { countTokens: false });
    expect(quick.cached).toBe(false);
    expect((await analyzeDataset({ content }, { countTokens: false })).cached).toBe(false);
    const counted = await analyzeDataset({ content });
    expect(counted.cached).toBe(false);
    expect(counted.tokens).toBeGreaterThan(0);
  });
});

describe("result cache", () => {
  const entries = () => (existsSync(join(cache.dir(), "datasets-v2")) ? readdirSync(join(cache.dir(), "datasets-v2")) : []);

  it("a re-check of unchanged content comes from the cache, with the same result", async () => {
    const path = join(dir, "cached.jsonl");
    writeFileSync(path, chatLines(50).join("\n") + "\n{oops\n");
    const first = await analyzeDataset({ path }, { model: "gpt-4o-mini" });
    expect(first.cached).toBe(false);
    const second = await analyzeDataset({ path }, { model: "gpt-4o-mini" });
    expect(second.cached).toBe(true);
    expect(comparable(second)).toEqual(comparable(first));
    expect(second.file).toBe(path);
  });

  it("model, method, epochs and price are arithmetic on the cached scan; only the content is the key", async () => {
    const path = join(dir, "keyed.jsonl");
    writeFileSync(path, chatLines(40).join("\n") + "\n");
    const a = await analyzeDataset({ path }, { model: "gpt-4o-mini" });
    const b = await analyzeDataset({ path }, { model: "gpt-4o-mini", nEpochs: 7, pricePerMillionTokens: 1 });
    expect(b.cached).toBe(true);
    expect(b.epochs).toBe(7);
    expect(b.billedTokens).toBe(a.tokens * 7);
    expect(b.estimatedCostUsd).toBeCloseTo((a.tokens * 7) / 1e6, 9);
    const cl100k = await analyzeDataset({ path }, { model: "gpt-3.5-turbo" });
    expect([cl100k.cached, cl100k.encoding]).toEqual([true, "cl100k_base"]);
    expect(cl100k.tokens).toBe((await analyzeDataset({ path }, { model: "gpt-3.5-turbo", noCache: true })).tokens);
    const dpo = await analyzeDataset({ path }, { model: "gpt-4.1-mini", method: "dpo" });
    expect(dpo.cached).toBe(true);
    expect(dpo.errors).toEqual([expect.objectContaining({ line: 1, code: "format_mismatch" })]);
    appendFileSync(path, chatLine(99) + "\n");
    const changed = await analyzeDataset({ path }, { model: "gpt-4o-mini" });
    expect(changed.cached).toBe(false);
    expect(changed.examples).toBe(41);
  });

  it("a hash given by the caller is used for the lookup without reading the file", async () => {
    const path = join(dir, "hinted.jsonl");
    writeFileSync(path, chatLines(20).join("\n") + "\n");
    const first = await analyzeDataset({ path }, { model: "gpt-4o-mini" });
    // Other bytes under the old hash: only a lookup that did not hash the file finds the old result.
    writeFileSync(path, chatLines(25).join("\n") + "\n");
    const hinted = await analyzeDataset({ path }, { model: "gpt-4o-mini", sha256: first.sha256 });
    expect(hinted.cached).toBe(true);
    expect(hinted.examples).toBe(20);
    const read = await analyzeDataset({ path }, { model: "gpt-4o-mini" });
    expect([read.cached, read.examples]).toEqual([false, 25]);
  });

  it("noCache neither reads nor writes; a corrupt entry is a miss", async () => {
    const before = entries().length;
    const content = chatLines(15, 500).join("\n");
    const r = await analyzeDataset({ content }, { noCache: true });
    expect(r.cached).toBe(false);
    expect(entries().length).toBe(before);
    await analyzeDataset({ content });
    const after = entries();
    expect(after.length).toBe(before + 1);
    for (const name of after) writeFileSync(join(cache.dir(), "datasets-v2", name), "{corrupt");
    const again = await analyzeDataset({ content });
    expect(again.cached).toBe(false);
    expect(comparable(again)).toEqual(comparable(r));
  });

  it("an explicit cacheDir is used instead of the environment's", async () => {
    const own = tempDir();
    await analyzeDataset({ content: chatLines(10, 900).join("\n") }, { cacheDir: own });
    expect(readdirSync(join(own, "datasets-v2"))).toHaveLength(1);
    rmSync(own, { recursive: true, force: true });
  });
});
