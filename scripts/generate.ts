/**
 * Generates, from each resource's declaration (any `provider/<folder>/schema.ts` exporting one made by
 * `declareResource`), its `generated.ts` (the Args interface with doc comments, and the base class that
 * declares the outputs) and its README input and output tables (between
 * `<!-- generated:<Type>:inputs -->` … `<!-- /generated:<Type>:inputs -->`, same for `outputs`).
 * `npm run build` runs it first; test/scripts/generate.test.ts fails when what is committed is stale.
 *
 *   node -r ts-node/register/transpile-only scripts/generate.ts [--check]
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { classOutputs, defaultOf, isResourceDeclaration, nameOf, ruleOf, type FieldDeclaration, type ResourceDeclaration } from "../provider/schema";

const ROOT = resolve(__dirname, "..");

export interface GeneratedFile {
  path: string;
  content: string;
}

/** Every resource declaration in provider/, with the folder it lives in. */
export function findDeclarations(root = ROOT): { folder: string; name: string; declaration: ResourceDeclaration }[] {
  const found: { folder: string; name: string; declaration: ResourceDeclaration }[] = [];
  for (const folder of readdirSync(join(root, "provider")).sort()) {
    const schemaFile = join(root, "provider", folder, "schema.ts");
    if (!existsSync(schemaFile)) continue;
    for (const [name, value] of Object.entries(require(schemaFile) as Record<string, unknown>)) {
      if (isResourceDeclaration(value)) found.push({ folder, name, declaration: value });
    }
  }
  return found;
}

/** What the generator would write: each generated.ts and the README. */
export function generate(root = ROOT): GeneratedFile[] {
  const declarations = findDeclarations(root);
  let readme = readFileSync(join(root, "README.md"), "utf8");
  const files: GeneratedFile[] = [];
  for (const { folder, name, declaration } of declarations) {
    files.push({ path: join("provider", folder, "generated.ts"), content: generatedModule(declaration, name) });
    readme = replaceBetweenMarkers(readme, declaration.type, "inputs", inputsTable(declaration));
    readme = replaceBetweenMarkers(readme, declaration.type, "outputs", outputsTable(declaration));
  }
  files.push({ path: "README.md", content: readme });
  return files;
}

/** The generated files whose content on disk differs from what the declarations give. */
export function staleFiles(root = ROOT): string[] {
  return generate(root)
    .filter((file) => !existsSync(join(root, file.path)) || readFileSync(join(root, file.path), "utf8") !== file.content)
    .map((file) => file.path);
}

// ------------------------------------------------------------------------------------------------
// TypeScript

/** The TypeScript type a schema accepts (only the shapes declarations use; anything else is `unknown`). */
/** Named shapes met while writing types (see `named`), written out as exported types of the module. */
type NamedTypes = Map<string, z.ZodType>;

export function typeOf(schema: z.ZodType, named?: NamedTypes): string {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const inner = () => typeOf(def.innerType as z.ZodType, named);
  const name = nameOf(schema);
  if (name && named) {
    named.set(name.name, schema);
    return name.name;
  }
  switch (def.type) {
    case "string":
    case "number":
    case "boolean":
    case "unknown":
      return def.type;
    case "optional":
    case "default":
    case "pipe":
      return def.type === "pipe" ? typeOf(def.out as z.ZodType, named) : inner();
    case "nullable":
      return `${inner()} | null`;
    case "literal":
      return (def.values as unknown[]).map((v) => JSON.stringify(v)).join(" | ");
    case "enum":
      return Object.values(def.entries as Record<string, string>).map((v) => JSON.stringify(v)).join(" | ");
    case "array": {
      const element = typeOf(def.element as z.ZodType, named);
      return /[ |]/.test(element) ? `(${element})[]` : `${element}[]`;
    }
    case "record":
      return `Record<${typeOf(def.keyType as z.ZodType, named)}, ${typeOf(def.valueType as z.ZodType, named)}>`;
    case "union":
      return (def.options as z.ZodType[]).map((o) => typeOf(o, named)).join(" | ");
    case "object": {
      const shape = def.shape as Record<string, z.ZodType>;
      return `{ ${Object.entries(shape).map(([key, s]) => `${key}${isOptional(s) ? "?" : ""}: ${typeOf(s, named)}`).join("; ")} }`;
    }
    default:
      return "unknown";
  }
}

