/**
 * Bad input through the engine (issue 6, item 7): malformed datasets and invalid arguments each fail
 * `pulumi preview` of a real project, with a message naming the problem (the error code and line for
 * datasets, the property and reason for arguments), and the API is never called.
 *
 * One project and one stack: the program declares the case named by BAD_INPUT_CASE, each case its own
 * dataset, and the previews run a few at a time.
 */
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { PulumiProject, type RunResult } from "../helpers/pulumi";

jest.setTimeout(600_000);

const BASE_MODEL = "gpt-4.1-mini-2025-04-14";

/** A valid chat example. */
function chat(i: number): Record<string, unknown> {
  return {
    messages: [
      { role: "system", content: "You answer questions about the Acme console." },
      { role: "user", content: `Where is setting ${i}?` },
      { role: "assistant", content: `Setting ${i} is under Console > Settings > Page ${i}.` },
    ],
  };
}

/** A valid DPO example. */
function dpo(i: number): Record<string, unknown> {
  return {
    input: { messages: [{ role: "user", content: `Where is setting ${i}?` }] },
    preferred_output: [{ role: "assistant", content: `Console > Settings > Page ${i}.` }],
    non_preferred_output: [{ role: "assistant", content: "No idea." }],
  };
}

/** `n` valid chat examples as JSONL, with line `line` (1-based) replaced by `bad` (already serialized). */
function chatWith(n: number, line?: number, bad?: string): string {
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify(chat(i)));
  if (line !== undefined && bad !== undefined) lines[line - 1] = bad;
  return lines.join("\n") + "\n";
}

const VALID = chatWith(12);

interface Case {
  name: string;
  /** The dataset at data/<case>.jsonl (leave out for none). */
  dataset?: string | Buffer;
  /** TrainingFile arguments; default `{ path: "data/<case>.jsonl" }`. */
  file?: Record<string, unknown>;
  /** FineTunedModel arguments besides trainingFile. */
  model?: Record<string, unknown>;
  /** The resource and property the check failure names. */
  failure: ["data" | "model", string];
  /** What else the preview's output must say: the code and line, or the reason. */
  expected: string[];
}

const MODEL = { baseModel: BASE_MODEL, hyperparameters: { nEpochs: 2 } };

const toolCallExample = JSON.stringify({
  messages: [
    { role: "user", content: "Look up order 42." },
    { role: "assistant", tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: { order: 42 } } }] },
    { role: "tool", tool_call_id: "call_1", content: "shipped" },
    { role: "assistant", content: "Order 42 has shipped." },
  ],
  tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { order: { type: "number" } } } } }],
});

const weightTwo = JSON.stringify({
  messages: [
    { role: "user", content: "Where is billing?" },
    { role: "assistant", content: "Console > Billing.", weight: 2 },
  ],
});

const nonUtf8 = (() => {
  const lines = chatWith(12).split("\n");
  const [before, after] = lines[5]!.split("Settings");
  const bad = Buffer.concat([Buffer.from(before!), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from("Settings" + after!)]);
  return Buffer.concat([Buffer.from(lines.slice(0, 5).join("\n") + "\n"), bad, Buffer.from("\n" + lines.slice(6).join("\n"))]);
})();

