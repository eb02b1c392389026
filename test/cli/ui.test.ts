/** `openai-finetune ui` refusals (the page itself is tested in a browser: test/ui/browser.test.ts). */
import { spawnSync } from "node:child_process";
import { CLI } from "../helpers/emulator";

const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [CLI, "ui", ...args], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 20_000 });

describe("openai-finetune ui", () => {
  it("refuses to start without an API key, saying how to give one, and exits 2", () => {
    const r = run([], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("No OpenAI API key");
    expect(r.stdout).toBe("");
  });

  it("refuses a bad port as usage", () => {
    const r = run(["--port", "70000"], { OPENAI_API_KEY: "sk-x" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("must be an integer from 0 to 65535");
  });

});
