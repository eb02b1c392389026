import { analyzeDataset, formatIssue, formatReport } from "../../../provider/dataset";
import { chatLines, fixture, manifest, useTempCache } from "./helpers";

useTempCache();

describe("formatReport", () => {
  it("says valid and shows the facts for a clean file", async () => {
    const report = await analyzeDataset({ content: chatLines(60).join("\n") }, { noCache: true, model: "gpt-4o-mini" });
    const text = formatReport(report);
    expect(text.split("\n")[0]).toBe("dataset: valid");
    expect(text).toMatch(/format\s+chat \(supervised\)/);
    expect(text).toMatch(/examples\s+60/);
    expect(text).toContain(`${report.tokens.toLocaleString("en-US")} (o200k_base, limit 65,536 per example)`);
    expect(text).toMatch(/epochs\s+3/);
    expect(text).toContain("at $3/1M tokens (gpt-4o-mini-2024-07-18)");
    expect(text).not.toContain("Errors");
  });

  it("lists the first errors with their line numbers and counts the rest", async () => {
    const lines = chatLines(30);
    for (let i = 3; i < 30; i += 3) lines[i] = "{broken";
    const report = await analyzeDataset({ content: lines.join("\n") }, { noCache: true });
    const text = formatReport(report, { maxIssues: 5 });
    expect(text.split("\n")[0]).toBe("dataset: INVALID, 9 errors");
    expect(text).toContain("Errors (9):");
    expect(text).toContain("  line 4: [invalid_json] not valid JSON");
    expect(text).toContain("  line 16: [invalid_json]");
    expect(text).not.toContain("line 19: [invalid_json]");
    expect(text).toContain("... and 4 more");
    expect(text).toContain("file: [no_model]");
  });

  it("names the file, and file-level issues say 'file'", async () => {
    const report = await analyzeDataset({ path: fixture(manifest.errors.too_few_examples.file) }, { noCache: true });
    const text = formatReport(report);
    expect(text.split("\n")[0]).toBe(`${fixture(manifest.errors.too_few_examples.file)}: INVALID, 1 error`);
    expect(formatIssue(report.errors[0])).toBe("file: [too_few_examples] 5 examples; fine-tuning needs at least 10");
    expect(text).toMatch(/est\. cost\s+unknown/);
  });
});
