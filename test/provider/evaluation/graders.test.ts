/** Each grader, one by one: a case it passes and a case it fails, and the configurations it refuses. */
import { compileGraders, type Answer, type Grader, type RubricJudge } from "../../../provider/evaluation/graders";
import type { EvalExample } from "../../../provider/evaluation/dataset";
import { similarity } from "../../../provider/evaluation/similarity";

const example = (reference: string, toolCalls: EvalExample["referenceToolCalls"] = []): EvalExample => ({
  line: 1,
  messages: [{ role: "user", content: "q" }],
  reference,
  referenceToolCalls: toolCalls,
});
const text = (t: string): Answer => ({ text: t, toolCalls: [] });
const noJudge: RubricJudge = async () => {
  throw new Error("no grader model in this test");
};

function one(spec: object): Grader {
  const { graders, problems } = compileGraders([spec]);
  expect(problems).toEqual([]);
  return graders[0]!;
}

async function grade(spec: object, answer: Answer, ex: EvalExample) {
  return one(spec).grade(answer, ex, noJudge);
}

describe.each([
  // [spec, reference, passing answer, failing answer]
  [{ type: "equals" }, "Console > Billing", "  Console > Billing \n", "Console > Billing > Invoices"],
  [{ type: "equals", ignoreCase: true }, "Yes", "yes", "yes!"],
  [{ type: "equals", value: "OK" }, "ignored reference", "OK", "Ok"],
  [{ type: "contains" }, "Billing", "Go to Console > Billing now", "Go to Console > billing now"],
  [{ type: "contains", value: "refund", ignoreCase: true }, "", "A REFUND is on its way", "No money back"],
  [{ type: "icontains", value: "Refund" }, "", "a refund", "a rebate"],
  [{ type: "regex", value: "^Console > \\w+" }, "", "Console > Billing", "See the Console > Billing page"],
  [{ type: "starts-with", value: "Console >" }, "", "Console > Security", "The Console > Security"],
  [{ type: "is-json" }, "", '{"a": 1}', "{a: 1}"],
  [{ type: "is-json" }, "", '```json\n[1, 2]\n```', "[1, 2"],
  [
    { type: "is-json", schema: { type: "object", properties: { priority: { enum: ["low", "high"] } }, required: ["priority"] } },
    "",
    '{"priority": "high"}',
    '{"priority": "urgent"}',
  ],
  [{ type: "json-equals" }, '{"a": 1, "b": [1, 2]}', '{"b": [1, 2], "a": 1}', '{"a": 1, "b": [2, 1]}'],
  [{ type: "json-equals", fields: ["user.id"] }, '{"user": {"id": 7, "name": "A"}}', '{"user": {"id": 7, "name": "B"}}', '{"user": {"id": 8, "name": "A"}}'],
  [{ type: "similar", threshold: 0.7 }, "Open Console > Account > Security and reset the password", "Open the Console > Account > Security page and reset your password", "Invoices are under Billing"],
])("%j", (spec, reference, good, bad) => {
  test("passes a matching answer", async () => {
    const result = await grade(spec, text(good), example(reference));
    expect(result).toMatchObject({ pass: true, score: expect.any(Number) });
    expect(result.score).toBeGreaterThan(0);
  });
  test("fails a wrong answer, saying why", async () => {
    const result = await grade(spec, text(bad), example(reference));
    expect(result.pass).toBe(false);
    expect(result.reason).not.toBe("");
  });
});

describe("is-json with a schema", () => {
  test("names the schema violation", async () => {
    const spec = { type: "is-json", schema: { type: "object", required: ["priority"] } };
    const result = await grade(spec, text('{"topic": "x"}'), example(""));
    expect(result.reason).toMatch(/does not match the schema: .*priority/);
  });
});

