/**
 * Chat completions. A fine-tuned model (or one of its checkpoints) answers deterministically with
 * the assistant reply of the training example whose last user message is most similar (TF-IDF
 * cosine over words) to the request's last user message; a base model answers with a fixed
 * acknowledgement. Usage is counted with the model's real tokenizer. `stream: true` is SSE.
 */
import { readFileSync } from "node:fs";
import type { App } from "./app";
import { badRequest, invalidType, invalidValue, missingParam, notFound } from "./errors";
import { baseHeaders, readJson, type Ctx } from "./http";
import { newId, nowSeconds } from "./ids";
import { resolveServingModel } from "./models";
import { useDeployment } from "./deployments";

import type { Router } from "./router";
import type { Example } from "./dataset";
import type { JobRecord } from "./store";
import { countTokens, encodingFor } from "./tokens";
import { tokenOverlap } from "../provider/evaluation/similarity";

/**
 * On Azure every model answers only through a deployment, base models too: `/openai/deployments/{name}/…`
 * or v1 with `model=<deployment>`. A test that passes here must not pass only because the emulator is kinder.
 */
function deployedModel(app: App, name: string): string {
  const deployment = useDeployment(app, name);
  if (deployment) return deployment.model.name;
  const what = app.platform.isFineTunedName(name) ? "A fine-tuned model" : "On Azure OpenAI a model";
  throw notFound(`The API deployment for this resource does not exist: '${name}'. ${what} is called through a deployment of it.`, "model", "DeploymentNotFound");
}

// ---------------------------------------------------------------------------------------------
// Similarity index per job

interface Index {
  examples: Example[];
  vectors: Map<string, number>[];
  norms: number[];
  idf: Map<string, number>;
}

const indexes = new Map<string, Index>();

const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

function termCounts(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of words(text)) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

function indexFor(app: App, job: JobRecord): Index {
  let index = indexes.get(job.obj.id);
  if (index) return index;
  let examples: Example[] = [];
  if (job.examplesBlob) {
    try {
      examples = JSON.parse(readFileSync(app.store.blobPath(job.examplesBlob), "utf8")) as Example[];
    } catch {
      examples = [];
    }
  }
  const tfs = examples.map((e) => termCounts(e.prompt));
  const df = new Map<string, number>();
  for (const tf of tfs) for (const w of tf.keys()) df.set(w, (df.get(w) ?? 0) + 1);
  const idf = new Map<string, number>();
  for (const [w, n] of df) idf.set(w, Math.log((1 + examples.length) / (1 + n)) + 1);
  const vectors = tfs.map((tf) => new Map([...tf].map(([w, c]) => [w, c * idf.get(w)!])));
  const norms = vectors.map((v) => Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0)));
  index = { examples, vectors, norms, idf };
  if (indexes.size > 32) indexes.delete(indexes.keys().next().value!);
  indexes.set(job.obj.id, index);
  return index;
}

/** The most similar training example (ties: the earliest example). */
export function nearestExample(index: Index, query: string): Example | null {
  if (!index.examples.length) return null;
  const q = termCounts(query);
  let best = 0;
  let bestScore = -1;
  let qNorm = 0;
  const qv = new Map<string, number>();
  for (const [w, c] of q) {
    const x = c * (index.idf.get(w) ?? 0);
    if (x) qv.set(w, x);
    qNorm += x * x;
  }
  qNorm = Math.sqrt(qNorm);
  for (let i = 0; i < index.vectors.length; i++) {
    let dot = 0;
    for (const [w, x] of qv) dot += x * (index.vectors[i]!.get(w) ?? 0);
    const score = qNorm && index.norms[i] ? dot / (qNorm * index.norms[i]!) : 0;
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return index.examples[best]!;
}

// ---------------------------------------------------------------------------------------------

const ROLES = ["system", "developer", "user", "assistant", "tool", "function"];

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === "object" && typeof p.text === "string" ? p.text : "")).join("\n");
  }
  return "";
}

type ChatMessage = { role: string; content: unknown; name?: string };

