/**
 * The Args interfaces, the resource classes' outputs and the README tables come from the declarations:
 * what is committed must be what the generator writes, and a new resource folder gets them by declaring.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { findDeclarations, generate, staleFiles } from "../../scripts/generate";

const ROOT = resolve(__dirname, "../..");

describe("generated files", () => {
  it("on disk are what the declarations give (run npm run build when this fails)", () => {
    expect(staleFiles()).toEqual([]);
  });

  it("are committed as generated: the build left nothing for git to show (commit them when this fails)", () => {
    const paths = generate().map((f) => f.path);
    const changed = execFileSync("git", ["status", "--porcelain", "--", ...paths], { cwd: ROOT, encoding: "utf8" }).trim();
    expect(changed).toBe("");
  });

  it("cover both resources, with each user input documented and each output declared", () => {
    expect(findDeclarations().map((d) => d.declaration.type)).toEqual(expect.arrayContaining(["FineTunedModel", "TrainingFile"]));
    const files = Object.fromEntries(generate().map((f) => [f.path, f.content]));
    const model = files["provider/fine-tuned-model/generated.ts"];
    expect(model).toContain("/** The model to fine-tune, e.g. `gpt-4.1-mini-2025-04-14`, or an existing fine-tuned model (`ft:…` on OpenAI, `<base>.ft-…` on Azure). A change retrains. */\n  baseModel: pulumi.Input<string>;");
    expect(model).toContain("trainingFile: TrainingFile | pulumi.Input<string>;");
    expect(model).toContain("declare readonly organizationId: pulumi.Output<string>;");
    expect(model).not.toMatch(/\bowner\b|trainingDataset/);
    expect(files["README.md"]).toContain("| `content` (secret) | none |");
  });

  it("say once what a change does, even where the description already says it", () => {
    const comments = generate().filter((f) => f.path.endsWith("generated.ts")).flatMap((f) => f.content.match(/\/\*\*.*?\*\//g) ?? []);
    expect(comments.filter((c) => (c.match(/\ba change\b/gi) ?? []).length > 1)).toEqual([]);
    const deployment = generate().find((f) => f.path === "provider/model-deployment/generated.ts")!.content;
    expect(deployment).toContain("A change is an in-place update (a promotion or a rollback), never a retrain. */");
    expect(deployment).toContain("Without it, allowed. A change is applied in place. */");
  });
});

describe("every resource class", () => {
  // A class that declares its own Args or outputs is a second copy of the declaration that can drift.
  it.each(findDeclarations().map((d) => [d.declaration.type, d.folder]))("%s extends its generated base and declares no Args or output of its own", (type, folder) => {
    const resource = require(join(ROOT, "provider", folder, "index.ts")) as Record<string, unknown>;
    const generated = require(join(ROOT, "provider", folder, "generated.ts")) as Record<string, unknown>;
    expect(Object.getPrototypeOf(resource[type])).toBe(generated[`${type}Resource`]);
    const source = readFileSync(join(ROOT, "provider", folder, "index.ts"), "utf8");
    expect(source.match(/declare readonly \w+/g) ?? []).toEqual([]);
    expect(source).not.toContain(`interface ${type}Args`);
  });
});

/** A checkout holding one resource folder, provider/widget, whose schema.ts imports `names` from provider/schema. */
function resourceFolder(names: string[], body: string, readme: string): string {
  const root = mkdtempSync(join(tmpdir(), "ft-generate-"));
  mkdirSync(join(root, "provider", "widget"), { recursive: true });
  const imports = `import { z } from ${JSON.stringify(join(ROOT, "node_modules/zod"))};\nimport { ${names.join(", ")} } from ${JSON.stringify(join(ROOT, "provider/schema"))};\n`;
  writeFileSync(join(root, "provider", "widget", "schema.ts"), imports + body);
  writeFileSync(join(root, "README.md"), readme);
  return root;
}

