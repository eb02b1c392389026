/**
 * The CLI as users run it: `node dist/cli/index.js validate ...` (built by `npm run build`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
const CLI = join(ROOT, "dist/cli/index.js");
const FIXTURES = join(ROOT, "test/fixtures/datasets");

let cacheDir: string;
beforeAll(() => {
  cacheDir = mkdtempSync(join(tmpdir(), "oft-cli-cache-"));
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, "validate", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, OPENAI_FINETUNE_CACHE_DIR: cacheDir, OPENAI_FINETUNE_PRICES: "" },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const JSON_KEYS = [
  "file",
  "sha256",
  "bytes",
  "format",
  "examples",
  "tokens",
  "billedTokens",
  "epochs",
  "estimatedCostUsd",
  "errors",
  "warnings",
];

describe("openai-finetune validate", () => {
  it("exits 0 for a valid file and prints the report", () => {
    const r = run(join(FIXTURES, "valid/chat.jsonl"), "--model", "gpt-4o-mini");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid\n/);
    expect(r.stdout).toMatch(/examples\s+12/);
    expect(r.stdout).toContain("gpt-4o-mini-2024-07-18");
  });

  it("exits 1 for an invalid file and names the line", () => {
    const r = run(join(FIXTURES, "errors/invalid_json.jsonl"));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("INVALID, 1 error");
    expect(r.stdout).toContain("line 6: [invalid_json]");
  });

  it("--json prints one object with the documented keys", () => {
    const r = run(join(FIXTURES, "errors/missing_content.jsonl"), "--json", "--model", "gpt-4o-mini-2024-07-18", "--epochs", "2");
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(Object.keys(out).slice(0, JSON_KEYS.length)).toEqual(JSON_KEYS);
    expect(out).toMatchObject({ file: join(FIXTURES, "errors/missing_content.jsonl"), format: "chat", examples: 11, epochs: 2 });
    expect(out.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof out.bytes).toBe("number");
    expect(out.billedTokens).toBe(out.tokens * 2);
    expect(out.estimatedCostUsd).toBeCloseTo((out.billedTokens * 3) / 1e6, 9);
    expect(out.errors).toEqual([{ line: 6, code: "missing_content", message: expect.any(String) }]);
    for (const w of out.warnings) expect(Object.keys(w).sort()).toEqual(["code", "line", "message"]);
  });

  it("--json has estimatedCostUsd null for an unknown model, and --method fixes the format", () => {
    const unknown = JSON.parse(run(join(FIXTURES, "valid/chat.jsonl"), "--json", "--model", "ft:my-own-base:acme::x1").stdout);
    expect(unknown.estimatedCostUsd).toBeNull();
    expect(unknown.errors).toEqual([]);
    expect(unknown.warnings[0].code).toBe("unknown_model");
    const dpo = run(join(FIXTURES, "valid/chat.jsonl"), "--json", "--method", "dpo");
    expect(dpo.code).toBe(1);
    expect(JSON.parse(dpo.stdout).errors[0]).toMatchObject({ line: 1, code: "format_mismatch" });
    const priced = JSON.parse(run(join(FIXTURES, "valid/dpo.jsonl"), "--json", "--method=dpo", "--model=gpt-4.1-mini", "--price=2").stdout);
    expect(priced.format).toBe("dpo");
    expect(priced.estimatedCostUsd).toBeCloseTo((priced.billedTokens * 2) / 1e6, 9);
  });

  it.each([
    [[], /missing required argument 'FILE'/],
    [["a.jsonl", "b.jsonl"], /too many arguments for 'validate'/],
    [["x.jsonl", "--frobnicate"], /unknown option '--frobnicate'/],
    [["x.jsonl", "--method", "sft"], /'--method <X>' argument 'sft' is invalid\. Allowed choices are supervised, dpo, reinforcement/],
    [["x.jsonl", "--model"], /option '--model <M>' argument missing/],
    [["x.jsonl", "--epochs", "0"], /'--epochs <N>' argument '0' is invalid\. must be "auto" or an integer from 1 to 50/],
    [["x.jsonl", "--n-epochs", "51"], /'--n-epochs <N>' argument '51' is invalid/],
    [["x.jsonl", "--price", "cheap"], /'--price <P>' argument 'cheap' is invalid\. must be a number/],
    [["x.jsonl", "--max-issues", "-1"], /'--max-issues <N>' argument '-1' is invalid\. must be a non-negative integer/],
    [[join(FIXTURES, "does-not-exist.jsonl")], /cannot read .*does-not-exist\.jsonl: ENOENT/],
    [[FIXTURES], /cannot read .*: not a regular file/],
  ])("exits 2 on bad usage: %j", (args, message) => {
    const r = run(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it("exits 2 when OPENAI_FINETUNE_PRICES is malformed", () => {
    const r = spawnSync(process.execPath, [CLI, "validate", join(FIXTURES, "valid/chat.jsonl"), "--model", "gpt-4o"], {
      encoding: "utf8",
      env: { ...process.env, OPENAI_FINETUNE_CACHE_DIR: cacheDir, OPENAI_FINETUNE_PRICES: "{nope" },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("OPENAI_FINETUNE_PRICES");
  });

  it("--help exits 0 with the usage", () => {
    const r = run("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: openai-finetune validate FILE [options]");
    expect(r.stdout).toContain("exit status: 0 valid, 1 invalid (or a --model the model facts do not know, without --allow-unknown-model), 2 bad usage");
    for (const flag of ["--model <M>", "--method <X>", "--epochs <N>", "--price <P>", "--json", "--no-cache", "--max-issues <N>", "--allow-unknown-model"]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it("a second run of an unchanged file is served from the cache", () => {
    const dir = mkdtempSync(join(tmpdir(), "oft-cli-"));
    const path = join(dir, "data.jsonl");
    const line = (i: number) =>
      JSON.stringify({ messages: [{ role: "user", content: `q${i}` }, { role: "assistant", content: `a${i}` }] });
    writeFileSync(path, Array.from({ length: 20 }, (_, i) => line(i)).join("\n"));
    const first = JSON.parse(run(path, "--json").stdout);
    const second = JSON.parse(run(path, "--json").stdout);
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect({ ...second, cached: false }).toEqual(first);
    const none = JSON.parse(run(path, "--json", "--no-cache").stdout);
    expect(none.cached).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints progress lines, not a bar, when its output is not a terminal: one at the start, then every 10% of the bytes", () => {
    const dir = mkdtempSync(join(tmpdir(), "oft-cli-"));
    const path = join(dir, "big.jsonl");
    const line = (i: number) => JSON.stringify({ messages: [{ role: "user", content: `question ${i} ${"x".repeat(200)}` }, { role: "assistant", content: `answer ${i}` }] });
    writeFileSync(path, Array.from({ length: 40_000 }, (_, i) => line(i)).join("\n"));
    const r = run(path, "--no-cache");
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^validating \S+big\.jsonl \([\d.]+ MB\)$/);
    const percents = lines.slice(1).map((l) => Number(/\((\d+)%\)$/.exec(l)?.[1]));
    expect(percents.length).toBeGreaterThanOrEqual(2);
    // At most one line per tenth (plus one per 2 s on a slow machine), increasing, ending at 100%.
    expect(percents.length).toBeLessThanOrEqual(11 + 10);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents[percents.length - 1]).toBe(100);
    expect(r.stdout).toMatch(/examples\s+40,000/);
  });

  it("a --model the facts do not know: a warning with the nearest ids, exit 1, or 0 with --allow-unknown-model", () => {
    const file = join(FIXTURES, "valid/chat.jsonl");
    const refused = run(file, "--model", "gpt-4o-mini-2024-07-1", "--json");
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).estimatedCostUsd).toBeNull();
    expect(refused.stderr).toContain("warning: gpt-4o-mini-2024-07-1 is not in the model facts, so its training price is unknown");
    expect(refused.stderr).toContain("Did you mean gpt-4o-mini-2024-07-18");
    expect(refused.stderr).toContain("--allow-unknown-model");
    const allowed = run(file, "--model", "acme-compatible-7b", "--allow-unknown-model");
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toContain("acme-compatible-7b is not in the model facts");
    expect(run(file, "--model", "gpt-4o-mini").code).toBe(0);
  });
});
