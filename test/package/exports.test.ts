/**
 * The entry points serialized providers require live in state forever: package.json `exports` must name
 * each of them, and nothing else of `dist/`. Checked on the packed package as a user installs it, by the
 * trampoline's own text loaded the way the dynamic-provider host loads it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RESOURCE_KINDS, trampoline, type ResourceKind } from "../../provider/trampoline";
import { installedPackage } from "../helpers/pulumi";

const ROOT = resolve(__dirname, "../..");
const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, unknown>; bin: Record<string, string> };
const entryOf = (kind: ResourceKind) => `./dist/provider/${kind}/provider.js`;
/** The kinds this checkout implements (the others are reserved for resources still to land). */
const implemented = RESOURCE_KINDS.filter((kind) => existsSync(join(ROOT, "provider", kind, "provider.ts")));

describe("package.json exports", () => {
  it("names exactly the package, its manifest and one provider entry per resource kind", () => {
    expect(Object.keys(manifest.exports).sort()).toEqual([".", "./package.json", ...RESOURCE_KINDS.map(entryOf)].sort());
    for (const kind of RESOURCE_KINDS) expect(manifest.exports[entryOf(kind)]).toBe(entryOf(kind));
  });

  it("has every provider folder's kind among the trampoline's kinds", () => {
    expect(implemented).toEqual(expect.arrayContaining(["training-file", "fine-tuned-model"]));
    const folders = execFileSync("sh", ["-c", "ls -d provider/*/provider.ts"], { cwd: ROOT, encoding: "utf8" }).trim().split("\n");
    expect(folders.map((f) => f.split("/")[1]).sort()).toEqual([...implemented].sort());
  });

  it("lets the serialized trampoline of every kind require its provider from the installed package", async () => {
    const modules = join(installedPackage(), "node_modules");
    // Outside this repository, so the trampoline's fallback for the quickstart cannot find the checkout.
    const dir = mkdtempSync(join(tmpdir(), "ft-exports-"));
    for (const kind of implemented) {
      const provider = trampoline(kind);
      const text = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
      const file = join(dir, `${kind}.js`);
      writeFileSync(file, text);
      // What cmd/dynamic-provider does with `__provider`, then configure (the first call), which requires the entry.
      const host = `const p = require(${JSON.stringify(file)}).handler(); Promise.resolve(p.configure({ config: { get: () => undefined } })).then(() => console.log("configured ${kind}"))`;
      const out = execFileSync(process.execPath, ["-e", host], { cwd: dir, env: { ...process.env, NODE_PATH: modules }, encoding: "utf8" });
      expect(out.trim()).toBe(`configured ${kind}`);
    }
  });

  it("resolves the provider entries and refuses the rest of dist/", () => {
    const modules = join(installedPackage(), "node_modules");
    const resolveFrom = (request: string) =>
      execFileSync(process.execPath, ["-e", `try { console.log(require.resolve(${JSON.stringify(request)}, { paths: [${JSON.stringify(modules)}] })) } catch (e) { console.log(e.code) }`], { cwd: tmpdir(), encoding: "utf8" }).trim();
    for (const kind of implemented) {
      expect(resolveFrom(`pulumi-openai-finetune/dist/provider/${kind}/provider.js`)).toBe(join(modules, "pulumi-openai-finetune/dist/provider", kind, "provider.js"));
    }
    expect(resolveFrom("pulumi-openai-finetune")).toBe(join(modules, "pulumi-openai-finetune/dist/provider/index.js"));
    expect(resolveFrom("pulumi-openai-finetune/dist/provider/schema.js")).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    expect(existsSync(join(modules, "pulumi-openai-finetune", manifest.bin["openai-finetune"]))).toBe(true);
  });
});
