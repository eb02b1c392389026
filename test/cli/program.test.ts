/**
 * The command line as a process: `node dist/cli/index.js` and the standalone emulator entry
 * `node dist/emulator/main.js` (both built by `npm run build`), one commander program.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
const CLI = join(ROOT, "dist/cli/index.js");
const EMULATOR = join(ROOT, "dist/emulator/main.js");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

function run(script: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("openai-finetune", () => {
  it.each([["--version"], ["-V"]])("%s prints the package.json version and exits 0", (flag) => {
    expect(run(CLI, flag)).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it("--help lists every command and exits 0", () => {
    const r = run(CLI, "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: openai-finetune \[options\] \[command\]/);
    expect(r.stdout).toMatch(/\n {2}emulator \[options\] +run the OpenAI-compatible fine-tuning API emulator/);
    expect(r.stdout).toMatch(/\n {2}validate \[options\] <FILE> +check a JSONL dataset/);
  });

  it("`help validate` shows the command's usage", () => {
    const r = run(CLI, "help", "validate");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: openai-finetune validate FILE [options]");
  });

  it("exits 2 with the usage on stderr when no command is given", () => {
    const r = run(CLI);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Usage: openai-finetune \[options\] \[command\]/);
  });

  it("exits 2 on an unknown command, suggesting the nearest", () => {
    const r = run(CLI, "valdate");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error: unknown command 'valdate'\n(Did you mean validate?)");
  });
});

describe("the emulator's flags", () => {
  /** The option lines of a help text: what the two entries must share. */
  const options = (help: string) => help.slice(help.indexOf("Options:"));

  it("are the same for `openai-finetune emulator` and the standalone entry", () => {
    const sub = run(CLI, "emulator", "--help");
    const standalone = run(EMULATOR, "--help");
    expect(sub.code).toBe(0);
    expect(standalone.code).toBe(0);
    expect(standalone.stdout).toMatch(/^Usage: openai-finetune-emulator \[options\]/);
    expect(options(standalone.stdout).replace(/ {2}-V, --version +print the package version\n/, "")).toBe(options(sub.stdout));
    for (const flag of ["--host <HOST>", "--port <PORT>", "--data-dir <DIR>", "--time-scale <F>", "--api-key <KEY>", "--max-file-bytes <N>"]) {
      expect(sub.stdout).toContain(flag);
    }
  });

  it.each([
    [["--port", "65536"], /'--port <PORT>' argument '65536' is invalid\. must be an integer from 0 to 65535/],
    [["--port", "1.5"], /'--port <PORT>' argument '1\.5' is invalid/],
    [["--time-scale", "0"], /'--time-scale <F>' argument '0' is invalid\. must be greater than 0/],
    [["--max-file-bytes", "0"], /'--max-file-bytes <N>' argument '0' is invalid\. must be a positive integer/],
    [["--api-key", ""], /option '--api-key <KEY>' must not be empty/],
    [["--host"], /option '--host <HOST>' argument missing/],
  ])("refuse %j with exit 2 from both entries", (args, message) => {
    for (const r of [run(CLI, "emulator", ...args), run(EMULATOR, ...args)]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    }
  });
});
