/**
 * The evaluation engine against the emulator over HTTP with the real `openai` SDK: a model trained on
 * the support data passes a gate on held-out questions that the base model fails; the baseline delta;
 * tool calls; llm-rubric through a grader model; 429s and 500s retried to the same pass rate.
 */
import type OpenAI from "openai";
import { prepareEvaluation, runEvaluation, type EvaluationConfig } from "../../../provider/evaluation";
import { readEvalDataset } from "../../../provider/evaluation/dataset";
import { startEmulator, type RunningEmulator } from "../../helpers/emulator";
import { BASE_MODEL as BASE, heldOutJsonl, heldOutToolJsonl, trainSupportModel, TOPICS } from "./support-data";

let emulator: RunningEmulator;
let client: OpenAI;
let fineTuned: string;

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 200 });
  client = emulator.client({ maxRetries: 0 });
  fineTuned = await trainSupportModel(client);
}, 90_000);
afterAll(() => emulator?.stop());
afterEach(() => emulator.faults({ rate429: 0, rate500: 0 }));

function config(overrides: Partial<EvaluationConfig> & { data?: string }): EvaluationConfig {
  const { data, ...rest } = overrides;
  return {
    name: "test",
    model: fineTuned,
    source: { content: data ?? heldOutJsonl() },
    graders: [{ type: "similar", threshold: 0.6 }],
    minPassRate: 0.8,
    maxErroredShare: 0.1,
    concurrency: 4,
    sampling: { temperature: 0 },
    ...rest,
  };
}

async function evaluate(c: EvaluationConfig, attempts?: number) {
  const prepared = await prepareEvaluation({ ...c, attempts });
  expect(prepared.issues).toEqual([]);
  expect(prepared.graderProblems).toEqual([]);
  return runEvaluation(client, { ...c, attempts }, prepared);
}

async function chatCalls(): Promise<number> {
  return (await emulator.state()).requests.byRoute["POST /v1/chat/completions"] ?? 0;
}

test("the trained model passes a gate on held-out questions of its domain; the base model fails it", async () => {
  const trained = await evaluate(config({}));
  expect(trained.passed).toBe(true);
  expect(trained.counts).toEqual({ total: TOPICS.length, passed: TOPICS.length, failed: 0, errored: 0 });
  expect(trained.passRate).toBe(1);
  expect(trained.usage.promptTokens).toBeGreaterThan(0);

  const base = await evaluate(config({ model: BASE }));
  expect(base.passed).toBe(false);
  expect(base.passRate).toBe(0);
  expect(base.reasons).toEqual([`pass rate 0.0% (0/${TOPICS.length}) is below minPassRate 80.0%`]);
  expect(base.failures).toHaveLength(TOPICS.length);
  expect(base.failures[0]).toMatchObject({
    prompt: expect.any(String),
    expected: expect.stringContaining("Console >"),
    got: expect.stringContaining("served by the openai-finetune emulator"),
    failedGraders: [expect.stringMatching(/^similar>=0.6: similarity 0\.\d\d \(threshold 0.6\)$/)],
  });
});

test("the baseline is evaluated on the same data and the delta is the pass-rate difference", async () => {
  // Two topics' held-out answers differ from what was trained: the trained model misses those.
  const topics = TOPICS.map((t, i) => (i < 2 ? { ...t, answer: "Please ask a human agent by phone." } : t));
  const before = await chatCalls();
  const report = await evaluate(config({ data: heldOutJsonl(topics), baseline: BASE, minImprovement: 0.9 }));
  expect(await chatCalls()).toBe(before + 2 * TOPICS.length);
  expect(report.passRate).toBe(0.8);
  expect(report.baselineResult).toEqual({ model: BASE, passRate: 0, meanScore: expect.any(Number), counts: { total: 10, passed: 0, failed: 10, errored: 0 } });
  expect(report.delta).toBe(0.8);
  expect(report.passed).toBe(false);
  expect(report.reasons).toEqual([expect.stringMatching(/^improvement over the baseline gpt-4.1-mini-2025-04-14 is \+80.0 points \(80.0% vs 0.0%\), below minImprovement \+90.0 points$/)]);
  expect(report.failures.map((f) => f.line)).toEqual([1, 2]);

  const enough = await evaluate(config({ data: heldOutJsonl(topics), baseline: BASE, minImprovement: 0.5 }));
  expect(enough).toMatchObject({ passed: true, delta: 0.8, reasons: [] });
});

test("a tool-call example is answered with its tool_calls and graded on name and arguments", async () => {
  const right = await evaluate(config({ data: heldOutToolJsonl(), graders: [{ type: "tool-call" }] }));
  expect(right).toMatchObject({ passed: true, passRate: 1 });
  const wrong = await evaluate(config({ data: heldOutToolJsonl({ priority: "low", topic: "outage" }), graders: [{ type: "tool-call" }] }));
  expect(wrong.passed).toBe(false);
  expect(wrong.failures[0]!.failedGraders[0]).toMatch(/tool-call: tool call 1 \(open_ticket\): arguments .*"high".* differ from .*"low"/);
  expect(wrong.failures[0]!.got).toContain("open_ticket");
});

