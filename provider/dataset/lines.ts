/**
 * Validation and token counting of one parsed training line. Pure and synchronous: the same code
 * runs in the worker threads and in-process. Findings are pushed to a sink with stable codes; a
 * line is valid when it produced no error.
 */
import type { z } from "zod";
import {
  CHAT_KEYS,
  DPO_INPUT_KEYS,
  DPO_KEYS,
  FunctionCall,
  Functions,
  ImagePart,
  MessageSchemas,
  ParallelToolCalls,
  PROMPT_COMPLETION_KEYS,
  RefusalPart,
  ROLE_KEYS,
  type Role,
  TextPart,
  Tools,
  Weight,
} from "./schemas";
import { IMAGE_TOKENS_ESTIMATE, MAX_IMAGE_BYTES, MAX_IMAGES_PER_EXAMPLE } from "./codes";
import type { DatasetFormat } from "./types";

/** Counts the tokens of a string with some encoding. */
export type TokenCounter = (text: string) => number;

export interface LineSink {
  error(code: string, message: string): void;
  warning(code: string, message: string): void;
  /** Warnings counted across the file and reported once (missing system message...). */
  note(code: string): void;
}

export interface ExampleContext {
  format: DatasetFormat;
  /** Whether the model accepts images (null: unknown model, do not warn). */
  vision: boolean | null;
}

/** The top-level shape family a parsed line belongs to, from its keys alone. */
export type ShapeFamily = "messages" | "dpo" | "prompt_completion";

export function familyOf(format: DatasetFormat): ShapeFamily {
  return format === "dpo" ? "dpo" : format === "prompt_completion" ? "prompt_completion" : "messages";
}

export function shapeOf(obj: Record<string, unknown>): ShapeFamily | null {
  if ("preferred_output" in obj || "non_preferred_output" in obj) return "dpo";
  if ("messages" in obj) return "messages";
  if ("input" in obj) return "dpo";
  if ("prompt" in obj || "completion" in obj) return "prompt_completion";
  return null;
}

