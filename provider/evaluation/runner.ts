/**
 * Runs a model over evaluation examples through chat completions (the real `openai` SDK), with a
 * bounded number of requests in flight. 429s (honouring `retry-after`) and transient 5xx/connection
 * errors are retried a bounded number of times; an example that still fails is `errored`, which is
 * neither a pass nor a fail. Errors that no retry can fix (bad key, unknown model) stop the run.
 */
import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { describeApiError, isTransient } from "../errors";
import { retryDelayMs, sleep } from "../retry";
import { toolCallsOf, type EvalExample } from "./dataset";
import type { Answer, GradeResult, Grader, RubricJudge } from "./graders";

export interface Sampling {
  temperature: number;
  maxTokens?: number;
  seed?: number;
}

export interface RunOptions {
  client: OpenAI;
  model: string;
  examples: EvalExample[];
  graders: Grader[];
  sampling: Sampling;
  concurrency: number;
  /** Attempts per request (the first included). */
  attempts?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ExampleResult {
  line: number;
  status: "passed" | "failed" | "errored";
  score: number;
  answer?: string;
  toolCalls?: Answer["toolCalls"];
  grades: (GradeResult & { grader: string })[];
  error?: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Of those, spent by llm-rubric grader models. */
  graderPromptTokens: number;
  graderCompletionTokens: number;
  /** Requests retried after a 429 or a transient failure. */
  retries: number;
}

export interface RunResult {
  model: string;
  results: ExampleResult[];
  usage: Usage;
}

export const DEFAULT_ATTEMPTS = 6;

/** Stops every worker: the remaining examples would all fail the same way. */
class FatalRunError extends Error {}

export async function runModel(opts: RunOptions): Promise<RunResult> {
  const usage: Usage = { promptTokens: 0, completionTokens: 0, graderPromptTokens: 0, graderCompletionTokens: 0, retries: 0 };
  const results = new Array<ExampleResult>(opts.examples.length);
  const call = retrying(opts.attempts ?? DEFAULT_ATTEMPTS, usage);
  const judge = rubricJudge(opts.client, call, usage, opts.sampling.seed);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < opts.examples.length) {
      const i = next++;
      results[i] = await evaluateExample(opts, opts.examples[i]!, call, judge, usage);
      opts.onProgress?.(++done, opts.examples.length);
    }
  };
  const workers = Math.max(1, Math.min(opts.concurrency, opts.examples.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return { model: opts.model, results, usage };
}

type Call = <T>(what: string, request: () => Promise<T>) => Promise<T>;

function retrying(attempts: number, usage: Usage): Call {
  return async (what, request) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (err) {
        if (isFatal(err)) throw new FatalRunError(describeApiError(what, err));
        if (!isTransient(err) || attempt >= attempts) throw err;
        usage.retries++;
        await sleep(retryDelayMs(err, attempt));
      }
    }
  };
}

/** A wrong key, a missing permission or an unknown model: the same for every example. */
function isFatal(err: unknown): boolean {
  return err instanceof OpenAI.APIError && (err.status === 401 || err.status === 403 || err.status === 404);
}

async function evaluateExample(opts: RunOptions, example: EvalExample, call: Call, judge: RubricJudge, usage: Usage): Promise<ExampleResult> {
  let answer: Answer;
  try {
    const completion = await call(`asking ${opts.model} (line ${example.line})`, () =>
      opts.client.chat.completions.create(chatParams(opts, example), { maxRetries: 0 }),
    );
    usage.promptTokens += completion.usage?.prompt_tokens ?? 0;
    usage.completionTokens += completion.usage?.completion_tokens ?? 0;
    answer = answerOf(completion);
  } catch (err) {
    if (err instanceof FatalRunError) throw err;
    return { line: example.line, status: "errored", score: 0, grades: [], error: describeApiError(`asking ${opts.model}`, err) };
  }
  try {
    const grades = [];
    for (const grader of opts.graders) grades.push({ grader: grader.label, ...(await grader.grade(answer, example, judge)) });
    return { line: example.line, ...verdict(opts.graders, grades), answer: answer.text, toolCalls: answer.toolCalls.length ? answer.toolCalls : undefined, grades };
  } catch (err) {
    if (err instanceof FatalRunError) throw err;
    return { line: example.line, status: "errored", score: 0, answer: answer.text, grades: [], error: describeApiError("grading", err) };
  }
}

