/**
 * The bridge to the shared dataset rules (provider/dataset): validates a job's files exactly like
 * `openai-finetune validate` does, and extracts prompt/reply pairs for the fine-tuned model to answer from.
 */
import { rm, writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { createWriteStream } from "node:fs";
import type { AnalyzeOptions, DatasetReport } from "../provider/dataset";
import { openContent } from "./files";
import { randomId } from "./ids";
import type { FileRecord, JobError, Store, Validation } from "./store";

/** A path holding the whole content (multi-part uploads are joined into a temporary blob). */
async function withSinglePath<T>(store: Store, rec: FileRecord, fn: (path: string) => Promise<T>): Promise<T> {
  if (rec.segments.length === 1) return fn(store.blobPath(rec.segments[0]!));
  const tmp = store.blobPath(`.join-${randomId(12)}`);
  try {
    await pipeline(openContent(store, rec), createWriteStream(tmp));
    return await fn(tmp);
  } finally {
    await rm(tmp, { force: true });
  }
}

function fileError(report: DatasetReport, param: string, fileId: string): JobError {
  const first = report.errors[0];
  const where = first ? (first.line > 0 ? `line ${first.line}` : "the file") : "the file";
  const message = first
    ? `The job failed due to an invalid ${param.replace("_", " ")} (${fileId}): ${where}: ${first.message}` +
      (report.errorCount > 1 ? ` (and ${report.errorCount - 1} more error${report.errorCount > 2 ? "s" : ""})` : "")
    : `The job failed due to an invalid ${param.replace("_", " ")} (${fileId}).`;
  return { code: first?.code ?? "invalid_file", message, param };
}

export interface ValidateInput {
  training: FileRecord;
  validation: FileRecord | null;
  model: string;
  method: "supervised" | "dpo" | "reinforcement";
  nEpochs: number | "auto";
}

/** Validate the job's files with the shared dataset rules. */
export async function validateJobFiles(store: Store, input: ValidateInput): Promise<Validation> {
  // Loaded on first use: the dataset rules (zod schemas, tokenizers) are not needed to serve files.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const analyze = (require("../provider/dataset") as typeof import("../provider/dataset")).analyzeDataset;
  // Files over 1 MB are checked in one worker thread, so the event loop keeps serving meanwhile.
  const workers = (rec: FileRecord) => (rec.obj.bytes >= 1024 * 1024 ? 1 : 0);
  const opts: AnalyzeOptions = { model: input.model, method: input.method, nEpochs: input.nEpochs, noCache: true };
  const report = await withSinglePath(store, input.training, (path) =>
    analyze({ path }, { ...opts, workers: workers(input.training) }),
  );
  if (report.errorCount > 0) return { ok: false, error: fileError(report, "training_file", input.training.obj.id) };
  if (input.validation) {
    const validation = input.validation;
    const v = await withSinglePath(store, validation, (path) =>
      analyze({ path }, { ...opts, nEpochs: 1, workers: workers(validation) }),
    );
    if (v.errorCount > 0) return { ok: false, error: fileError(v, "validation_file", input.validation.obj.id) };
  }
  return { ok: true, examples: report.examples, tokens: report.tokens, billedTokens: report.billedTokens, epochs: report.epochs };
}

export interface Example {
  prompt: string;
  reply: string;
  /** The reference answer's `tool_calls`, when it calls tools: the fine-tuned model answers with them. */
  toolCalls?: unknown[];
}

/** What a fine-tuned model keeps to answer from: enough for any evaluation, bounded in memory. */
const MAX_EXAMPLES = 20_000;
const MAX_TEXT = 4_000;
const MAX_TOTAL_TEXT = 16 * 1024 * 1024;

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : ""))
      .filter(Boolean)
      .join("\n");
  }
  return "";
}

type Msg = { role?: unknown; content?: unknown; tool_calls?: unknown };

/** The last user message before the final assistant message, and that assistant's reply. */
function pairOf(line: unknown): Example | null {
  if (!line || typeof line !== "object") return null;
  const o = line as Record<string, unknown>;
  if (typeof o.prompt === "string" && typeof o.completion === "string") return { prompt: o.prompt, reply: o.completion };
  let messages: Msg[] | undefined;
  let reply: Msg | undefined;
  if (Array.isArray(o.messages)) {
    messages = o.messages as Msg[];
    const lastAssistant = messages.map((m) => m?.role).lastIndexOf("assistant");
    if (lastAssistant >= 0) {
      reply = messages[lastAssistant];
      messages = messages.slice(0, lastAssistant);
    }
  } else if (o.input && typeof o.input === "object" && Array.isArray((o.input as { messages?: unknown }).messages)) {
    messages = (o.input as { messages: Msg[] }).messages;
    reply = Array.isArray(o.preferred_output) ? (o.preferred_output[0] as Msg) : undefined;
  }
  if (!messages) return null;
  const user = [...messages].reverse().find((m) => m?.role === "user");
  const prompt = textOf(user?.content);
  let replyText = textOf(reply?.content);
  if (!replyText && reply?.tool_calls) replyText = JSON.stringify(reply.tool_calls);
  if (!prompt && !replyText) return null;
  const toolCalls = Array.isArray(reply?.tool_calls) && reply.tool_calls.length > 0 ? (reply.tool_calls as unknown[]) : undefined;
  return { prompt: prompt.slice(0, MAX_TEXT), reply: replyText.slice(0, MAX_TEXT), ...(toolCalls ? { toolCalls } : {}) };
}

/** Extract the prompt/reply pairs of a training file into a JSON blob; returns the blob name. */
export async function extractExamples(store: Store, rec: FileRecord, jobId: string): Promise<string> {
  const examples: Example[] = [];
  let total = 0;
  const rl = createInterface({ input: openContent(store, rec), crlfDelay: Infinity });
  for await (const line of rl) {
    if (examples.length >= MAX_EXAMPLES || total >= MAX_TOTAL_TEXT) break;
    if (!line.trim()) continue;
    try {
      const pair = pairOf(JSON.parse(line));
      if (pair) {
        examples.push(pair);
        total += pair.prompt.length + pair.reply.length;
      }
    } catch {
      /* validation already vetted the file */
    }
  }
  rl.close();
  const blob = `examples-${jobId}.json`;
  await writeFile(store.blobPath(blob), JSON.stringify(examples));
  return blob;
}

