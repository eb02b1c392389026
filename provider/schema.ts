/**
 * The declaration every resource schema is built from, in the spirit of Terraform's plugin framework:
 * each input is declared once, with its description and what a change to it means. `check()` validates
 * with the schema and `diff()` derives replace/update from the same declaration, so the two cannot drift.
 */
import { z } from "zod";
import type * as dynamic from "@pulumi/pulumi/dynamic";

/**
 * What a change to an input does to the live resource.
 * - `replace`: it defines the thing in the API (e.g. what a model was trained on): create anew.
 * - `update`: provider-only settings: recorded in place, no API object is recreated.
 * - `ignore`: not compared (same bytes under another path; values derived from other inputs).
 */
export type OnChange = "replace" | "update" | "ignore";

export interface FieldRule {
  onChange: OnChange;
  description: string;
}

const fieldRules = z.registry<FieldRule>();

/** Declares one input of a resource schema. */
export function field<T extends z.ZodType>(schema: T, rule: FieldRule): T {
  fieldRules.add(schema, rule);
  return schema;
}

export function ruleOf(schema: z.ZodType, key: string): FieldRule {
  const rule = fieldRules.get(schema);
  if (!rule) throw new Error(`schema field '${key}' has no field() declaration`);
  return rule;
}

export type ResourceSchema = z.ZodObject<z.ZodRawShape>;

/** During preview the engine sends this string for values that are not known yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

export interface CheckedInputs<T> {
  /** The parsed inputs (defaults applied), plus the not-yet-known ones passed through untouched. */
  inputs: T;
  /** Inputs whose value is not known yet (preview); their rules cannot be checked. */
  unknown: Set<string>;
  failures: dynamic.CheckFailure[];
}

/** Validates `news` against the schema, leaving out what is unknown at preview. */
export function checkInputs<S extends ResourceSchema>(schema: S, news: Record<string, unknown>): CheckedInputs<z.infer<S>> {
  const unknown = new Set(Object.keys(schema.shape).filter((key) => containsUnknown(news[key])));
  const known = schema.omit(Object.fromEntries([...unknown].map((key) => [key, true])) as never);
  const result = known.safeParse(news);
  const passedThrough = Object.fromEntries([...unknown].map((key) => [key, news[key]]));
  if (result.success) return { inputs: { ...result.data, ...passedThrough } as z.infer<S>, unknown, failures: [] };
  return { inputs: news as z.infer<S>, unknown, failures: result.error.issues.map(toFailure) };
}

/**
 * The engine looks the property up as a top-level input to show its value, so a nested problem is
 * reported on its top-level input with the nested path in the reason.
 */
function toFailure(issue: z.core.$ZodIssue): dynamic.CheckFailure {
  const [top, ...rest] = issue.path.map(String);
  const where = rest.length > 0 ? `${[top, ...rest].join(".")}: ` : "";
  return { property: top ?? "(inputs)", reason: `${where}${issue.message}` };
}

/** Decides replace/update from the field declarations. `olds` are the previous outputs (which echo inputs). */
export function diffInputs(schema: ResourceSchema, olds: Record<string, unknown>, news: Record<string, unknown>): dynamic.DiffResult {
  const replaces: string[] = [];
  let changes = false;
  for (const [key, fieldSchema] of Object.entries(schema.shape)) {
    const { onChange } = ruleOf(fieldSchema as z.ZodType, key);
    if (onChange === "ignore" || sameValue(olds[key], news[key])) continue;
    changes = true;
    if (onChange === "replace") replaces.push(key);
  }
  return { changes, replaces, deleteBeforeReplace: false };
}

/** The inputs a create or update must echo into its outputs, since diff compares against outputs. */
export function echoInputs(schema: ResourceSchema, inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(schema.shape).filter((key) => inputs[key] !== undefined).map((key) => [key, inputs[key]]));
}

/** Keys of the schema whose change replaces the resource. */
export function replacingFields(schema: ResourceSchema): string[] {
  return Object.entries(schema.shape)
    .filter(([key, s]) => ruleOf(s as z.ZodType, key).onChange === "replace")
    .map(([key]) => key);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (containsUnknown(b)) return false;
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON with sorted keys, `null` and absent treated alike, so equal values compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value)) ?? "null";
}

function normalize(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}
