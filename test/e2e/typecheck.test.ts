/**
 * Every program the tests run is type-checked against the packed package's types before it runs
 * (test/helpers/pulumi.ts: the Automation API runner only transpiles, while `pulumi up` of a
 * TypeScript project type-checks). Here: that check catches a wrong input, and the examples
 * (TypeScript, as users copy them) type-check too.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { installedPackage, typeErrors } from "../helpers/pulumi";
import { PROGRAM } from "./program";
import { MANY_MODELS } from "../reliability/program";

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, "../..");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ft-typecheck-"));
  symlinkSync(join(installedPackage(), "node_modules"), join(dir, "node_modules"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(name: string, text: string): string[] {
  const file = join(dir, name);
  writeFileSync(file, text);
  return typeErrors(file).map((e) => e.replace(`${dir}/`, ""));
}

function filesUnder(at: string, ext: string): string[] {
  return readdirSync(at).flatMap((name) => {
    const full = join(at, name);
    if (statSync(full).isDirectory()) return name === "node_modules" ? [] : filesUnder(full, ext);
    return full.endsWith(ext) ? [full] : [];
  });
}

describe("type-checking the programs", () => {
  it("the shared test programs type-check", () => {
    expect(check("program.js", PROGRAM)).toEqual([]);
    expect(check("many-models.js", MANY_MODELS)).toEqual([]);
  });

  it.each([
    ["a misspelled input", "waitTimeoutMinutes:", "waitTimeoutMinute:", /error TS2561: Object literal may only specify known properties, but 'waitTimeoutMinute' does not exist in type 'FineTunedModelArgs'/],
    ["a wrong type", "pollIntervalSeconds: 0.5", 'pollIntervalSeconds: "fast"', /error TS2322: Type 'string' is not assignable to type 'Input<number>/],
  ])("%s in a JavaScript program fails, naming the line", (_what, from, to, message) => {
    const bad = PROGRAM.replace(from, to);
    const line = bad.split("\n").findIndex((l) => l.includes(to)) + 1;
    const errors = check("bad.js", bad);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^bad\\.js\\(${line},\\d+\\): `));
    expect(errors[0]).toMatch(message);
  });

  it.each(filesUnder(join(ROOT, "examples"), ".ts").map((f) => [relative(ROOT, f), f]))("%s type-checks (strict TypeScript)", (_name, file) => {
    expect(check(`example-${relative(join(ROOT, "examples"), file).replace(/\//g, "-")}`, readFileSync(file, "utf8"))).toEqual([]);
  });
});