const CASES: Case[] = [
  // --- datasets ---
  { name: "invalid JSON line", dataset: chatWith(12, 4, '{"messages": [{"role": "user", "content": "hi"}'), failure: ["data", "path"], expected: ["line 4: [invalid_json]"] },
  { name: "missing messages", dataset: chatWith(12, 5, JSON.stringify({ prompt_messages: chat(5).messages })), failure: ["data", "path"], expected: ["line 5: [missing_messages_list]"] },
  {
    name: "unknown role",
    dataset: chatWith(12, 3, JSON.stringify({ messages: [{ role: "customer", content: "hi" }, { role: "assistant", content: "hello" }] })),
    failure: ["data", "path"],
    expected: ["line 3: [unrecognized_role]"],
  },
  {
    name: "assistant message missing",
    dataset: chatWith(12, 7, JSON.stringify({ messages: [{ role: "system", content: "s" }, { role: "user", content: "hi" }] })),
    failure: ["data", "path"],
    expected: ["line 7: [example_missing_assistant_message]"],
  },
  { name: "too few examples", dataset: chatWith(5), failure: ["data", "path"], expected: ["file: [too_few_examples]"] },
  { name: "empty file", dataset: "", failure: ["data", "path"], expected: ["file: [empty_file]"] },
  { name: "missing file", file: { path: "data/does-not-exist.jsonl" }, failure: ["data", "path"], expected: ["cannot read dataset ", "/data/does-not-exist.jsonl: ENOENT"] },
  { name: "non-UTF-8 bytes", dataset: nonUtf8, failure: ["data", "path"], expected: ["line 6: [invalid_utf8]"] },
  { name: "UTF-16 byte order mark", dataset: Buffer.from("\uFEFF" + VALID, "utf16le"), failure: ["data", "path"], expected: ["line 1: [bom]"] },
  {
    name: "DPO data with the supervised method",
    dataset: Array.from({ length: 12 }, (_, i) => JSON.stringify(dpo(i))).join("\n") + "\n",
    model: { baseModel: BASE_MODEL, method: { type: "supervised" } },
    failure: ["model", "trainingFile"],
    expected: ["dataset has 1 error(s)", "line 1: [format_mismatch]", "needs chat (supervised) examples"],
  },
  { name: "tool call arguments not a string", dataset: chatWith(12, 8, toolCallExample), failure: ["data", "path"], expected: ["line 8: [tool_call_arguments_not_string]"] },
  { name: "weight 2", dataset: chatWith(12, 2, weightTwo), failure: ["data", "path"], expected: ["line 2: [invalid_weight]"] },
  // --- arguments ---
  { name: "negative nEpochs", dataset: VALID, model: { baseModel: BASE_MODEL, hyperparameters: { nEpochs: -1 } }, failure: ["model", "hyperparameters"], expected: ["hyperparameters.nEpochs: Too small: expected number to be >=1"] },
  { name: "unknown method type", dataset: VALID, model: { baseModel: BASE_MODEL, method: { type: "distillation" } }, failure: ["model", "method"], expected: ['method.type: type must be one of supervised, dpo, reinforcement, not "distillation"'] },
  { name: "suffix of 65 characters", dataset: VALID, model: { ...MODEL, suffix: "s".repeat(65) }, failure: ["model", "suffix"], expected: ["the API allows at most 64 characters"] },
  {
    name: "15 metadata keys",
    dataset: VALID,
    model: { ...MODEL, metadata: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`key${i}`, "v"])) },
    failure: ["model", "metadata"],
    expected: ["at most 13 keys (the API allows 16; the provider uses 3)"],
  },
  {
    name: "14 metadata keys on a new model (room for pulumi_dataset)",
    dataset: VALID,
    model: { ...MODEL, metadata: Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`key${i}`, "v"])) },
    failure: ["model", "metadata"],
    expected: ["at most 13 keys (the API allows 16; the provider uses 3: pulumi_owner, pulumi_inputs, pulumi_dataset), not 14"],
  },
  { name: "metadata value of 513 characters", dataset: VALID, model: { ...MODEL, metadata: { team: "x".repeat(513) } }, failure: ["model", "metadata"], expected: ["metadata.team: metadata values are at most 512 characters"] },
  { name: "reserved metadata key", dataset: VALID, model: { ...MODEL, metadata: { pulumi_owner: "someone/else/model" } }, failure: ["model", "metadata"], expected: ["keys starting with `pulumi_` are reserved for the provider"] },
  {
    name: "hyperparameters at the top level and in method",
    dataset: VALID,
    model: { baseModel: BASE_MODEL, method: { type: "supervised", hyperparameters: { nEpochs: 2 } }, hyperparameters: { nEpochs: 3 } },
    failure: ["model", "hyperparameters"],
    expected: ["give hyperparameters either in `method.hyperparameters` or at the top level, not both"],
  },
  { name: "maxTrainingCostUsd below the estimate", dataset: VALID, model: { ...MODEL, maxTrainingCostUsd: 0.000001 }, failure: ["model", "maxTrainingCostUsd"], expected: ["exceeds maxTrainingCostUsd $0.0000 (12 examples, "] },
  {
    name: "a method the base model does not support",
    dataset: Array.from({ length: 12 }, (_, i) => JSON.stringify(dpo(i))).join("\n") + "\n",
    model: { baseModel: "gpt-4o-mini-2024-07-18", method: { type: "dpo" } },
    failure: ["model", "method"],
    expected: ["gpt-4o-mini-2024-07-18 does not support dpo fine-tuning"],
  },
];

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

