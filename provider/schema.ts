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

/**
 * Who sets a field: the user (`input`, in the Args), the resource class or check() (`internal`, e.g.
 * `owner`, `trainingDataset`), or the provider after create/read (`output`).
 */
export type FieldRole = "input" | "internal" | "output";

/** How a field appears among the resource class's outputs. */
export interface OutputRule {
  /** When the output means something else than the input (e.g. `filename`: the name in the API). */
  description?: string;
  /** The TypeScript type of the output's value, when it must differ from the schema's (written verbatim). */
  type?: string;
}

export interface FieldRule {
  onChange: OnChange;
  description: string;
  /** Kept encrypted in state and out of the engine's logs: the class wraps it in `pulumi.secret`. */
  secret?: boolean;
  /** Default `input`; `internal` fields are stored and compared but not in the Args. */
  role?: Exclude<FieldRole, "output">;
  /** The Args type when the user gives something else than the provider stores (written verbatim), e.g. `TrainingFile | pulumi.Input<string>`. */
  argType?: string;
  /** Also an output of the resource class (an input echoed into state, e.g. `baseModel`). */
  output?: true | OutputRule;
}

/** What the registry holds for every declared field, input or output. */
export interface FieldDeclaration {
  onChange: OnChange;
  description: string;
  secret: boolean;
  role: FieldRole;
  argType?: string;
  /** Present when the field is one of the resource class's outputs. */
  output?: OutputRule;
}

const fieldRules = z.registry<FieldDeclaration>();

/** Declares one input of a resource schema. */
export function field<T extends z.ZodType>(schema: T, rule: FieldRule): T {
  const { output, role = "input", secret = false, ...rest } = rule;
  fieldRules.add(schema, { ...rest, role, secret, output: output === true ? {} : output });
  return schema;
}

/** Declares one output of a resource: set by the provider from the API, never compared by diff. */
export function output<T extends z.ZodType>(schema: T, rule: { description: string; type?: string; secret?: boolean }): T {
  fieldRules.add(schema, { onChange: "ignore", description: rule.description, secret: rule.secret ?? false, role: "output", output: { type: rule.type } });
  return schema;
}

const namedTypes = z.registry<{ name: string; description: string }>();

/**
 * A nested shape with a name of its own (e.g. `Hyperparameters`): the generator writes it as an exported
 * type, its properties documented from their `.describe()` text, so it is declared here and nowhere else.
 */
export function named<T extends z.ZodType>(schema: T, name: string, description: string): T {
  namedTypes.add(schema, { name, description });
  return schema;
}

export function nameOf(schema: z.ZodType): { name: string; description: string } | undefined {
  return namedTypes.get(schema);
}

