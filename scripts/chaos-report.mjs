// `npm run chaos`: runs the reliability suite through the real Pulumi CLI and the emulator, then sums
// the figures its tests recorded into one table. Exits non-zero when a test failed or a figure that
// must be exact is not: jobs created == expected, 0 files orphaned, 0 bytes of secrets found.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const figuresFile = process.env.CHAOS_FIGURES_FILE ?? join(tmpdir(), `openai-finetune-chaos-${process.pid}.jsonl`);
rmSync(figuresFile, { force: true });
const jest = spawnSync("npx", ["jest", "test/reliability", "--runInBand"], {
  stdio: "inherit",
  env: { ...process.env, CHAOS_FIGURES_FILE: figuresFile },
});

const rows = existsSync(figuresFile) ? readFileSync(figuresFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
const sum = (key) => rows.reduce((total, row) => total + (row[key] ?? 0), 0);
const totals = {
  faultsInjected: sum("faultsInjected"),
  retries: sum("retries"),
  crashesSurvived: sum("crashesSurvived"),
  jobsCreated: sum("jobsCreated"),
  jobsExpected: sum("jobsExpected"),
  filesOrphaned: sum("filesOrphaned"),
  secretBytesFound: sum("secretBytesFound"),
};

const table = [
  ["figure", "value", "expected"],
  ["scenarios recorded", rows.length, ""],
  ["faults injected", totals.faultsInjected, "> 0"],
  ["retries", totals.retries, "> 0"],
  ["crashes survived", totals.crashesSurvived, "> 0"],
  ["jobs created", totals.jobsCreated, `${totals.jobsExpected} (expected)`],
  ["files orphaned", totals.filesOrphaned, "0"],
  ["bytes of secrets found", totals.secretBytesFound, "0"],
];
const width = [0, 1, 2].map((c) => Math.max(...table.map((r) => String(r[c]).length)));
console.log("\nchaos campaign");
for (const row of table) console.log(row.map((cell, c) => String(cell).padEnd(width[c])).join("  "));

const exact = totals.jobsCreated === totals.jobsExpected && totals.filesOrphaned === 0 && totals.secretBytesFound === 0;
const ran = rows.length > 0 && totals.faultsInjected > 0 && totals.crashesSurvived > 0;
if (jest.status !== 0 || !exact || !ran) {
  console.error(`\nchaos: FAILED (${jest.status !== 0 ? "a test failed" : !ran ? "the campaign did not run" : "a figure is off"})`);
  process.exitCode = 1;
}
