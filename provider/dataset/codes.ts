/**
 * Every code a dataset report can carry, with what it means. Codes are stable API: tools and
 * tests match on them. The first group are the keys of OpenAI's cookbook checker
 * (Chat_finetuning_data_prep); the rest are this package's own.
 */
export const ERROR_CODES = {
  // --- the cookbook's keys ---
  invalid_json: "the line is not valid JSON",
  data_type: "the line is JSON but not an object",
  missing_messages_list: "`messages` is missing, not an array, or empty",
  message_missing_key: "a message lacks a required key (`role`; `tool_call_id` on tool messages; `name` on function messages)",
  message_unrecognized_key: "a message has a key its role does not allow",
  unrecognized_role: "a message's role is unknown or not allowed in this format",
  missing_content: "a message has no content (and no tool or function call)",
  example_missing_assistant_message: "a chat example has no assistant message to learn from",
  // --- file and encoding ---
  empty_file: "the file has no examples at all",
  too_few_examples: "fewer than 10 examples (the API's minimum)",
  bom: "the file starts with a UTF-16/32 byte order mark: the file must be UTF-8 (a UTF-8 BOM is accepted)",
  invalid_utf8: "the line has bytes that are not valid UTF-8",
  line_too_long: "the line is longer than the reader accepts (maxLineBytes)",
  mixed_formats: "the line is in another format than the file's (detected from its first valid line)",
  format_mismatch: "the line is not in the format the method or model requires",
  method_not_supported: "the model does not support the chosen fine-tuning method",
  // --- message content ---
  invalid_message: "a message is not a JSON object",
  invalid_content: "content has the wrong type (string, null for tool-calling assistants, or an array of parts)",
  invalid_content_part: "a content part is malformed or of a type training data does not accept",
  invalid_name: "`name` is not a non-empty string",
  // --- tools and functions ---
  invalid_tools: "`tools` is not an array of {type: \"function\", function: {name, description?, parameters?}}",
  invalid_parallel_tool_calls: "`parallel_tool_calls` is not a boolean",
  invalid_tool_calls: "`tool_calls` is not an array of {id, type: \"function\", function: {name, arguments}}",
  tool_call_arguments_not_string: "a tool call's `arguments` is not a string (it must be JSON encoded as a string)",
  tool_call_arguments_invalid_json: "a tool call's `arguments` string is not valid JSON",
  invalid_tool_call_id: "`tool_call_id` is not a non-empty string",
  invalid_functions: "legacy `functions` is not an array of {name, description?, parameters?}",
  invalid_function_call: "legacy `function_call` is not {name, arguments} with `arguments` a JSON string",
  // --- weights ---
  invalid_weight: "`weight` is not 0 or 1, or is on a message that is not from the assistant",
  // --- vision ---
  image_not_allowed: "an image part is in a message that is not from the user",
  too_many_images: "more than 10 images in one example",
  invalid_image_url: "an image URL is neither http(s) nor a base64 data URL",
  unsupported_image_type: "a data-URL image is not JPEG, PNG or WebP",
  image_too_large: "a data-URL image is over 10 MB",
  // --- DPO ---
  dpo_missing_input: "a DPO example has no `input` object",
  dpo_invalid_input: "DPO `input` is not an object with `messages` (plus optional tools, parallel_tool_calls)",
  dpo_missing_output: "a DPO example lacks `preferred_output` or `non_preferred_output`",
  dpo_invalid_output: "a DPO output is not an array of exactly one assistant message",
  // --- reinforcement ---
  rft_last_message_not_user: "a reinforcement example's last message is not from the user",
  // --- legacy prompt/completion ---
  missing_prompt: "a legacy example has no string `prompt`",
  missing_completion: "a legacy example has no string `completion`",
} as const;

export const WARNING_CODES = {
  missing_system_message: "examples without a system (or developer) message (counted once, first line given)",
  missing_user_message: "examples without a user message (counted once, first line given)",
  example_too_long: "the example has more tokens than the model's limit: it will be truncated in training",
  blank_line: "a blank line (skipped)",
  unrecognized_key: "a top-level key this format ignores",
  no_trained_messages: "every assistant message has weight 0: the example teaches nothing",
  unknown_tool: "a tool call names a function that the example's `tools` do not declare",
  unmatched_tool_call_id: "a tool message answers a tool_call_id no earlier assistant message made",
  dpo_identical_outputs: "preferred and non-preferred outputs are identical",
  dpo_input_last_message_not_user: "the DPO input does not end with a user message",
  images_estimated: "image tokens are estimated at 85 per image (low detail); the real count depends on size and detail",
  images_not_supported: "the model is not listed as accepting images in training data",
  few_examples: "fewer than 50 examples: OpenAI recommends 50 to 100 as a start",
  unknown_model: "the model is not in the model facts file (or is an ft: model): no cost estimate",
  no_model: "no model given: default tokenizer, no limit, no cost estimate",
  no_price: "the model has no per-token training price: no cost estimate",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type WarningCode = keyof typeof WARNING_CODES;

/** At most this many errors (and per-line warnings) are kept; the counts go on. */
export const MAX_ISSUES = 100;
/** The API's minimum number of training examples. */
export const MIN_EXAMPLES = 10;
export const RECOMMENDED_MIN_EXAMPLES = 50;
export const MAX_IMAGES_PER_EXAMPLE = 10;
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Tokens counted per image: the low-detail cost, the floor of what an image costs. */
export const IMAGE_TOKENS_ESTIMATE = 85;
