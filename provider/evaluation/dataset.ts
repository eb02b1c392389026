/**
 * Evaluation examples from a JSONL chat dataset: each line is a chat example whose last message is the
 * assistant's reference answer; the messages before it are the prompt. Lines are read with the dataset
 * module's reader and checked with the same per-line rules as training data, so an eval file that
 * would not train is refused with the same messages and line numbers.
 */
import { readChunks, type DatasetSource } from "../dataset/analyze";
import { checkExample, isPlainObject, type LineSink } from "../dataset/lines";

export interface ToolCallRef {
  name: string;
  /** The arguments as the dataset gives them: a JSON string. */
  arguments: string;
}

export interface EvalExample {
  /** 1-based line in the dataset. */
  line: number;
  /** The prompt: every message before the reference answer. */
  messages: Record<string, unknown>[];
  tools?: unknown[];
  /** The reference answer's text ("" when it only calls tools). */
  reference: string;
  referenceToolCalls: ToolCallRef[];
}

export interface EvalIssue {
  line: number;
  message: string;
}

export interface EvalDataset {
  examples: EvalExample[];
  /** Every problem found, by line; the dataset is usable only when this is empty. */
  issues: EvalIssue[];
  /** Non-blank lines. */
  lines: number;
}

/** Stops collecting issues beyond this many, so a wholly wrong file still gives a short message. */
const MAX_ISSUES = 20;

export async function readEvalDataset(source: DatasetSource): Promise<EvalDataset> {
  const examples: EvalExample[] = [];
  const issues: EvalIssue[] = [];
  let lines = 0;
  for await (const { line, text } of numberedLines(source)) {
    if (!text.trim()) continue;
    lines++;
    const found = parseLine(text, line);
    if ("issues" in found) {
      if (issues.length < MAX_ISSUES) issues.push(...found.issues.slice(0, MAX_ISSUES - issues.length));
    } else {
      examples.push(found.example);
    }
  }
  if (lines === 0) issues.push({ line: 0, message: "the dataset is empty: no examples to evaluate" });
  return { examples, issues, lines };
}

/** The source's lines, numbered from 1 (CRLF and a BOM tolerated), without holding the file. */
async function* numberedLines(source: DatasetSource): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  let line = 0;
  for await (const chunk of readChunks(source)) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      yield { line: ++line, text: strip(pending.slice(0, nl), line) };
      pending = pending.slice(nl + 1);
    }
  }
  pending += decoder.decode();
  if (pending.length > 0) yield { line: ++line, text: strip(pending, line) };
}

function strip(text: string, line: number): string {
  const noCr = text.endsWith("\r") ? text.slice(0, -1) : text;
  return line === 1 && noCr.charCodeAt(0) === 0xfeff ? noCr.slice(1) : noCr;
}

function parseLine(text: string, line: number): { example: EvalExample } | { issues: EvalIssue[] } {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return { issues: [{ line, message: `invalid JSON: ${(err as Error).message}` }] };
  }
  const errors: string[] = [];
  const sink: LineSink = { error: (_code, message) => errors.push(message), warning: () => {}, note: () => {} };
  checkExample(obj, { format: "chat", vision: null }, sink);
  if (errors.length > 0) return { issues: errors.map((message) => ({ line, message })) };
  const record = obj as Record<string, unknown>;
  const messages = record.messages as Record<string, unknown>[];
  const last = messages[messages.length - 1]!;
  if (last.role !== "assistant") {
    return { issues: [{ line, message: `the last message must be the assistant's reference answer (it is a '${String(last.role)}' message)` }] };
  }
  if (messages.length < 2) return { issues: [{ line, message: "no prompt: the reference answer is the only message" }] };
  return {
    example: {
      line,
      messages: messages.slice(0, -1),
      tools: Array.isArray(record.tools) ? record.tools : undefined,
      reference: textOf(last.content),
      referenceToolCalls: toolCallsOf(last.tool_calls),
    },
  };
}

export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (isPlainObject(p) && typeof p.text === "string" ? p.text : "")).filter(Boolean).join("\n");
  }
  return "";
}

export function toolCallsOf(value: unknown): ToolCallRef[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((call) => {
    const fn = isPlainObject(call) && isPlainObject(call.function) ? call.function : undefined;
    if (!fn || typeof fn.name !== "string") return [];
    return [{ name: fn.name, arguments: typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? {}) }];
  });
}

/** The last user message's text, shortened: what a failure shows of the prompt. */
export function promptExcerpt(example: EvalExample, max = 200): string {
  const user = [...example.messages].reverse().find((m) => m.role === "user");
  const text = textOf(user?.content).replace(/\s+/g, " ").trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