test("llm-rubric asks a grader model, whose tokens are counted apart", async () => {
  const graders = [{ type: "llm-rubric" as const, model: BASE, threshold: 0.5 }];
  const before = await chatCalls();
  const trained = await evaluate(config({ graders }));
  expect(await chatCalls()).toBe(before + 2 * TOPICS.length);
  expect(trained.passed).toBe(true);
  expect(trained.usage.graderPromptTokens).toBeGreaterThan(0);
  expect(trained.graders[0]).toMatchObject({ type: "llm-rubric", passed: TOPICS.length });
  const base = await evaluate(config({ model: BASE, graders }));
  expect(base.passed).toBe(false);
  expect(base.failures[0]!.failedGraders[0]).toMatch(/^llm-rubric>=0.5: rubric score 0\.\d+ \(threshold 0.5\): emulator: token overlap/);
});

test("a weight-0 grader is reported but never fails an example; weights weigh the score", async () => {
  const report = await evaluate(config({ graders: [{ type: "similar", threshold: 0.6, weight: 3 }, { type: "equals", value: "never", weight: 0 }] }));
  expect(report.passed).toBe(true);
  expect(report.graders.map((g) => [g.grader, g.passed])).toEqual([["similar>=0.6", 10], ["equals", 0]]);
  const unweighted = await evaluate(config({ graders: [{ type: "similar", threshold: 0.6 }, { type: "equals", value: "never" }] }));
  expect(unweighted).toMatchObject({ passed: false, passRate: 0 });
  expect(report.meanScore).toBeGreaterThan(unweighted.meanScore);
});

test("injected 429s (with retry-after) and 500s are retried and give the same pass rate", async () => {
  const clean = await evaluate(config({}));
  // Seeded: this run's draws are the same every time (with Math.random, one run in ~150 saw no 429).
  await emulator.faults({ rate429: 0.3, rate500: 0.2, retryAfterSeconds: 0, seed: 7 });
  const faulted = await evaluate(config({}), 12);
  const { faults } = await emulator.state();
  expect(faults.injected429).toBeGreaterThan(0);
  expect(faulted.usage.retries).toBeGreaterThan(0);
  expect(faulted.counts).toEqual(clean.counts);
  expect(faulted.passRate).toBe(clean.passRate);
  expect(faulted.passed).toBe(true);
});

test("examples that still error count as errored, not failed, and too many fail the gate as 'could not evaluate'", async () => {
  await emulator.faults({ rate500: 1, retryAfterSeconds: 0 });
  const report = await evaluate(config({}), 2);
  expect(report.counts).toEqual({ total: 10, passed: 0, failed: 0, errored: 10 });
  expect(report.passed).toBe(false);
  expect(report.reasons[0]).toBe("could not evaluate: 10 of 10 examples errored (100.0%), more than maxErroredShare 10.0%");
  expect(report.failures[0]!.failedGraders[0]).toMatch(/^error: asking .*HTTP 500/);
});

test("an unknown model stops the run at once with the API's message", async () => {
  const before = await chatCalls();
  await expect(evaluate(config({ model: "ft:gpt-4.1-mini-2025-04-14:emulator-org:gone:00000000", concurrency: 1 }))).rejects.toThrow(/HTTP 404 model_not_found/);
  expect(await chatCalls()).toBe(before + 1);
});

describe("the eval dataset is checked line by line", () => {
  test("a line without a final assistant message is named by its line", async () => {
    const data = heldOutJsonl().trim().split("\n");
    data[2] = JSON.stringify({ messages: [{ role: "user", content: "q" }, { role: "assistant", content: "a" }, { role: "user", content: "and?" }] });
    data[4] = JSON.stringify({ messages: [{ role: "user", content: "no answer at all" }] });
    data[6] = "{not json";
    const { issues, examples } = await readEvalDataset({ content: data.join("\n") + "\n" });
    expect(issues).toEqual([
      { line: 3, message: "the last message must be the assistant's reference answer (it is a 'user' message)" },
      { line: 5, message: "no assistant message in the example" },
      { line: 7, message: expect.stringMatching(/^invalid JSON: /) },
    ]);
    expect(examples).toHaveLength(7);
  });
  test("CRLF line ends and blank lines keep the line numbers", async () => {
    const [a, b] = heldOutJsonl().trim().split("\n");
    const { examples } = await readEvalDataset({ content: `${a}\r\n\r\n${b}\r\n` });
    expect(examples.map((e) => e.line)).toEqual([1, 3]);
  });
});