/** What a program declares for a case. */
type Declared = Pick<Case, "name" | "dataset" | "file" | "model">;

const VALID_CASE: Declared = { name: "valid", dataset: VALID };

/** One program for every case: the case to declare comes from BAD_INPUT_CASE, so previews can run side by side. */
function program(cases: Declared[]): string {
  const table = Object.fromEntries(cases.map((c) => [slug(c.name), { file: c.file ?? { path: `data/${slug(c.name)}.jsonl` }, model: c.model ?? MODEL }]));
  return `
const { TrainingFile, FineTunedModel } = require("pulumi-openai-finetune");
const cases = ${JSON.stringify(table, null, 2)};
const c = cases[process.env.BAD_INPUT_CASE];
if (!c) throw new Error("unknown case " + process.env.BAD_INPUT_CASE);
const data = new TrainingFile("data", c.file);
const model = new FineTunedModel("model", { ...c.model, trainingFile: data, pollIntervalSeconds: 1 });
exports.jobId = model.jobId;
`;
}

/** Previews running at once (each is a few seconds, mostly process start-up). */
const CONCURRENCY = 4;

interface Outcome {
  result: RunResult;
  /** The emulator's API request count when this preview had ended (it starts at 0). */
  requestsAfter: number;
}

/**
 * Requests other than the one a preview that would train makes on purpose (the base model's
 * `models.retrieve`, which checks the key and the model): none of those may happen at preview.
 */
const VERIFY_ROUTE = "GET /v1/models/{id}";
function paidRequests(state: Awaited<ReturnType<RunningEmulator["state"]>>): number {
  return state.requests.total - (state.requests.byRoute[VERIFY_ROUTE] ?? 0);
}

let emulator: RunningEmulator;
const outcomes = new Map<string, Outcome>();

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 100 });
  const all = [...CASES, VALID_CASE];
  const project = new PulumiProject({ name: "bad-input", program: program(all), baseURL: emulator.baseURL, apiKey: emulator.apiKey });
  for (const c of all) if (c.dataset !== undefined) project.write(`data/${slug(c.name)}.jsonl`, c.dataset);
  await project.initStack("bad");
  const queue = [...all];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const result = await project.run(["preview", "--stack", "bad"], { env: { BAD_INPUT_CASE: slug(c.name) } });
      outcomes.set(c.name, { result, requestsAfter: paidRequests(await emulator.state()) });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}, 600_000);
afterAll(() => emulator?.stop());

it("has at least 20 cases, each with a distinct name", () => {
  expect(CASES.length).toBeGreaterThanOrEqual(20);
  expect(new Set(CASES.map((c) => slug(c.name))).size).toBe(CASES.length);
});

it.each(CASES.map((c) => [c.name, c] as const))("%s: the preview fails, names the problem, and calls no API", (name, c) => {
  const { result, requestsAfter } = outcomes.get(name)!;
  for (const text of c.expected) expect(result.output).toContain(text);
  const [resource, property] = c.failure;
  const type = resource === "data" ? "TrainingFile" : "FineTunedModel";
  expect(result.output).toContain(`error: pulumi-nodejs:dynamic/openai-finetune:${type} resource '${resource}': property ${property} value `);
  expect(result.code).not.toBe(0);
  expect(requestsAfter).toBe(0);
});

it("the same preview of a valid dataset and arguments passes, so each case fails for its own reason, with one call that verifies the key and base model", () => {
  const { result, requestsAfter } = outcomes.get(VALID_CASE.name)!;
  expect(result.output).toContain("model: 12 examples");
  expect(result.output).not.toContain("error:");
  expect(result.code).toBe(0);
  expect(requestsAfter).toBe(0);
});

it("the emulator received nothing at all", async () => {
  const state = await emulator.state();
  expect(paidRequests(state)).toBe(0);
  // Only the valid case got as far as verifying its base model: the bad ones fail before any call.
  expect(state.requests.byRoute[VERIFY_ROUTE]).toBe(1);
  expect(state.received.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/models/${BASE_MODEL}`]);
  expect(state.files).toEqual([]);
  expect(state.jobs).toEqual([]);
});