export function ruleOf(schema: z.ZodType, key: string): FieldDeclaration {
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

/**
 * Decides replace/update from the field declarations. `olds` are the previous outputs (which echo inputs).
 * A field absent from the old state that now holds its default is unchanged: state written before the
 * field existed must not retrain or re-upload anything.
 */
export function diffInputs(schema: ResourceSchema, olds: Record<string, unknown>, news: Record<string, unknown>): dynamic.DiffResult {
  const replaces: string[] = [];
  let changes = false;
  for (const [key, fieldSchema] of Object.entries(schema.shape)) {
    const { onChange } = ruleOf(fieldSchema as z.ZodType, key);
    if (onChange === "ignore" || sameValue(olds[key], news[key])) continue;
    if (olds[key] === undefined && sameValue(defaultOf(fieldSchema as z.ZodType), news[key])) continue;
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

/** The value the schema gives an absent field (undefined when it has no default). */
export function defaultOf(schema: z.ZodType): unknown {
  const parsed = schema.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

export function sameValue(a: unknown, b: unknown): boolean {
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

export type State = Record<string, unknown>;

/** Where the schema version is kept in each resource's outputs: state, not a user-facing output. */
export const SCHEMA_VERSION_KEY = "__schemaVersion";

/**
 * One resource, declared once: its inputs (what check validates and diff compares) and its outputs
 * (what create and read add), each field with its description and rules. The Args interface, the
 * resource class's outputs and the README tables are generated from it (scripts/generate.ts).
 */
export interface ResourceDeclaration<I extends ResourceSchema = ResourceSchema, O extends ResourceSchema = ResourceSchema> {
  /** The resource class's name and type token, e.g. `FineTunedModel`. */
  type: string;
  /** The folder in provider/ (and the trampoline's kind): serialized providers require it by this name. */
  kind: string;
  /** What the resource is, one sentence (doc comment of the generated Args). */
  description: string;
  /**
   * The version of the state this package writes. Version 1 is v0.1.0's state, which carries no version.
   * Bump it whenever what is stored changes, with an upgrade from the previous version.
   */
  version: number;
  inputs: I;
  outputs: O;
  /** `upgrades[n]` turns version-n state into version n+1 state, in memory; one for each n below `version`. */
  upgrades: Record<number, (state: State) => State>;
  /** The sentence a replacing input's doc comment ends with, e.g. "A change retrains.". */
  onReplace: string;
  /** Imports the generated file needs for `argType`/output types: module (relative to the resource folder) to names. */
  typeImports?: Record<string, string[]>;
}

const declarations = new WeakSet<object>();

/** Checks a declaration is whole (every field declared, an upgrade for every earlier version) and registers it. */
export function declareResource<I extends ResourceSchema, O extends ResourceSchema>(declaration: ResourceDeclaration<I, O>): ResourceDeclaration<I, O> {
  for (const [key, schema] of Object.entries({ ...declaration.inputs.shape, ...declaration.outputs.shape })) ruleOf(schema as z.ZodType, key);
  for (const key of Object.keys(declaration.outputs.shape)) {
    if (ruleOf(declaration.outputs.shape[key] as z.ZodType, key).role !== "output") throw new Error(`${declaration.type}.${key}: declare outputs with output()`);
  }
  for (let v = 1; v < declaration.version; v++) {
    if (typeof declaration.upgrades[v] !== "function") throw new Error(`${declaration.type}: no upgrade from state version ${v} to ${v + 1}`);
  }
  declarations.add(declaration);
  return declaration;
}

export function isResourceDeclaration(value: unknown): value is ResourceDeclaration {
  return typeof value === "object" && value !== null && declarations.has(value);
}

/** The fields the resource class exposes as outputs, in declaration order: echoed inputs, then outputs. */
export function classOutputs(declaration: ResourceDeclaration): [string, z.ZodType, FieldDeclaration][] {
  const all = Object.entries({ ...declaration.inputs.shape, ...declaration.outputs.shape }) as [string, z.ZodType][];
  return all.map(([key, schema]) => [key, schema, ruleOf(schema, key)] as [string, z.ZodType, FieldDeclaration]).filter(([, , rule]) => rule.output);
}

/** The keys whose inputs are secret: the class wraps them in `pulumi.secret`, which keeps the outputs of the same key secret. */
export function secretInputs(declaration: ResourceDeclaration): string[] {
  return Object.entries(declaration.inputs.shape).filter(([key, s]) => ruleOf(s as z.ZodType, key).secret).map(([key]) => key);
}

/** Outputs only the provider sets that are secret: the class lists them in `additionalSecretOutputs`. */
export function secretOutputs(declaration: ResourceDeclaration): string[] {
  return Object.entries(declaration.outputs.shape).filter(([key, s]) => ruleOf(s as z.ZodType, key).secret).map(([key]) => key);
}

/** The version a stored state was written with; absent means v0.1.0's state, version 1. */
export function stateVersion(state: State): number {
  const version = state[SCHEMA_VERSION_KEY];
  return typeof version === "number" ? version : 1;
}

/**
 * Brings stored state of any earlier version to this package's, in memory: each upgrade in turn, then
 * every input absent from the state given its default, so a field added later compares equal.
 * State from a newer package is refused rather than misread.
 */
export function upgradeState(declaration: ResourceDeclaration, state: State): State {
  const from = stateVersion(state);
  if (from > declaration.version) {
    throw new Error(`${declaration.type}: the stack's state was written by a newer pulumi-openai-finetune (state version ${from}, this package reads up to ${declaration.version}); upgrade the package`);
  }
  let upgraded = { ...state };
  for (let v = from; v < declaration.version; v++) upgraded = declaration.upgrades[v]({ ...upgraded });
  for (const [key, schema] of Object.entries(declaration.inputs.shape)) {
    const fallback = defaultOf(schema as z.ZodType);
    if (upgraded[key] === undefined && fallback !== undefined) upgraded[key] = fallback;
  }
  return { ...upgraded, [SCHEMA_VERSION_KEY]: declaration.version };
}

/** Outputs as written: with this package's schema version. */
export function stampVersion(declaration: ResourceDeclaration, outs: State | undefined): State | undefined {
  return outs === undefined ? undefined : { ...outs, [SCHEMA_VERSION_KEY]: declaration.version };
}

/** No key but the serialized provider: the engine's read of a resource it knows only by id (an import). */
function isBlank(state: State | undefined): boolean {
  return !state || Object.keys(state).every((key) => key === "__provider");
}

/**
 * Wraps a provider so every method sees state of this package's version and every write carries it:
 * diff, read, update and delete upgrade old state first; create, update and read stamp their outputs,
 * partial ones too (an error carrying `properties`).
 */
export function withStateVersions(declaration: ResourceDeclaration, provider: Required<dynamic.ResourceProvider>): Required<dynamic.ResourceProvider> {
  const upgrade = (state: State) => (isBlank(state) ? state : upgradeState(declaration, state));
  const stampPartial = (err: unknown): never => {
    const partial = err as { properties?: State };
    if (partial && typeof partial === "object" && partial.properties) partial.properties = stampVersion(declaration, partial.properties);
    throw err;
  };
  return {
    configure: (req) => provider.configure(req),
    check: (olds, news) => provider.check(olds, news),
    diff: (id, olds, news) => provider.diff(id, upgrade(olds), news),
    create: async (inputs) => {
      const result = await provider.create(inputs).catch(stampPartial);
      return { ...result, outs: stampVersion(declaration, result.outs) };
    },
    read: async (id, props) => {
      const result = await provider.read(id, props && upgrade(props));
      return isBlank(result.props) ? result : { ...result, props: stampVersion(declaration, result.props) };
    },
    update: async (id, olds, news) => {
      const result = await provider.update(id, upgrade(olds), news).catch(stampPartial);
      return { ...result, outs: stampVersion(declaration, result.outs) };
    },
    delete: (id, props) => provider.delete(id, upgrade(props)),
  };
}