/** A property's `.describe()` text, on the property or on what `.optional()` wraps. */
function describedAs(schema: z.ZodType): string | undefined {
  const inner = (schema as unknown as { _zod: { def: { innerType?: z.ZodType } } })._zod.def.innerType;
  return z.globalRegistry.get(schema)?.description ?? (inner ? describedAs(inner) : undefined);
}

/** One named shape: an interface with documented properties, or a type alias for a union. */
function namedTypeDeclaration(name: string, schema: z.ZodType, named: NamedTypes): string {
  const doc = docComment(nameOf(schema)!.description, "");
  const def = (schema as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType> } } })._zod.def;
  if (def.type !== "object") return `${doc}\nexport type ${name} =\n  | ${unionOf(schema, named)};`;
  const lines = Object.entries(def.shape!).map(([key, s]) => {
    const text = describedAs(s);
    return `${text ? `${docComment(text)}\n` : ""}  ${key}${isOptional(s) ? "?" : ""}: ${typeOf(s, named)};`;
  });
  return `${doc}\nexport interface ${name} {\n${lines.join("\n")}\n}`;
}

/** The type of a named non-object shape, written without naming itself. */
function unionOf(schema: z.ZodType, named: NamedTypes): string {
  const def = (schema as unknown as { _zod: { def: { type: string; options?: z.ZodType[] } } })._zod.def;
  if (def.type === "union") return def.options!.map((o) => typeOf(o, named)).join("\n  | ");
  return "unknown";
}

/** Every named shape the module's types refer to, those they refer to in turn included, in the order first met. */
function namedTypeDeclarations(named: NamedTypes): string[] {
  const written = new Map<string, string>();
  for (let pending = [...named.keys()]; pending.length > 0; pending = [...named.keys()].filter((n) => !written.has(n))) {
    for (const name of pending) written.set(name, namedTypeDeclaration(name, named.get(name)!, named));
  }
  return [...written.values()];
}