export const FORMAT_LABEL: Record<DatasetFormat, string> = {
  chat: "chat (supervised)",
  dpo: "DPO (preference)",
  reinforcement: "reinforcement",
  prompt_completion: "legacy prompt/completion",
};
const FAMILY_LABEL: Record<ShapeFamily, string> = {
  messages: "chat/reinforcement (messages)",
  dpo: "DPO (input/preferred_output)",
  prompt_completion: "legacy prompt/completion",
};
export function familyLabel(f: ShapeFamily): string {
  return FAMILY_LABEL[f];
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function zodDetail(err: z.ZodError): string {
  const i = err.issues[0];
  if (!i) return "invalid";
  const p = i.path.length ? i.path.join(".") + ": " : "";
  return p + i.message;
}

/** Per-example state gathered while messages are checked. */
interface MessageStats {
  images: number;
  roles: Set<string>;
  assistants: number;
  trainedAssistants: number;
  toolNames: Set<string> | null;
  callIds: Set<string>;
}

function newStats(toolNames: Set<string> | null): MessageStats {
  return { images: 0, roles: new Set(), assistants: 0, trainedAssistants: 0, toolNames, callIds: new Set() };
}

function checkImageUrl(url: string, where: string, sink: LineSink): void {
  if (/^https?:\/\//i.test(url)) return;
  const m = /^data:([^;,]*)(;base64)?,/i.exec(url);
  if (!m) {
    sink.error("invalid_image_url", `${where}: image URL must be http(s) or a base64 data URL`);
    return;
  }
  const mime = m[1].toLowerCase();
  if (!["image/jpeg", "image/jpg", "image/png", "image/webp"].includes(mime)) {
    sink.error("unsupported_image_type", `${where}: image type ${mime || "(none)"} is not JPEG, PNG or WebP`);
    return;
  }
  if (!m[2]) {
    sink.error("invalid_image_url", `${where}: data URL must be base64-encoded`);
    return;
  }
  const b64 = url.length - m[0].length;
  const bytes = Math.floor((b64 * 3) / 4);
  if (bytes > MAX_IMAGE_BYTES) {
    sink.error("image_too_large", `${where}: image is about ${(bytes / 1048576).toFixed(1)} MB (limit 10 MB)`);
  }
}

/** Checks `content` by the rules of the message's role. */
function checkContent(msg: Record<string, unknown>, role: Role, where: string, stats: MessageStats, sink: LineSink): void {
  const content = msg.content;
  const callsTools = role === "assistant" && (msg.tool_calls !== undefined || msg.function_call !== undefined);
  const hasRefusal = role === "assistant" && typeof msg.refusal === "string" && msg.refusal.length > 0;
  if (content === undefined || content === null || content === "") {
    if (!callsTools && !hasRefusal) {
      sink.error(
        "missing_content",
        `${where}: ${role} message has ${content === "" ? "empty" : "no"} content` +
          (role === "assistant" ? " and no tool_calls" : ""),
      );
    }
    return;
  }
  if (typeof content === "string") return;
  if (!Array.isArray(content)) {
    sink.error("invalid_content", `${where}.content: must be a string or an array of content parts, got ${describe(content)}`);
    return;
  }
  if (content.length === 0 && !callsTools) {
    sink.error("missing_content", `${where}: content is an empty array`);
    return;
  }
  for (let i = 0; i < content.length; i++) {
    const part = content[i];
    const pw = `${where}.content[${i}]`;
    if (!isPlainObject(part)) {
      sink.error("invalid_content_part", `${pw}: must be an object, got ${describe(part)}`);
      continue;
    }
    const type = part.type;
    if (type === "text") {
      const r = TextPart.safeParse(part);
      if (!r.success) sink.error("invalid_content_part", `${pw}: ${zodDetail(r.error)}`);
    } else if (type === "image_url") {
      if (role !== "user") {
        sink.error("image_not_allowed", `${pw}: images are only allowed in user messages, not ${role}`);
        continue;
      }
      const r = ImagePart.safeParse(part);
      if (!r.success) {
        sink.error("invalid_content_part", `${pw}: ${zodDetail(r.error)}`);
        continue;
      }
      stats.images++;
      checkImageUrl(r.data.image_url.url, pw, sink);
    } else if (type === "refusal" && role === "assistant") {
      const r = RefusalPart.safeParse(part);
      if (!r.success) sink.error("invalid_content_part", `${pw}: ${zodDetail(r.error)}`);
    } else {
      sink.error(
        "invalid_content_part",
        `${pw}: part type ${JSON.stringify(type)} is not accepted in ${role} messages` +
          (role === "user" ? " (text, image_url)" : role === "assistant" ? " (text, refusal)" : " (text)"),
      );
    }
  }
}

function checkArguments(args: string, where: string, code: string, sink: LineSink): void {
  try {
    JSON.parse(args);
  } catch {
    sink.error(code, `${where}: arguments is not valid JSON: ${JSON.stringify(args.slice(0, 60))}`);
  }
}

/** Checks one message; returns its role when it has a usable one. */
function checkMessage(msg: unknown, where: string, allowedRoles: readonly string[], stats: MessageStats, sink: LineSink): Role | null {
  const r = roleOf(msg, where, allowedRoles, sink);
  if (r === null) return null;
  const m = msg as Record<string, unknown>;
  stats.roles.add(r);
  checkKeys(m, r, where, sink);
  checkTypedKeys(m, r, where, sink);
  checkContent(m, r, where, stats, sink);
  if (r === "assistant") checkAssistant(m, where, stats, sink);
  else if (r === "tool" && typeof m.tool_call_id === "string" && m.tool_call_id && !stats.callIds.has(m.tool_call_id)) {
    sink.warning("unmatched_tool_call_id", `${where}: tool_call_id ${JSON.stringify(m.tool_call_id)} answers no earlier tool call`);
  }
  return r;
}

function roleOf(msg: unknown, where: string, allowedRoles: readonly string[], sink: LineSink): Role | null {
  if (!isPlainObject(msg)) {
    sink.error("invalid_message", `${where}: must be an object, got ${describe(msg)}`);
    return null;
  }
  if (!("role" in msg)) {
    sink.error("message_missing_key", `${where}: missing "role"`);
    return null;
  }
  const role = msg.role;
  if (typeof role !== "string" || !allowedRoles.includes(role)) {
    sink.error("unrecognized_role", `${where}: role ${JSON.stringify(role)} is not one of ${allowedRoles.join(", ")}`);
    return null;
  }
  return role as Role;
}

/** Keys the role does not allow (a weight off an assistant message has its own code). */
function checkKeys(msg: Record<string, unknown>, r: Role, where: string, sink: LineSink): void {
  const allowed = ROLE_KEYS[r] as readonly string[];
  const extra: string[] = [];
  for (const k of Object.keys(msg)) {
    if (allowed.includes(k)) continue;
    if (k === "weight") sink.error("invalid_weight", `${where}: weight is only allowed on assistant messages, not ${r}`);
    else extra.push(k);
  }
  if (extra.length) {
    sink.error("message_unrecognized_key", `${where}: ${r} message has unrecognized key(s) ${extra.map((k) => JSON.stringify(k)).join(", ")}`);
  }
}

/** Typed keys through the role's zod schema, each problem once under its code; unrecognized keys were reported by checkKeys. */
function checkTypedKeys(msg: Record<string, unknown>, r: Role, where: string, sink: LineSink): void {
  const parsed = MessageSchemas[r].safeParse(msg);
  if (parsed.success) return;
  const seen = new Set<string>();
  for (const issue of parsed.error.issues) {
    if (issue.code === "unrecognized_keys") continue;
    const { code, message } = typedKeyProblem(msg, r, where, issue);
    const dedupe = code + "|" + message;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    sink.error(code, message);
  }
}

function typedKeyProblem(msg: Record<string, unknown>, r: Role, where: string, issue: z.core.$ZodIssue): { code: string; message: string } {
  const key = String(issue.path[0] ?? "");
  const missing = msg[key] === undefined;
  const at = `${where}.${issue.path.join(".")}`;
  switch (key) {
    case "name":
      return missing ? { code: "message_missing_key", message: `${where}: ${r} message needs a "name"` } : { code: "invalid_name", message: `${at}: must be a non-empty string` };
    case "tool_call_id":
      return missing ? { code: "message_missing_key", message: `${where}: tool message needs a "tool_call_id"` } : { code: "invalid_tool_call_id", message: `${at}: must be a non-empty string` };
    case "tool_calls": {
      const last = issue.path[issue.path.length - 1];
      if (last === "arguments" && issue.code === "invalid_type") {
        return { code: "tool_call_arguments_not_string", message: `${at}: arguments must be a JSON-encoded string, got ${describe(getPath(msg, issue.path as PropertyKey[]))}` };
      }
      return { code: "invalid_tool_calls", message: `${at}: ${issue.message}` };
    }
    case "function_call":
      return { code: "invalid_function_call", message: `${at}: ${issue.message}` };
    case "refusal":
      return { code: "invalid_content", message: `${at}: refusal must be a string or null` };
    default:
      return { code: "invalid_message", message: `${at}: ${issue.message}` };
  }
}

/** An assistant message: its weight, its tool calls' JSON arguments and names, the legacy function call. */
function checkAssistant(msg: Record<string, unknown>, where: string, stats: MessageStats, sink: LineSink): void {
  stats.assistants++;
  if (msg.weight !== undefined && !Weight.safeParse(msg.weight).success) {
    sink.error("invalid_weight", `${where}.weight: must be 0 or 1, got ${JSON.stringify(msg.weight)}`);
  }
  if (msg.weight !== 0) stats.trainedAssistants++;
  if (Array.isArray(msg.tool_calls)) {
    msg.tool_calls.forEach((tc, i) => {
      if (!isPlainObject(tc)) return;
      const fn = tc.function;
      if (isPlainObject(fn) && typeof fn.arguments === "string") {
        checkArguments(fn.arguments, `${where}.tool_calls[${i}].function`, "tool_call_arguments_invalid_json", sink);
      }
      if (typeof tc.id === "string") stats.callIds.add(tc.id);
      if (stats.toolNames && isPlainObject(fn) && typeof fn.name === "string" && !stats.toolNames.has(fn.name)) {
        sink.warning("unknown_tool", `${where}.tool_calls[${i}]: function ${JSON.stringify(fn.name)} is not declared in tools`);
      }
    });
  }
  if (isPlainObject(msg.function_call) && FunctionCall.safeParse(msg.function_call).success) {
    const fc = msg.function_call as { name: string; arguments: string };
    checkArguments(fc.arguments, `${where}.function_call`, "invalid_function_call", sink);
    if (stats.toolNames && !stats.toolNames.has(fc.name)) {
      sink.warning("unknown_tool", `${where}.function_call: function ${JSON.stringify(fc.name)} is not declared in functions`);
    }
  }
}

function getPath(obj: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** tools / functions / parallel_tool_calls of a chat, RFT or DPO-input object; returns declared names. */
function checkToolsBlock(obj: Record<string, unknown>, where: string, sink: LineSink): Set<string> | null {
  let names: Set<string> | null = null;
  if (obj.tools !== undefined) {
    const r = Tools.safeParse(obj.tools);
    if (!r.success) sink.error("invalid_tools", `${where}tools: ${zodDetail(r.error)}`);
    else names = new Set(r.data.map((t) => t.function.name));
  }
  if (obj.functions !== undefined) {
    const r = Functions.safeParse(obj.functions);
    if (!r.success) sink.error("invalid_functions", `${where}functions: ${zodDetail(r.error)}`);
    else {
      names ??= new Set();
      for (const f of r.data) names.add(f.name);
    }
  }
  if (obj.parallel_tool_calls !== undefined && !ParallelToolCalls.safeParse(obj.parallel_tool_calls).success) {
    sink.error("invalid_parallel_tool_calls", `${where}parallel_tool_calls: must be a boolean, got ${describe(obj.parallel_tool_calls)}`);
  }
  return names;
}

function warnUnknownKeys(obj: Record<string, unknown>, known: Set<string>, where: string, sink: LineSink): void {
  const extra = Object.keys(obj).filter((k) => !known.has(k));
  if (extra.length) {
    sink.warning("unrecognized_key", `${where}unrecognized key(s) ${extra.map((k) => JSON.stringify(k)).join(", ")} (ignored)`);
  }
}

const CHAT_ROLES = ["system", "developer", "user", "assistant", "tool", "function"] as const;
const RFT_ROLES = ["system", "developer", "user", "assistant", "tool"] as const;

function checkMessages(
  messages: unknown,
  where: string,
  roles: readonly string[],
  stats: MessageStats,
  sink: LineSink,
): Record<string, unknown>[] | null {
  if (messages === undefined) {
    sink.error("missing_messages_list", `${where || ""}messages is missing`);
    return null;
  }
  if (!Array.isArray(messages)) {
    sink.error("missing_messages_list", `${where}messages must be an array, got ${describe(messages)}`);
    return null;
  }
  if (messages.length === 0) {
    sink.error("missing_messages_list", `${where}messages is empty`);
    return null;
  }
  for (let i = 0; i < messages.length; i++) checkMessage(messages[i], `${where}messages[${i}]`, roles, stats, sink);
  return messages as Record<string, unknown>[];
}

function noteImages(stats: MessageStats, ctx: ExampleContext, sink: LineSink): void {
  if (stats.images === 0) return;
  if (stats.images > MAX_IMAGES_PER_EXAMPLE) {
    sink.error("too_many_images", `${stats.images} images in one example (limit ${MAX_IMAGES_PER_EXAMPLE})`);
  }
  sink.note("images_estimated");
  if (ctx.vision === false) sink.note("images_not_supported");
}

/** Validates one parsed line against a format. */
export function checkExample(obj: unknown, ctx: ExampleContext, sink: LineSink): void {
  if (!isPlainObject(obj)) {
    sink.error("data_type", `line must be a JSON object, got ${describe(obj)}`);
    return;
  }
  const check = { chat: checkChatExample, reinforcement: checkReinforcementExample, dpo: checkDpoExample, prompt_completion: checkPromptCompletionExample }[ctx.format];
  check(obj, ctx, sink);
}

function checkChatExample(obj: Record<string, unknown>, ctx: ExampleContext, sink: LineSink): void {
  warnUnknownKeys(obj, CHAT_KEYS, "", sink);
  const stats = newStats(checkToolsBlock(obj, "", sink));
  if (!checkMessages(obj.messages, "", CHAT_ROLES, stats, sink)) return;
  if (stats.assistants === 0) {
    sink.error("example_missing_assistant_message", "no assistant message in the example");
  } else if (stats.trainedAssistants === 0) {
    sink.warning("no_trained_messages", "every assistant message has weight 0: nothing to learn from this example");
  }
  if (!stats.roles.has("system") && !stats.roles.has("developer")) sink.note("missing_system_message");
  if (!stats.roles.has("user")) sink.note("missing_user_message");
  noteImages(stats, ctx, sink);
}

function checkReinforcementExample(obj: Record<string, unknown>, ctx: ExampleContext, sink: LineSink): void {
  const stats = newStats(checkToolsBlock(obj, "", sink));
  const msgs = checkMessages(obj.messages, "", RFT_ROLES, stats, sink);
  if (!msgs) return;
  const last = msgs[msgs.length - 1];
  if (isPlainObject(last) && last.role !== "user") {
    sink.error("rft_last_message_not_user", `the last message must be from the user, not ${JSON.stringify(last.role)}`);
  }
  noteImages(stats, ctx, sink);
}

function checkDpoExample(obj: Record<string, unknown>, ctx: ExampleContext, sink: LineSink): void {
  warnUnknownKeys(obj, DPO_KEYS, "", sink);
  const stats = newStats(null);
  checkDpoInput(obj.input, stats, sink);
  const outputs = (["preferred_output", "non_preferred_output"] as const).map((key) => checkDpoOutput(obj[key], key, stats, sink)).filter((m) => m !== undefined);
  if (outputs.length === 2 && JSON.stringify(outputs[0]) === JSON.stringify(outputs[1])) {
    sink.warning("dpo_identical_outputs", "preferred_output and non_preferred_output are identical");
  }
  noteImages(stats, ctx, sink);
}

function checkDpoInput(input: unknown, stats: MessageStats, sink: LineSink): void {
  if (input === undefined) return sink.error("dpo_missing_input", "DPO example has no \"input\"");
  if (!isPlainObject(input)) return sink.error("dpo_invalid_input", `input must be an object with messages, got ${describe(input)}`);
  warnUnknownKeys(input, DPO_INPUT_KEYS, "input: ", sink);
  stats.toolNames = checkToolsBlock(input, "input.", sink);
  const msgs = checkMessages(input.messages, "input.", CHAT_ROLES, stats, sink);
  const last = msgs?.[msgs.length - 1];
  if (isPlainObject(last) && last.role !== "user") {
    sink.warning("dpo_input_last_message_not_user", `input ends with a ${JSON.stringify(last.role)} message, not a user message`);
  }
}

/** One of the two outputs: exactly one assistant message, checked as one; undefined when it is not usable. */
function checkDpoOutput(out: unknown, key: string, stats: MessageStats, sink: LineSink): unknown {
  if (out === undefined) return sink.error("dpo_missing_output", `DPO example has no "${key}"`);
  if (!Array.isArray(out) || out.length !== 1) {
    return sink.error("dpo_invalid_output", `${key} must be an array of exactly one assistant message, got ${Array.isArray(out) ? `${out.length} items` : describe(out)}`);
  }
  const m = out[0];
  if (isPlainObject(m) && m.role !== "assistant") return sink.error("dpo_invalid_output", `${key}[0]: must be an assistant message, not ${JSON.stringify(m.role)}`);
  checkMessage(m, `${key}[0]`, ["assistant"], stats, sink);
  return m;
}

function checkPromptCompletionExample(obj: Record<string, unknown>, _ctx: ExampleContext, sink: LineSink): void {
  warnUnknownKeys(obj, PROMPT_COMPLETION_KEYS, "", sink);
  if (typeof obj.prompt !== "string") {
    sink.error("missing_prompt", obj.prompt === undefined ? "no \"prompt\"" : `prompt must be a string, got ${describe(obj.prompt)}`);
  }
  if (typeof obj.completion !== "string") {
    sink.error("missing_completion", obj.completion === undefined ? "no \"completion\"" : `completion must be a string, got ${describe(obj.completion)}`);
  } else if (obj.completion === "") {
    sink.error("missing_completion", "completion is empty");
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

/** Tokens the cookbook formula adds per message, per `name`, and per example (reply priming). */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const TOKENS_PER_EXAMPLE = 3;

function contentTokens(content: unknown, count: TokenCounter): number {
  if (typeof content === "string") return count(content);
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    if (!isPlainObject(part)) continue;
    if (part.type === "text" && typeof part.text === "string") n += count(part.text);
    else if (part.type === "refusal" && typeof part.refusal === "string") n += count(part.refusal);
    else if (part.type === "image_url") n += IMAGE_TOKENS_ESTIMATE;
  }
  return n;
}

/**
 * Tokens of one message by the cookbook formula: 3, plus the tokens of every value (role,
 * content, name...), plus 1 when there is a `name`. Non-string values (tool_calls,
 * function_call) are counted as their JSON text; images as 85 tokens each; `weight` is metadata
 * and not counted.
 */
export function countMessageTokens(msg: Record<string, unknown>, count: TokenCounter): number {
  let n = TOKENS_PER_MESSAGE;
  for (const key in msg) {
    const v = msg[key];
    if (v === undefined || v === null || key === "weight") continue;
    if (key === "content") n += contentTokens(v, count);
    else if (typeof v === "string") n += count(v);
    else n += count(JSON.stringify(v));
    if (key === "name") n += TOKENS_PER_NAME;
  }
  return n;
}

function messagesTokens(messages: unknown, count: TokenCounter): number {
  let n = 0;
  if (Array.isArray(messages)) for (const m of messages) if (isPlainObject(m)) n += countMessageTokens(m, count);
  return n;
}

function toolsTokens(obj: Record<string, unknown>, count: TokenCounter): number {
  let n = 0;
  if (obj.tools !== undefined) n += count(JSON.stringify(obj.tools));
  if (obj.functions !== undefined) n += count(JSON.stringify(obj.functions));
  return n;
}

/**
 * Tokens of one (valid) example in a given format.
 * - chat / reinforcement: messages by the cookbook formula + 3, plus the JSON text of tools/functions.
 * - dpo: the same over input.messages, the preferred and the non-preferred output, + 3, plus tools.
 * - prompt_completion: tokens of prompt + tokens of completion.
 */
export function countExampleTokens(example: unknown, format: DatasetFormat, count: TokenCounter): number {
  if (!isPlainObject(example)) return 0;
  switch (format) {
    case "chat":
    case "reinforcement":
      return messagesTokens(example.messages, count) + TOKENS_PER_EXAMPLE + toolsTokens(example, count);
    case "dpo": {
      const input = isPlainObject(example.input) ? example.input : {};
      return (
        messagesTokens(input.messages, count) +
        messagesTokens(example.preferred_output, count) +
        messagesTokens(example.non_preferred_output, count) +
        TOKENS_PER_EXAMPLE +
        toolsTokens(input, count)
      );
    }
    case "prompt_completion":
      return (
        (typeof example.prompt === "string" ? count(example.prompt) : 0) +
        (typeof example.completion === "string" ? count(example.completion) : 0)
      );
  }
}
