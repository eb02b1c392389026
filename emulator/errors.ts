/**
 * The OpenAI error envelope: every failure the emulator answers is
 * `{"error": {"message", "type", "param", "code"}}` with the status the SDK maps to its error classes.
 */
export interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = "invalid_request_error",
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: ErrorBody } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, "invalid_request_error", param, code);

export const notFound = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(404, message, "invalid_request_error", param, code);

export const missingParam = (param: string) =>
  badRequest(`Missing required parameter: '${param}'.`, param, "missing_required_parameter");

const typeNames: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "a boolean",
  object: "an object",
  array: "an array",
};

export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal";
  if (typeof value === "object") return "an object";
  return typeNames[typeof value] ?? typeof value;
}

export const invalidType = (param: string, expected: string, got: unknown) =>
  badRequest(
    `Invalid type for '${param}': expected ${typeNames[expected] ?? expected}, but got ${describeType(got)} instead.`,
    param,
    "invalid_type",
  );

export const invalidValue = (param: string, message: string) => badRequest(message, param, "invalid_value");

export const unknownParam = (param: string) =>
  badRequest(`Unrecognized request argument supplied: ${param}`, param, "unknown_parameter");

export const serverError = () =>
  new ApiError(
    500,
    "The server had an error while processing your request. Sorry about that!",
    "server_error",
    null,
    null,
  );