/** All graders with weight > 0 must pass; the score is the weighted mean of the grader scores. */
function verdict(graders: Grader[], grades: GradeResult[]): { status: "passed" | "failed"; score: number } {
  const total = graders.reduce((s, g) => s + g.weight, 0);
  const score = total > 0 ? grades.reduce((s, r, i) => s + r.score * graders[i]!.weight, 0) / total : grades.reduce((s, r) => s + r.score, 0) / grades.length;
  const pass = grades.every((r, i) => r.pass || graders[i]!.weight === 0);
  return { status: pass ? "passed" : "failed", score };
}

function chatParams(opts: RunOptions, example: EvalExample): ChatCompletionCreateParamsNonStreaming {
  const params: ChatCompletionCreateParamsNonStreaming = {
    model: opts.model,
    messages: example.messages as unknown as ChatCompletionCreateParamsNonStreaming["messages"],
    temperature: opts.sampling.temperature,
  };
  if (example.tools) params.tools = example.tools as ChatCompletionCreateParamsNonStreaming["tools"];
  if (opts.sampling.maxTokens !== undefined) params.max_completion_tokens = opts.sampling.maxTokens;
  if (opts.sampling.seed !== undefined) params.seed = opts.sampling.seed;
  return params;
}

function answerOf(completion: ChatCompletion): Answer {
  const message = completion.choices[0]?.message;
  return { text: message?.content ?? "", toolCalls: toolCallsOf(message?.tool_calls) };
}

/** The JSON schema name the grader model answers with (the emulator recognises it). */
export const RUBRIC_SCHEMA_NAME = "llm_rubric_grade";

export const RUBRIC_SYSTEM_PROMPT =
  "You grade an answer against a rubric. Reply with JSON {\"score\": number from 0 to 1, \"reason\": string}: " +
  "1 when the answer fully satisfies the rubric, 0 when it does not at all.";

/** Builds the grader-model request of `llm-rubric`; its tokens are counted apart from the model's. */
function rubricJudge(client: OpenAI, call: Call, usage: Usage, seed: number | undefined): RubricJudge {
  return async ({ model, rubric, answer, prompt }) => {
    const completion = await call(`asking the grader model ${model}`, () =>
      client.chat.completions.create(
        {
          model,
          temperature: 0,
          ...(seed !== undefined ? { seed } : {}),
          messages: [
            { role: "system", content: RUBRIC_SYSTEM_PROMPT },
            { role: "user", content: `<Prompt>\n${prompt}\n</Prompt>\n<Output>\n${answer}\n</Output>\n<Rubric>\n${rubric}\n</Rubric>` },
          ],
          response_format: {
            type: "json_schema",
            json_schema: {
              name: RUBRIC_SCHEMA_NAME,
              strict: true,
              schema: {
                type: "object",
                properties: { score: { type: "number" }, reason: { type: "string" } },
                required: ["score", "reason"],
                additionalProperties: false,
              },
            },
          },
        },
        { maxRetries: 0 },
      ),
    );
    usage.graderPromptTokens += completion.usage?.prompt_tokens ?? 0;
    usage.graderCompletionTokens += completion.usage?.completion_tokens ?? 0;
    const content = completion.choices[0]?.message?.content ?? "";
    const parsed = JSON.parse(content) as { score?: unknown; reason?: unknown };
    if (typeof parsed.score !== "number") throw new Error(`the grader model ${model} gave no score: ${content.slice(0, 200)}`);
    return { score: parsed.score, reason: typeof parsed.reason === "string" ? parsed.reason : "" };
  };
}