function isOptional(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

/** The sentence the rule adds: what a change does. */
function changeSentence(declaration: ResourceDeclaration, rule: FieldDeclaration): string {
  // A description that already says what a change does is not told it again in other words.
  if (/\ba change\b/i.test(rule.description)) return "";
  if (rule.onChange === "replace") return declaration.onReplace;
  if (rule.onChange === "update") return "A change is applied in place.";
  return "";
}

function defaultSentence(schema: z.ZodType): string {
  const value = defaultOf(schema);
  return value === undefined ? "" : `Default \`${JSON.stringify(value)}\`.`;
}

function docComment(text: string, indent = "  "): string {
  return `${indent}/** ${text.replace(/\*\//g, "*\\/")} */`;
}

function inputFields(declaration: ResourceDeclaration): [string, z.ZodType, FieldDeclaration][] {
  return Object.entries(declaration.inputs.shape)
    .map(([key, schema]) => [key, schema as z.ZodType, ruleOf(schema as z.ZodType, key)] as [string, z.ZodType, FieldDeclaration])
    .filter(([, , rule]) => rule.role === "input");
}

function argsInterface(declaration: ResourceDeclaration, named: NamedTypes): string {
  const lines = inputFields(declaration).map(([key, schema, rule]) => {
    const doc = [rule.description, defaultSentence(schema), changeSentence(declaration, rule)].filter(Boolean).join(" ");
    // Computed even under an argType, which may name the shapes it refers to.
    const computed = typeOf(schema, named);
    const type = rule.argType ?? `pulumi.Input<${computed}>`;
    return `${docComment(doc)}\n  ${key}${isOptional(schema) ? "?" : ""}: ${type};`;
  });
  return `/** The arguments of a ${declaration.type}: ${lowerFirst(declaration.description)} */\nexport interface ${declaration.type}Args {\n${lines.join("\n")}\n}`;
}

function outputsClass(declaration: ResourceDeclaration, name: string, named: NamedTypes): string {
  const lines = classOutputs(declaration).map(([key, schema, rule]) => {
    const output = rule.output ?? {};
    const computed = typeOf(schema, named);
    const type = output.type ?? computed + (isOptional(schema) && !/undefined/.test(computed) ? " | undefined" : "");
    return `${docComment(output.description ?? rule.description)}\n  declare readonly ${key}: pulumi.Output<${type}>;`;
  });
  return [
    `/** The outputs of a ${declaration.type}, as its declaration lists them; the resource class extends this. */`,
    `export abstract class ${declaration.type}Resource extends dynamic.Resource {`,
    "  /** Registers every declared output; the declaration's secret inputs and outputs are kept secret. */",
    "  protected constructor(provider: dynamic.ResourceProvider, name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {",
    `    super(provider, name, resourceProps(${name}, props), resourceOptions(${name}, opts), "openai-finetune", ${JSON.stringify(declaration.type)});`,
    "  }",
    "",
    lines.join("\n"),
    "}",
  ].join("\n");
}

function generatedModule(declaration: ResourceDeclaration, name: string): string {
  const imports = Object.entries(declaration.typeImports ?? {}).map(([module, names]) => `import type { ${[...names].sort().join(", ")} } from "${module}";`);
  const named: NamedTypes = new Map();
  const args = argsInterface(declaration, named);
  const outputs = outputsClass(declaration, name, named);
  const shapes = namedTypeDeclarations(named);
  return [
    "// Generated by scripts/generate.ts from the declaration in ./schema.ts (`npm run build` rewrites it): edit the declaration, not this file.",
    'import type * as pulumi from "@pulumi/pulumi";',
    'import * as dynamic from "@pulumi/pulumi/dynamic";',
    'import { resourceOptions, resourceProps } from "../resource";',
    `import { ${name} } from "./schema";`,
    ...imports,
    "",
    ...shapes.flatMap((shape) => [shape, ""]),
    args,
    "",
    outputs,
    "",
  ].join("\n");
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

// ------------------------------------------------------------------------------------------------
// README

const CHANGE_WORDS = { replace: "**replace**", update: "in place", ignore: "none" } as const;

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function inputsTable(declaration: ResourceDeclaration): string {
  const rows = inputFields(declaration).map(([key, schema, rule]) => {
    const name = `\`${key}\`${rule.secret ? " (secret)" : ""}`;
    const meaning = [rule.description, defaultSentence(schema)].filter(Boolean).join(" ");
    return `| ${name} | ${CHANGE_WORDS[rule.onChange]} | ${cell(meaning)} |`;
  });
  return ["| input | change | meaning |", "|---|---|---|", ...rows].join("\n");
}

function outputsTable(declaration: ResourceDeclaration): string {
  const rows = classOutputs(declaration).map(([key, , rule]) => `| \`${key}\` | ${cell(rule.output?.description ?? rule.description)} |`);
  return ["| output | meaning |", "|---|---|", ...rows].join("\n");
}

function replaceBetweenMarkers(text: string, type: string, part: "inputs" | "outputs", table: string): string {
  const open = `<!-- generated:${type}:${part} -->`;
  const close = `<!-- /generated:${type}:${part} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no ${open} … ${close} markers: add them where ${type}'s ${part} table belongs`);
  }
  return `${text.slice(0, start + open.length)}\n${table}\n${text.slice(end)}`;
}

if (require.main === module) {
  const check = process.argv.includes("--check");
  if (check) {
    const stale = staleFiles();
    if (stale.length > 0) {
      console.error(`stale generated files (run npm run build): ${stale.join(", ")}`);
      process.exitCode = 1;
    }
  } else {
    for (const file of generate()) {
      const path = join(ROOT, file.path);
      if (!existsSync(path) || readFileSync(path, "utf8") !== file.content) writeFileSync(path, file.content);
    }
  }
}