describe("tool-call", () => {
  const reference = [{ name: "open_ticket", arguments: '{"priority":"high","topic":"outage"}' }];
  test("passes the same function with the same arguments in another key order and spacing", async () => {
    const answer: Answer = { text: "", toolCalls: [{ name: "open_ticket", arguments: '{ "topic": "outage", "priority": "high" }' }] };
    expect(await grade({ type: "tool-call" }, answer, example("", reference))).toMatchObject({ pass: true, score: 1 });
  });
  test("fails other arguments", async () => {
    const answer: Answer = { text: "", toolCalls: [{ name: "open_ticket", arguments: '{"priority":"low","topic":"outage"}' }] };
    const result = await grade({ type: "tool-call" }, answer, example("", reference));
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(/arguments .*low.* differ/);
  });
  test("fails another function, and a plain text answer", async () => {
    const other: Answer = { text: "", toolCalls: [{ name: "close_ticket", arguments: "{}" }] };
    expect((await grade({ type: "tool-call" }, other, example("", reference))).reason).toMatch(/expected open_ticket, got close_ticket/);
    expect((await grade({ type: "tool-call" }, text("I opened a ticket"), example("", reference))).reason).toMatch(/got no tool call/);
  });
  test("compares with `value` when given", async () => {
    const answer: Answer = { text: "", toolCalls: [{ name: "lookup", arguments: '{"id":3}' }] };
    expect((await grade({ type: "tool-call", value: '{"name":"lookup","arguments":{"id":3}}' }, answer, example(""))).pass).toBe(true);
  });
});

describe("llm-rubric", () => {
  test("passes or fails on the grader model's score against the threshold", async () => {
    const grader = one({ type: "llm-rubric", rubric: "mentions the console page", model: "judge-model", threshold: 0.7 });
    const asked: string[] = [];
    const judge = (score: number): RubricJudge => async (req) => {
      asked.push(`${req.model}|${req.rubric}|${req.answer}`);
      return { score, reason: "because" };
    };
    expect(await grader.grade(text("answer"), example("ref"), judge(0.8))).toMatchObject({ pass: true, score: 0.8 });
    expect(await grader.grade(text("answer"), example("ref"), judge(0.6))).toMatchObject({ pass: false, score: 0.6 });
    expect(asked[0]).toBe("judge-model|mentions the console page|answer");
  });
  test("without a rubric, grades against the reference answer", async () => {
    const grader = one({ type: "llm-rubric", model: "judge-model" });
    let rubric = "";
    await grader.grade(text("a"), example("Console > Billing"), async (req) => ((rubric = req.rubric), { score: 1, reason: "" }));
    expect(rubric).toContain("Console > Billing");
  });
});

describe("configurations refused before anything runs", () => {
  test.each([
    [{ type: "semantic-equals" }, /graders\[0\]\.type: unknown grader type "semantic-equals"; known: equals, contains/],
    [{ type: "regex", value: "([a-z" }, /graders\[0\] \(regex\): the pattern "\(\[a-z" does not compile/],
    [{ type: "regex" }, /graders\[0\] \(regex\): needs `value`/],
    [{ type: "is-json", schema: { type: "no-such-type" } }, /graders\[0\] \(is-json\): the JSON schema is not valid/],
    [{ type: "llm-rubric", rubric: "r" }, /graders\[0\] \(llm-rubric\): needs `model`/],
    [{ type: "similar", threshold: 1.5 }, /graders\[0\]\.threshold: /],
    [{ type: "equals", colour: "red" }, /graders\[0\]: Unrecognized key: "colour"/],
  ])("%j", (spec, message) => {
    const { graders, problems } = compileGraders([spec]);
    expect(graders).toHaveLength(0);
    expect(problems.join("\n")).toMatch(message);
  });
  test("no grader at all", () => {
    expect(compileGraders([]).problems).toEqual(["graders: give at least one grader"]);
  });
});

describe("similar's score", () => {
  test("similarity is ROUGE-L F1 over words", () => {
    expect(similarity("a b c d", "a b c d")).toBe(1);
    expect(similarity("a b c d", "e f")).toBe(0);
    // LCS "a c" = 2; precision 2/3, recall 2/4.
    expect(similarity("a x c", "a b c d")).toBeCloseTo((2 * (2 / 3) * 0.5) / (2 / 3 + 0.5), 10);
  });
});
