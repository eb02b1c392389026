/**
 * The UI in a real browser (Debian's headless Chromium through playwright-core), served by the built
 * `openai-finetune ui` against the emulator, with jobs made by the real `openai` SDK in several stacks.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type OpenAI from "openai";
import type { Browser, Page } from "playwright-core";
import type { FineTuningJob } from "openai/resources/fine-tuning/jobs/jobs";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { launchChromium, startUi, type RunningUiProcess } from "../helpers/ui";
import { waitFor, waitForJob } from "../helpers/wait";
import { chatExamples, uploadJsonl } from "../emulator/fixtures";
import { recordServing } from "../../provider/serving";

const ARTIFACTS = resolve(__dirname, "../../test-artifacts/ui");
const DATASET_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

let emu: RunningEmulator;
let client: OpenAI;
let ui: RunningUiProcess;
let browser: Browser;
let page: Page;
let projectDir: string;
const jobs: Record<string, FineTuningJob> = {};
let created = 0;

async function createJob(name: string, params: Partial<Parameters<OpenAI["fineTuning"]["jobs"]["create"]>[0]>, files: { train: string; valid?: string }) {
  const job = await client.fineTuning.jobs.create({
    model: "gpt-4o-mini-2024-07-18",
    training_file: files.train,
    validation_file: files.valid,
    ...params,
  });
  created++;
  jobs[name] = job;
  return job;
}

async function screenshot(name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  emu = await startEmulator({ timeScale: 20 });
  client = emu.client();
  const train = (await uploadJsonl(client, chatExamples(10))).id;
  const valid = (await uploadJsonl(client, chatExamples(12).slice(2), "valid.jsonl")).id;
  const sup = (epochs: number) => ({ method: { type: "supervised" as const, supervised: { hyperparameters: { n_epochs: epochs } } } });
  await createJob("devClassifier", { ...sup(3), suffix: "classifier", metadata: { pulumi_owner: "shop/dev/classifier", pulumi_dataset: DATASET_HASH } }, { train, valid });
  await createJob("prodClassifier", { ...sup(2), suffix: "classifier", metadata: { pulumi_owner: "shop/prod/classifier", pulumi_dataset: DATASET_HASH } }, { train, valid });
  await createJob("bot", { ...sup(2), metadata: { pulumi_owner: "support/dev/bot" } }, { train });
  await createJob("handMade", { ...sup(2), suffix: "by-hand" }, { train, valid });
  await emu.faults({ failNextJobs: 1 });
  await createJob("flaky", { ...sup(2), metadata: { pulumi_owner: "support/dev/flaky" } }, { train, valid });
  for (const [name, job] of Object.entries(jobs)) jobs[name] = (await waitForJob(client, job.id, ["succeeded", "failed"], 60_000, 100)).job;

  // What a ModelDeployment in shop/prod records: it serves the model trained in shop/dev.
  await recordServing(client, { model: jobs.devClassifier!.fine_tuned_model!, servedBy: { project: "shop", stack: "prod", resource: "live" } });

  projectDir = mkdtempSync(join(tmpdir(), "ui-test-"));
  mkdirSync(join(projectDir, ".openai-finetune", "evaluations"), { recursive: true });
  writeFileSync(
    join(projectDir, ".openai-finetune", "evaluations", "classifier-eval.json"),
    JSON.stringify({
      name: "classifier-eval",
      model: jobs.devClassifier!.fine_tuned_model,
      passed: true,
      passRate: 0.875,
      meanScore: 0.9,
      counts: { total: 8, passed: 7, failed: 1, errored: 0 },
      graders: [],
      baselineResult: { model: "gpt-4o-mini-2024-07-18", passRate: 0.5, meanScore: 0.6 },
      delta: 0.375,
      usage: {},
      failures: [{ line: 4, prompt: "What colour is the plum?", expected: "The plum is black.", got: "The plum is purple.", failedGraders: ["equals"] }],
      createdAt: "2026-12-02T12:00:00.000Z",
    }),
  );
  ui = await startUi(emu, { cwd: projectDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  await emu?.stop();
  if (projectDir) rmSync(projectDir, { recursive: true, force: true });
});

describe("openai-finetune ui in headless Chromium against the emulator", () => {
  it("lists every job (unmanaged ones included) and groups them by project and stack", async () => {
    await page.goto(ui.url);
    await page.waitForSelector("tr[data-job]");
    const rows = await page.$$eval("tr[data-job]", (trs) => trs.map((tr) => tr.getAttribute("data-job")));
    expect(rows.sort()).toEqual(Object.values(jobs).map((j) => j.id).sort());
    const envs = await page.$$eval("[data-env]", (nodes) => nodes.map((n) => n.getAttribute("data-env")));
    expect(envs).toEqual(["shop/dev", "shop/prod", "support/dev", "unmanaged"]);
    expect(await page.$$eval('[data-env="shop/prod"] [data-serving]', (ns) => ns.map((n) => n.getAttribute("data-serving")))).toEqual([jobs.devClassifier!.fine_tuned_model]);
    expect(await page.textContent('[data-env="shop/dev"]')).toContain("serves nothing");
    const supportText = await page.textContent('[data-env="support/dev"]');
    expect(supportText).toContain("2 jobs");
    expect(supportText).toContain("flaky");
    expect(await page.textContent('[data-env="shop/dev"]')).toContain(`data ${DATASET_HASH.slice(0, 12)}`);
    const unmanaged = await page.textContent('[data-env="unmanaged"]');
    expect(unmanaged).toContain("1 job not made by this package");
    expect(unmanaged).toContain(jobs.handMade!.fine_tuned_model);
    await screenshot("list");
  });

  it("filters by status and searches", async () => {
    await page.goto(ui.url);
    await page.click('button[data-filter="failed"]');
    expect(await page.$$eval("tr[data-job]", (trs) => trs.map((t) => t.getAttribute("data-job")))).toEqual([jobs.flaky!.id]);
    await page.click('button[data-filter="all"]');
    await page.fill('input[type="search"]', "shop/prod");
    expect(await page.$$eval("tr[data-job]", (trs) => trs.map((t) => t.getAttribute("data-job")))).toEqual([jobs.prodClassifier!.id]);
    await page.fill('input[type="search"]', "");
    expect(await page.$$("tr[data-job]")).toHaveLength(Object.keys(jobs).length);
  });

  it("draws a job's curve with one point per result-file row and highlights the best checkpoint", async () => {
    const job = jobs.devClassifier!;
    const csv = await (await client.files.content(job.result_files[0]!)).text();
    const fileRows = csv.trim().split("\n").length - 1;
    const checkpoints = (await client.fineTuning.jobs.checkpoints.list(job.id)).data;
    const best = checkpoints.reduce((a, b) => ((b.metrics.full_valid_loss ?? Infinity) < (a.metrics.full_valid_loss ?? Infinity) ? b : a));

    await page.goto(`${ui.url}#/job/${job.id}`);
    await page.waitForSelector('[data-testid="curve"][data-metric="loss"] canvas');
    const points = await page.getAttribute(`[data-testid="curve"][data-metric="loss"][data-job="${job.id}"]`, "data-points");
    expect(Number(points)).toBe(fileRows);
    expect(fileRows).toBeGreaterThan(10);
    expect(await page.getAttribute('[data-testid="epoch-curve"]', "data-points")).toBe(String(checkpoints.length));
    const bestRows = await page.$$eval('[data-testid="checkpoint"][data-best="true"]', (rs) => rs.map((r) => r.getAttribute("data-step")));
    expect(bestRows).toEqual([String(best.step_number)]);
    expect(await page.textContent('[data-testid="output-model"]')).toContain(job.fine_tuned_model!);
    expect(await page.textContent('[data-testid="trained-tokens"]')).toBe(job.trained_tokens!.toLocaleString("en-US"));
    expect(await page.textContent('[data-testid="hyperparameters"]')).toContain("n_epochs=3");
    expect(await page.textContent('[data-testid="cost"]')).toMatch(/actual \$\d/);
    const evaluation = await page.textContent('[data-evaluation="classifier-eval"]');
    expect(evaluation).toContain("pass rate 87.5% (7/8)");
    expect(evaluation).toContain("+37.5 points vs gpt-4o-mini-2024-07-18");
    expect(evaluation).toContain("The plum is purple.");
    expect(await page.textContent('[data-testid="events"]')).toContain("The job has successfully completed");
    await screenshot("job");
    // The README's picture (docs/ui-job-page.png is a copy of this one).
    await page.setViewportSize({ width: 1100, height: 760 });
    await page.screenshot({ path: join(ARTIFACTS, "job-readme.png") });
    await page.setViewportSize({ width: 1400, height: 1000 });
  });

  it("downloads the metrics as CSV and JSON with every row", async () => {
    const job = jobs.devClassifier!;
    const csv = await (await client.files.content(job.result_files[0]!)).text();
    const expected = csv.trim().split("\n").slice(1).map((l) => Number(l.split(",")[0]));
    const res = await fetch(`${ui.url}api/jobs/${job.id}/metrics.csv`);
    expect(res.headers.get("content-disposition")).toContain(`${job.id}-metrics.csv`);
    const lines = (await res.text()).trim().split("\n");
    expect(lines[0]).toBe("step,train_loss,train_mean_token_accuracy,valid_loss,valid_mean_token_accuracy,full_valid_loss,full_valid_mean_token_accuracy");
    expect(lines.slice(1).map((l) => Number(l.split(",")[0]))).toEqual(expected);
    const json = (await (await fetch(`${ui.url}api/jobs/${job.id}/metrics.json`)).json()) as { rows: { step: number; train_loss: number }[] };
    expect(json.rows.map((r) => r.step)).toEqual(expected);
    expect(json.rows[0]!.train_loss).toBe(Number(csv.split("\n")[1]!.split(",")[1]));
  });

  it("shows a failed job's error panel", async () => {
    const job = jobs.flaky!;
    expect(job.status).toBe("failed");
    await page.goto(`${ui.url}#/job/${job.id}`);
    await page.waitForSelector('[data-testid="error-panel"]');
    expect(await page.textContent('[data-testid="error-code"]')).toBe(job.error!.code);
    expect(await page.textContent('[data-testid="error-message"]')).toBe(job.error!.message);
    await screenshot("failed");
  });

  it("overlays jobs and tables the hyperparameters that differ", async () => {
    const ids = [jobs.devClassifier!.id, jobs.prodClassifier!.id];
    await page.goto(ui.url);
    await page.waitForSelector("tr[data-job]");
    for (const id of ids) await page.check(`tr[data-job="${id}"] input[type="checkbox"]`);
    await page.click('[data-testid="compare"]');
    await page.waitForSelector('[data-testid="hp-diff"]');
    const differing = await page.$$eval('[data-testid="hp-diff"] tr[data-differs="true"]', (rs) => rs.map((r) => r.getAttribute("data-key")));
    expect(differing).toEqual(expect.arrayContaining(["n_epochs", "trained_tokens"]));
    expect(differing).not.toContain("model");
    expect(differing).not.toContain("dataset");
    expect(await page.getAttribute('[data-testid="curve"][data-metric="train_loss"]', "data-job")).toBe(ids.join(","));
    await screenshot("compare");
  });

  it("follows a running job live: its step count grows while the page is open", async () => {
    const big = (await uploadJsonl(client, chatExamples(2000), "big.jsonl")).id;
    const job = await createJob("running", { method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 4 } } }, metadata: { pulumi_owner: "shop/dev/big" } }, { train: big });
    await waitForJob(client, job.id, ["running"], 60_000, 100);
    await page.goto(`${ui.url}#/job/${job.id}`);
    await page.waitForSelector('[data-testid="step-count"]');
    const stepNow = async () => Number(await page.textContent('[data-testid="step-count"]'));
    const first = await stepNow();
    const later = await waitFor(async () => {
      const s = await stepNow();
      return s > first ? s : undefined;
    }, "the page's step count to grow without a reload", 30_000, 250);
    expect(later).toBeGreaterThan(first);
    const points = Number(await page.getAttribute('[data-testid="curve"][data-metric="loss"]', "data-points"));
    expect(points).toBeGreaterThan(0);
    await screenshot("running");
    // When it ends, the page switches to the result file: one point per row.
    const done = (await waitForJob(client, job.id, ["succeeded"], 60_000, 200)).job;
    const rows = (await (await client.files.content(done.result_files[0]!)).text()).trim().split("\n").length - 1;
    await page.waitForSelector(`[data-testid="curve"][data-metric="loss"][data-points="${rows}"]`, { timeout: 30_000 });
  });

  it("is read-only: refuses anything but GET and made no changing call to the API", async () => {
    const res = await fetch(`${ui.url}api/jobs/${jobs.devClassifier!.id}`, { method: "POST" });
    expect(res.status).toBe(405);
    const { requests } = await emu.state();
    const changing = Object.entries(requests.byRoute).filter(([route]) => !route.startsWith("GET"));
    const posts = Object.fromEntries(changing);
    // The test's own uploads and job creations, nothing else (no cancel, pause or resume).
    expect(Object.keys(posts).sort()).toEqual(["POST /v1/files", "POST /v1/fine_tuning/jobs"]);
    expect(posts["POST /v1/files"]).toBe(4); // train, valid, the serving marker, the long job's data
    expect(posts["POST /v1/fine_tuning/jobs"]).toBe(created);
  });
});
