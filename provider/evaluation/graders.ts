/**
 * The graders, in promptfoo's vocabulary so teams can reuse their assertions. Each grader scores one
 * answer 0..1 and passes or fails it; without `value`, it compares with the example's reference answer.
 *
 * Pass rule: an example passes when every grader with a non-zero weight passes. `weight` (default 1)
 * only weighs the example's score (the weighted mean of its graders' scores); `weight: 0` makes a
 * grader informational: reported, never failing an example.
 */
import Ajv from "ajv";
import { z } from "zod";
import type { EvalExample, ToolCallRef } from "./dataset";
import { similarity } from "./similarity";

export const GRADER_TYPES = [
  "equals",
  "contains",
  "icontains",
  "regex",
  "starts-with",
  "is-json",
  "json-equals",
  "similar",
  "tool-call",
  "llm-rubric",
] as const;

export type GraderType = (typeof GRADER_TYPES)[number];

export const graderSchema = z
  .object({
    type: z.enum(GRADER_TYPES, { error: (issue) => `unknown grader type ${JSON.stringify(issue.input)}; known: ${GRADER_TYPES.join(", ")}` }),
    value: z.string().optional(),
    threshold: z.number().min(0).max(1).optional(),
    ignoreCase: z.boolean().optional(),
    schema: z.record(z.string(), z.unknown()).optional(),
    fields: z.array(z.string().min(1)).min(1).optional(),
    rubric: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    weight: z.number().min(0).optional(),
  })
  .strict();

export type GraderSpec = z.infer<typeof graderSchema>;

/** What the model answered. */
export interface Answer {
  text: string;
  toolCalls: ToolCallRef[];
}

export interface GradeResult {
  pass: boolean;
  score: number;
  reason: string;
}

/** Asks a grader model; supplied by the runner (it brings the client, retries and usage counting). */
export type RubricJudge = (request: { model: string; rubric: string; answer: string; prompt: string }) => Promise<{ score: number; reason: string }>;

export interface Grader {
  spec: GraderSpec;
  /** e.g. "similar>=0.6" */
  label: string;
  weight: number;
  grade(answer: Answer, example: EvalExample, judge: RubricJudge): GradeResult | Promise<GradeResult>;
}

export const DEFAULT_SIMILAR_THRESHOLD = 0.6;
export const DEFAULT_RUBRIC_THRESHOLD = 0.5;

/** Compiles graders, or returns every problem (by grader index) so a preview can refuse them all at once. */
export function compileGraders(specs: unknown, defaultJudgeModel?: string): { graders: Grader[]; problems: string[] } {
  const list = Array.isArray(specs) ? specs : [specs];
  const graders: Grader[] = [];
  const problems: string[] = [];
  if (list.length === 0) problems.push("graders: give at least one grader");
  list.forEach((raw, i) => {
    const parsed = graderSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((issue) => `graders[${i}]${issue.path.length ? "." + issue.path.join(".") : ""}: ${issue.message}`));
      return;
    }
    try {
      graders.push(compileOne(parsed.data, defaultJudgeModel));
    } catch (err) {
      problems.push(`graders[${i}] (${parsed.data.type}): ${(err as Error).message}`);
    }
  });
  return { graders, problems };
}

function compileOne(spec: GraderSpec, defaultJudgeModel: string | undefined): Grader {
  const make = (label: string, grade: Grader["grade"]): Grader => ({ spec, label, weight: spec.weight ?? 1, grade });
  const expected = (example: EvalExample) => spec.value ?? example.reference;
  const fold = (s: string) => (spec.ignoreCase ? s.toLowerCase() : s);
  switch (spec.type) {
    case "equals":
      return make("equals", (a, e) => binary(fold(a.text.trim()) === fold(expected(e).trim()), "the answer differs from the expected text"));
    case "contains":
      return make("contains", (a, e) => binary(fold(a.text).includes(fold(expected(e))), `the answer does not contain ${quote(expected(e))}`));
    case "icontains":
      return make("icontains", (a, e) => binary(a.text.toLowerCase().includes(expected(e).toLowerCase()), `the answer does not contain ${quote(expected(e))} (any case)`));
    case "starts-with":
      return make("starts-with", (a, e) => binary(fold(a.text.trim()).startsWith(fold(expected(e).trim())), `the answer does not start with ${quote(expected(e))}`));
    case "regex":
      return regexGrader(spec, make);
    case "is-json":
      return isJsonGrader(spec, make);
    case "json-equals":
      return make(spec.fields ? `json-equals(${spec.fields.join(",")})` : "json-equals", (a, e) => jsonEquals(a.text, expected(e), spec.fields));
    case "similar": {
      const threshold = spec.threshold ?? DEFAULT_SIMILAR_THRESHOLD;
      return make(`similar>=${threshold}`, (a, e) => {
        const score = similarity(fold(a.text), fold(expected(e)));
        return { pass: score >= threshold, score, reason: `similarity ${score.toFixed(2)} (threshold ${threshold})` };
      });
    }
    case "tool-call":
      return make("tool-call", (a, e) => toolCallsMatch(a.toolCalls, spec.value !== undefined ? parseToolCalls(spec.value) : e.referenceToolCalls));
    case "llm-rubric":
      return rubricGrader(spec, defaultJudgeModel, make);
  }
}

