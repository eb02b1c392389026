/**
 * `openai-finetune eval` as users run it (`node dist/cli/index.js eval ...`), against the emulator:
 * exit 0 when the gate passes, 1 when it fails, 2 on bad usage or input (with no chat call), the
 * `--json` object, the report files, and a progress line on stderr without a terminal.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, startEmulator, type RunningEmulator } from "../helpers/emulator";
import { BASE_MODEL, heldOutJsonl, trainSupportModel, TOPICS } from "../provider/evaluation/support-data";

let emulator: RunningEmulator;
let fineTuned: string;
let dir: string;
let data: string;

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 200 });
  fineTuned = await trainSupportModel(emulator.client());
  dir = mkdtempSync(join(tmpdir(), "oft-cli-eval-"));
  data = join(dir, "held-out.jsonl");
  writeFileSync(data, heldOutJsonl());
}, 90_000);
afterAll(() => emulator?.stop());

function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "eval", ...args], {
      cwd: dir,
      env: { ...process.env, OPENAI_BASE_URL: emulator.baseURL, OPENAI_API_KEY: emulator.apiKey, OPENAI_FINETUNE_CACHE_DIR: join(dir, ".cache") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const chatCalls = async () => (await emulator.state()).requests.byRoute["POST /v1/chat/completions"] ?? 0;

test("a passing gate exits 0 and --json prints one object with the outputs, the report written beside", async () => {
  const r = await run("--model", fineTuned, "--data", data, "--grader", '{"type":"similar","threshold":0.6}', "--grader", "contains:Console", "--min-pass-rate", "0.9", "--baseline", BASE_MODEL, "--json");
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out).toMatchObject({
    model: fineTuned,
    passed: true,
    passRate: 1,
    meanScore: expect.any(Number),
    counts: { total: TOPICS.length, passed: TOPICS.length, failed: 0, errored: 0 },
    graders: [expect.objectContaining({ grader: "similar>=0.6", passed: 10 }), expect.objectContaining({ grader: "contains", passed: 10 })],
    baselineResult: { model: BASE_MODEL, passRate: 0, meanScore: expect.any(Number), counts: expect.objectContaining({ failed: 10 }) },
    delta: 1,
    usage: expect.objectContaining({ promptTokens: expect.any(Number), completionTokens: expect.any(Number) }),
    failures: [],
    createdAt: expect.any(String),
  });
  expect(out.reportPath).toBe(join(dir, ".openai-finetune/evaluations/eval-held-out.json"));
  expect(JSON.parse(readFileSync(out.reportPath, "utf8"))).toMatchObject({ passed: true, passRate: 1, delta: 1 });
  expect(readFileSync(out.reportMarkdownPath, "utf8")).toMatch(/^# Evaluation eval-held-out: PASSED/);
});

test("a failing gate exits 1 and names the pass rate, the threshold and the worst examples", async () => {
  const r = await run("--model", BASE_MODEL, "--data", data, "--min-pass-rate", "0.5", "--name", "base");
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^FAILED: gpt-4.1-mini-2025-04-14: pass rate 0.0% \(0 passed, 10 failed, 0 errored of 10\), minPassRate 50.0%/);
  expect(r.stdout).toContain("pass rate 0.0% (0/10) is below minPassRate 50.0%");
  // Worst first: the lowest scores, then by line.
  expect(r.stdout).toMatch(/\n  line 2: "Where do I find invoices to download for last month\?" expected "Invoices are under Console > Billing/);
  expect(existsSync(join(dir, ".openai-finetune/evaluations/base.md"))).toBe(true);
});

test("a progress line is printed on stderr when it is not a terminal", async () => {
  const r = await run("--model", fineTuned, "--data", data, "--concurrency", "1");
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/^evaluating ft:.*: 10 examples, 10 chat requests, ~\d+ prompt \+ ~\d+ completion tokens, cost unknown/m);
  const lines = r.stderr.split("\n").filter((l) => / examples \(\d+%, /.test(l));
  expect(lines.length).toBeGreaterThanOrEqual(1);
  expect(lines.length).toBeLessThanOrEqual(10);
  expect(lines[0]).toMatch(new RegExp(`^${fineTuned.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\d+/10 examples`));
  expect(r.stderr).not.toContain("\r");
});

describe("bad usage or input exits 2 with no chat call", () => {
  const noFinal = () => {
    const lines = heldOutJsonl().trim().split("\n");
    lines[3] = JSON.stringify({ messages: [{ role: "user", content: "q" }, { role: "assistant", content: "a" }, { role: "user", content: "more?" }] });
    const path = join(dir, "no-final.jsonl");
    writeFileSync(path, lines.join("\n") + "\n");
    return path;
  };
  test.each([
    ["an unknown grader", () => ["--grader", "semantic"], /graders\[0\]\.type: unknown grader type "semantic"/],
    ["a regex that does not compile", () => ["--grader", "regex:([a-"], /graders\[0\] \(regex\): the pattern "\(\[a-" does not compile/],
    ["an invalid JSON schema", () => ["--grader", '{"type":"is-json","schema":{"type":12}}'], /graders\[0\] \(is-json\): the JSON schema is not valid/],
    ["a min pass rate outside 0..1", () => ["--min-pass-rate", "1.5"], /--min-pass-rate.*must be from 0 to 1/],
    ["a dataset without a final assistant message", () => ["--data", noFinal()], /line 4: the last message must be the assistant's reference answer/],
    ["a missing data file", () => ["--data", join(dir, "nope.jsonl")], /cannot read .*nope.jsonl/],
  ])("%s", async (_what, extra, message) => {
    const before = await chatCalls();
    const args = extra();
    const r = await run("--model", fineTuned, ...(args.includes("--data") ? [] : ["--data", data]), ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(await chatCalls()).toBe(before);
  });
  test("a model the API does not know", async () => {
    const r = await run("--model", "ft:gpt-4.1-mini-2025-04-14:emulator-org:gone:00000000", "--data", data, "--concurrency", "1");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/HTTP 404 model_not_found/);
  });
});