function checkMessages(value: unknown): ChatMessage[] {
  if (value === undefined) throw missingParam("messages");
  if (!Array.isArray(value)) throw invalidType("messages", "array", value);
  if (value.length === 0) {
    throw badRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array");
  }
  value.forEach((m, i) => {
    if (typeof m !== "object" || m === null || Array.isArray(m)) throw invalidType(`messages[${i}]`, "object", m);
    if (m.role === undefined) throw missingParam(`messages[${i}].role`);
    if (!ROLES.includes(m.role)) {
      throw invalidValue(`messages[${i}].role`, `Invalid value: '${String(m.role)}'. Supported values are: ${ROLES.map((r) => `'${r}'`).join(", ")}.`);
    }
    if (m.content !== undefined && m.content !== null && typeof m.content !== "string" && !Array.isArray(m.content)) {
      throw invalidType(`messages[${i}].content`, "string", m.content);
    }
  });
  return value;
}

interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  n: number;
  maxTokens: number | undefined;
}

function checkRequest(ctx: Ctx, body: Record<string, unknown>): ChatRequest {
  const model = ctx.params.deployment ?? body.model;
  if (model === undefined || model === "") throw missingParam("model");
  if (typeof model !== "string") throw invalidType("model", "string", model);
  const messages = checkMessages(body.messages);
  const n = body.n ?? 1;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 128) throw invalidValue("n", "Invalid 'n': expected an integer from 1 to 128.");
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null && (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 1)) {
    throw invalidValue(body.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens", "Invalid max tokens: expected a positive integer.");
  }
  return { model, messages, n, maxTokens: typeof maxTokens === "number" ? maxTokens : undefined };
}

/** What the model says: a rubric grade, the nearest training example's reply (or tool calls), or a base model's sentence. */
function answerOf(app: App, body: Record<string, unknown>, req: ChatRequest, serving: ReturnType<typeof resolveServingModel>): { reply: string; toolCalls?: ToolCall[] } {
  const rubric = rubricRequest(body, req.messages);
  if (rubric !== undefined) return { reply: rubric };
  if (serving.kind !== "fine-tuned") {
    return { reply: `This is ${req.model} served by the openai-finetune emulator. Base models do not know your training data; fine-tune one to get answers from it.` };
  }
  const lastUser = [...req.messages].reverse().find((m) => m.role === "user");
  const nearest = nearestExample(indexFor(app, serving.job), contentText(lastUser?.content));
  const toolCalls = nearest?.toolCalls ? toolCallsOf(nearest.toolCalls) : undefined;
  return toolCalls ? { reply: "", toolCalls } : { reply: nearest?.reply ?? "" };
}

/** Usage by the cookbook formula (3 per message + its values, +1 for a name, 3 to prime the reply), and the reply cut at the token limit. */
async function usageOf(req: ChatRequest, encodingModel: string, answer: { reply: string; toolCalls?: ToolCall[] }) {
  const texts: string[] = [];
  for (const m of req.messages) {
    texts.push(m.role, contentText(m.content));
    if (typeof m.name === "string") texts.push(m.name);
  }
  texts.push(answer.toolCalls ? JSON.stringify(answer.toolCalls) : answer.reply);
  const counted = await countTokens({ encoding: encodingFor(encodingModel), texts, maxLastTokens: req.maxTokens });
  const completion = counted.counts.pop()!;
  const truncated = counted.truncated !== undefined && !answer.toolCalls;
  const names = req.messages.filter((m) => typeof m.name === "string").length;
  const promptTokens = 3 + 3 * req.messages.length + names + counted.counts.reduce((a, b) => a + b, 0);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completion * req.n,
    total_tokens: promptTokens + completion * req.n,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  const finish: "stop" | "length" | "tool_calls" = answer.toolCalls ? "tool_calls" : truncated ? "length" : "stop";
  return { usage, finish, reply: truncated ? counted.truncated! : answer.reply };
}