function regexGrader(spec: GraderSpec, make: (label: string, grade: Grader["grade"]) => Grader): Grader {
  if (spec.value === undefined) throw new Error("needs `value`, the pattern");
  let pattern: RegExp;
  try {
    pattern = new RegExp(spec.value, spec.ignoreCase ? "i" : "");
  } catch (err) {
    throw new Error(`the pattern ${quote(spec.value)} does not compile: ${(err as Error).message}`);
  }
  return make(`regex ${pattern}`, (a) => binary(pattern.test(a.text), `the answer does not match ${pattern}`));
}

function isJsonGrader(spec: GraderSpec, make: (label: string, grade: Grader["grade"]) => Grader): Grader {
  let validate: ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null } | undefined;
  if (spec.schema) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    try {
      validate = ajv.compile(spec.schema);
    } catch (err) {
      throw new Error(`the JSON schema is not valid: ${(err as Error).message}`);
    }
  }
  return make(spec.schema ? "is-json(schema)" : "is-json", (a) => {
    const parsed = parseJson(a.text);
    if (!parsed.ok) return binary(false, "the answer is not JSON");
    if (!validate || validate(parsed.value)) return binary(true, "");
    const why = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`.trim()).join("; ");
    return binary(false, `the JSON does not match the schema: ${why}`);
  });
}

function rubricGrader(spec: GraderSpec, defaultJudgeModel: string | undefined, make: (label: string, grade: Grader["grade"]) => Grader): Grader {
  const model = spec.model ?? defaultJudgeModel;
  if (!model) throw new Error("needs `model`, the grader model (any model the connection reaches)");
  const threshold = spec.threshold ?? DEFAULT_RUBRIC_THRESHOLD;
  return make(`llm-rubric>=${threshold}`, async (a, e, judge) => {
    const rubric = spec.rubric ?? `The answer says the same as this reference answer: ${e.reference}`;
    const prompt = e.messages.map((m) => `${String(m.role)}: ${typeof m.content === "string" ? m.content : JSON.stringify(m.content)}`).join("\n");
    const verdict = await judge({ model, rubric, answer: a.text, prompt });
    const score = Math.max(0, Math.min(1, verdict.score));
    return { pass: score >= threshold, score, reason: `rubric score ${score.toFixed(2)} (threshold ${threshold}): ${verdict.reason}` };
  });
}

function binary(pass: boolean, reason: string): GradeResult {
  return { pass, score: pass ? 1 : 0, reason: pass ? "" : reason };
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 79)}…` : s);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  // Models often fence JSON in markdown; the fence is not part of the answer's JSON.
  const unfenced = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, "$1");
  try {
    return { ok: true, value: JSON.parse(unfenced) };
  } catch {
    return { ok: false };
  }
}

function jsonEquals(answer: string, expected: string, fields: string[] | undefined): GradeResult {
  const got = parseJson(answer);
  if (!got.ok) return binary(false, "the answer is not JSON");
  const want = parseJson(expected);
  if (!want.ok) return binary(false, "the expected value is not JSON");
  const pick = (v: unknown) => (fields ? fields.map((f) => [f, select(v, f)]) : v);
  const differing = fields?.filter((f) => canonical(select(got.value, f)) !== canonical(select(want.value, f)));
  const same = canonical(pick(got.value)) === canonical(pick(want.value));
  return binary(same, differing?.length ? `fields differ: ${differing.join(", ")}` : "the JSON differs from the expected JSON");
}

/** `a.b.0.c` into nested objects and arrays. */
function select(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), value);
}

function canonical(value: unknown): string {
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function parseToolCalls(value: string): ToolCallRef[] {
  const parsed = parseJson(value);
  const list = parsed.ok ? (Array.isArray(parsed.value) ? parsed.value : [parsed.value]) : [];
  return list.flatMap((c) => {
    const call = c as { name?: unknown; arguments?: unknown; function?: { name?: unknown; arguments?: unknown } };
    const fn = call.function ?? call;
    if (typeof fn.name !== "string") return [];
    return [{ name: fn.name, arguments: typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? {}) }];
  });
}

/** Same functions, in order, with arguments equal as parsed JSON (key order and spacing do not matter). */
function toolCallsMatch(got: ToolCallRef[], want: ToolCallRef[]): GradeResult {
  if (want.length === 0) return binary(false, "the reference has no tool_calls to compare with");
  if (got.length === 0) return binary(false, `expected a call to ${want.map((c) => c.name).join(", ")}, got no tool call`);
  if (got.length !== want.length) return binary(false, `expected ${want.length} tool call(s), got ${got.length}`);
  for (let i = 0; i < want.length; i++) {
    if (got[i]!.name !== want[i]!.name) return binary(false, `tool call ${i + 1}: expected ${want[i]!.name}, got ${got[i]!.name}`);
    const a = parseJson(got[i]!.arguments);
    const b = parseJson(want[i]!.arguments);
    if (!a.ok) return binary(false, `tool call ${i + 1} (${got[i]!.name}): the arguments are not JSON`);
    if (!b.ok || canonical(a.value) !== canonical(b.value)) {
      return binary(false, `tool call ${i + 1} (${got[i]!.name}): arguments ${got[i]!.arguments} differ from ${want[i]!.arguments}`);
    }
  }
  return binary(true, "");
}

/** Canonical form of the graders, for the diff and the report. */
export function describeGraders(graders: Grader[]): string {
  return graders.map((g) => g.label).join(", ");
}