describe("a new resource folder", () => {
  it("gets its Args, outputs and README tables by exporting a declaration", () => {
    const root = resourceFolder(["declareResource", "field", "output"], `export const widgetDeclaration = declareResource({
  type: "Widget", kind: "widget", description: "A widget.", version: 1, upgrades: {}, onReplace: "A change rebuilds it.",
  inputs: z.object({
    size: field(z.number().default(3), { onChange: "replace", description: "How big." }),
    owner: field(z.string(), { onChange: "ignore", role: "internal", description: "Set by the class." }),
  }),
  outputs: z.object({ url: output(z.string().nullable(), { description: "Where it is." }) }),
});
`, "# x\n<!-- generated:Widget:inputs -->\nold\n<!-- /generated:Widget:inputs -->\n<!-- generated:Widget:outputs -->\n<!-- /generated:Widget:outputs -->\n");
    const files = Object.fromEntries(generate(root).map((f) => [f.path, f.content]));
    expect(files["provider/widget/generated.ts"]).toContain("export interface WidgetArgs {\n  /** How big. Default `3`. A change rebuilds it. */\n  size?: pulumi.Input<number>;\n}");
    expect(files["provider/widget/generated.ts"]).toContain(
      "export abstract class WidgetResource extends dynamic.Resource {\n  /** Registers every declared output; the declaration's secret inputs and outputs are kept secret. */\n" +
        "  protected constructor(provider: dynamic.ResourceProvider, name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {\n" +
        '    super(provider, name, resourceProps(widgetDeclaration, props), resourceOptions(widgetDeclaration, opts), "openai-finetune", "Widget");\n  }\n\n' +
        "  /** Where it is. */\n  declare readonly url: pulumi.Output<string | null>;\n}",
    );
    expect(files["README.md"]).toBe(
      "# x\n<!-- generated:Widget:inputs -->\n| input | change | meaning |\n|---|---|---|\n| `size` | **replace** | How big. Default `3`. |\n<!-- /generated:Widget:inputs -->\n" +
        "<!-- generated:Widget:outputs -->\n| output | meaning |\n|---|---|\n| `url` | Where it is. |\n<!-- /generated:Widget:outputs -->\n",
    );
  });

  it("writes a named nested shape once, as an exported type with its properties documented", () => {
    const root = resourceFolder(["declareResource", "field", "named"], `const spec = named(z.object({ depth: z.number().describe("How deep."), tags: z.array(z.string()).optional() }), "WidgetSpec", "What a widget is made to.");
export const widgetDeclaration = declareResource({
  type: "Widget", kind: "widget", description: "A widget.", version: 1, upgrades: {}, onReplace: "",
  inputs: z.object({
    spec: field(spec.optional(), { onChange: "update", description: "Its spec." }),
    specs: field(z.array(spec), { onChange: "update", description: "More.", output: true }),
  }),
  outputs: z.object({}),
});
`, "<!-- generated:Widget:inputs -->\n<!-- /generated:Widget:inputs -->\n<!-- generated:Widget:outputs -->\n<!-- /generated:Widget:outputs -->\n");
    const module = generate(root).find((f) => f.path === "provider/widget/generated.ts")!.content;
    expect(module).toContain('import { widgetDeclaration } from "./schema";\n\n/** What a widget is made to. */\nexport interface WidgetSpec {\n  /** How deep. */\n  depth: number;\n  tags?: string[];\n}\n\n');
    expect(module.match(/export interface WidgetSpec/g)).toHaveLength(1);
    expect(module).toContain("  spec?: pulumi.Input<WidgetSpec>;\n");
    expect(module).toContain("  specs: pulumi.Input<WidgetSpec[]>;\n");
    expect(module).toContain("  declare readonly specs: pulumi.Output<WidgetSpec[]>;\n");
  });

  it("without README markers fails naming the markers to add", () => {
    const root = resourceFolder(["declareResource"], `export const d = declareResource({ type: "Gadget", kind: "gadget", description: "A gadget.", version: 1, upgrades: {}, onReplace: "", inputs: z.object({}), outputs: z.object({}) });
`, "# nothing\n");
    expect(() => generate(root)).toThrow("README.md has no <!-- generated:Gadget:inputs --> … <!-- /generated:Gadget:inputs --> markers");
  });
});