async function complete(ctx: Ctx, app: App): Promise<unknown> {
  const body = await readJson(ctx);
  const req = checkRequest(ctx, body);
  app.tick();
  const serving = resolveServingModel(app, app.platform.flavor === "azure" ? deployedModel(app, req.model) : req.model);
  const answer = answerOf(app, body, req, serving);
  const { usage, finish, reply } = await usageOf(req, serving.kind === "fine-tuned" ? serving.job.base : req.model, answer);
  const latency = app.options.chatLatencyMs ?? 0;
  if (latency > 0) await new Promise((done) => setTimeout(done, latency));
  const base = { id: newId.chat(), created: nowSeconds(), model: req.model, service_tier: "default", system_fingerprint: "fp_emulator" };
  if (body.stream === true) return streamCompletion(ctx, body, base, { reply, finish, usage, n: req.n });
  const toolCalls = answer.toolCalls;
  return {
    ...base,
    object: "chat.completion",
    choices: Array.from({ length: req.n }, (_, index) => ({
      index,
      message: { role: "assistant", content: toolCalls ? null : reply, refusal: null, annotations: [], ...(toolCalls ? { tool_calls: toolCalls } : {}) },
      logprobs: null,
      finish_reason: finish,
    })),
    usage,
  };
}

/** Server-sent events: a role chunk, the reply word by word, the finish reason per choice, then usage when asked. */
function streamCompletion(ctx: Ctx, body: Record<string, unknown>, base: Record<string, unknown>, out: { reply: string; finish: string; usage: unknown; n: number }): undefined {
  const includeUsage = !!(body.stream_options && typeof body.stream_options === "object" && (body.stream_options as { include_usage?: unknown }).include_usage);
  ctx.res.writeHead(200, { ...baseHeaders(ctx), "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  const send = (obj: unknown) => ctx.res.write(`data: ${JSON.stringify(obj)}\n\n`);
  const pieces = out.reply.match(/\S+\s*|\s+/g) ?? [];
  for (let i = 0; i < out.n; i++) {
    const chunk = (delta: unknown, finish_reason: string | null) => ({
      ...base,
      object: "chat.completion.chunk",
      choices: [{ index: i, delta, logprobs: null, finish_reason }],
      ...(includeUsage ? { usage: null } : {}),
    });
    send(chunk({ role: "assistant", content: "", refusal: null }, null));
    for (const piece of pieces) send(chunk({ content: piece }, null));
    send(chunk({}, out.finish));
  }
  if (includeUsage) send({ ...base, object: "chat.completion.chunk", choices: [], usage: out.usage });
  ctx.res.end("data: [DONE]\n\n");
  return undefined;
}

interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** The training example's tool calls as the API returns them (arguments as a JSON string, ids made here). */
function toolCallsOf(calls: unknown[]): ToolCall[] {
  return calls.map((call, i) => {
    const fn = ((call as { function?: { name?: unknown; arguments?: unknown } }).function ?? {}) as { name?: unknown; arguments?: unknown };
    const args = typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? {});
    return { id: `call_emulator_${i + 1}`, type: "function", function: { name: String(fn.name ?? ""), arguments: args } };
  });
}

/**
 * A grader-model request from the `llm-rubric` grader (its JSON schema is named `llm_rubric_grade`):
 * answered with a deterministic score, the token overlap (F1 over words) between the graded output
 * and the rubric, which holds the reference answer unless the user wrote their own rubric.
 */
function rubricRequest(body: Record<string, unknown>, messages: { role: string; content: unknown }[]): string | undefined {
  const format = body.response_format as { type?: unknown; json_schema?: { name?: unknown } } | undefined;
  if (format?.type !== "json_schema" || format.json_schema?.name !== "llm_rubric_grade") return undefined;
  const user = contentText([...messages].reverse().find((m) => m.role === "user")?.content);
  const section = (tag: string) => new RegExp(`<${tag}>\\n?([\\s\\S]*?)\\n?</${tag}>`).exec(user)?.[1] ?? "";
  const score = Math.round(tokenOverlap(section("Output"), section("Rubric")) * 1000) / 1000;
  return JSON.stringify({ score, reason: `emulator: token overlap ${score} between the output and the rubric` });
}

export function registerChat(router: Router): void {
  router.add("POST", "/v1/chat/completions", complete).add("POST", "/v1/deployments/{deployment}/chat/completions", complete);
}
