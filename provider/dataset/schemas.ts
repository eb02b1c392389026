/**
 * zod schemas for the pieces of a training line. They are applied piece by piece (each message,
 * each tools array, each content part) so that every failure maps to a stable error code and a
 * precise path, rather than to one opaque union error for the whole line.
 */
import { z } from "zod";

const jsonObject = z.record(z.string(), z.unknown());

export const TextPart = z.strictObject({ type: z.literal("text"), text: z.string() });
export const RefusalPart = z.strictObject({ type: z.literal("refusal"), refusal: z.string() });
export const ImagePart = z.strictObject({
  type: z.literal("image_url"),
  image_url: z.strictObject({ url: z.string().min(1), detail: z.enum(["auto", "low", "high"]).optional() }),
});

export const ToolCall = z.strictObject({
  id: z.string().min(1),
  type: z.literal("function"),
  function: z.strictObject({ name: z.string().min(1), arguments: z.string() }),
});
export const ToolCalls = z.array(ToolCall).min(1);

export const FunctionCall = z.strictObject({ name: z.string().min(1), arguments: z.string() });

export const ToolDefinition = z.strictObject({
  type: z.literal("function"),
  function: z.strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: jsonObject.optional(),
    strict: z.boolean().nullable().optional(),
  }),
});
export const Tools = z.array(ToolDefinition);

export const FunctionDefinition = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  parameters: jsonObject.optional(),
});
export const Functions = z.array(FunctionDefinition);

export const ParallelToolCalls = z.boolean();
export const Weight = z.union([z.literal(0), z.literal(1)]);
export const Name = z.string().min(1);
export const ToolCallId = z.string().min(1);

/** Roles a message may have, and the keys each role allows (content is checked separately). */
export const ROLE_KEYS = {
  system: ["role", "content", "name"],
  developer: ["role", "content", "name"],
  user: ["role", "content", "name"],
  assistant: ["role", "content", "name", "tool_calls", "function_call", "weight", "refusal"],
  tool: ["role", "content", "tool_call_id"],
  function: ["role", "content", "name"],
} as const;
export type Role = keyof typeof ROLE_KEYS;

/**
 * Per-role message schemas; `content` and `weight` are z.unknown() here because their rules
 * (null allowed with tool calls, images only from the user, weight only on the assistant) need
 * the whole message and are checked by hand, with their own codes.
 */
const base = { content: z.unknown().optional(), weight: z.unknown().optional() };
export const MessageSchemas: Record<Role, z.ZodType> = {
  system: z.strictObject({ role: z.literal("system"), name: Name.optional(), ...base }),
  developer: z.strictObject({ role: z.literal("developer"), name: Name.optional(), ...base }),
  user: z.strictObject({ role: z.literal("user"), name: Name.optional(), ...base }),
  assistant: z.strictObject({
    role: z.literal("assistant"),
    name: Name.optional(),
    tool_calls: ToolCalls.optional(),
    function_call: FunctionCall.optional(),
    refusal: z.string().nullable().optional(),
    ...base,
  }),
  tool: z.strictObject({ role: z.literal("tool"), tool_call_id: ToolCallId, ...base }),
  function: z.strictObject({ role: z.literal("function"), name: Name, ...base }),
};

/** Line shapes, checked after their parts: the top-level keys each format knows. */
export const CHAT_KEYS = new Set(["messages", "tools", "parallel_tool_calls", "functions"]);
export const DPO_KEYS = new Set(["input", "preferred_output", "non_preferred_output"]);
export const DPO_INPUT_KEYS = new Set(["messages", "tools", "parallel_tool_calls", "functions"]);
export const PROMPT_COMPLETION_KEYS = new Set(["prompt", "completion"]);

export const PromptCompletion = z.looseObject({ prompt: z.string(), completion: z.string() });
