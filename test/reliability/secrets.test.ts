/**
 * Secrets (issue 6, item 6), through the Automation API runner (the Pulumi engine) and an emulator that accepts only SECRET: with
 * the key as a secret stack config value, and separately as OPENAI_API_KEY, a stack is deployed,
 * previewed, refreshed, failed (a job that fails in training) and destroyed. The key must appear nowhere
 * but in the auth header: not in `pulumi stack export`, the state files, any runner or CLI output (also with
 * the engine's verbose logs), error messages, or anything else the emulator received. The dataset's content
 * (a marker in every example) must appear in no runner or CLI output or log, nor in state.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { recordFigures } from "../helpers/figures";
import { PulumiProject, type RunResult } from "../helpers/pulumi";
import { PROGRAM } from "../e2e/program";

jest.setTimeout(900_000);

const SECRET = `sk-proj-reliability-${randomBytes(24).toString("hex")}`;
/** In every example of the dataset, in every message. */
const MARKER = `dataset-marker-${randomBytes(8).toString("hex")}`;
const VERBOSE_RUNNER = join(__dirname, "../../scripts/pulumi-run.js");

function dataset(n: number): string {
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        messages: [
          { role: "system", content: `You answer for Acme (${MARKER}).` },
          { role: "user", content: `${MARKER} question ${i}: where is setting ${i}?` },
          { role: "assistant", content: `${MARKER} answer ${i}: Console > Settings > Page ${i}.` },
        ],
      }),
    );
  }
  return lines.join("\n") + "\n";
}

/** What may carry the key: the key itself, base64 of it, and (for partial leaks) each half of its random part. */
const KEY_NEEDLES = [Buffer.from(SECRET), Buffer.from(SECRET).toString("base64")].map((n) => Buffer.from(n));
const tail = SECRET.slice(SECRET.lastIndexOf("-") + 1);
const PARTIAL_NEEDLES = [tail.slice(0, tail.length / 2), tail.slice(tail.length / 2)].map((n) => Buffer.from(n));

function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** Every regular file under `dir` (symlinks, e.g. node_modules, are not followed), with gzip files also unpacked. */
function filesUnder(dir: string, skip: Set<string> = new Set()): { where: string; bytes: Buffer }[] {
  const out: { where: string; bytes: Buffer }[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      if (skip.has(full)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const bytes = readFileSync(full);
        out.push({ where: `file ${relative(dir, full)}`, bytes });
        if (entry.name.endsWith(".gz")) out.push({ where: `file ${relative(dir, full)} (gunzipped)`, bytes: gunzipSync(bytes) });
      }
    }
  };
  walk(dir);
  return out;
}

/** One operation with the engine's verbose logs (-v=9 --logtostderr --debug), stderr included. */
function verboseRun(project: PulumiProject, op: string, stack: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VERBOSE_RUNNER, op, "--stack", stack, "--log-verbosity", "9"], { cwd: project.dir, env: project.env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr, output: stdout + stderr }));
  });
}

let emulator: RunningEmulator;

beforeAll(async () => {
  // Only this exact key is accepted, so every successful call proves the key travelled in the auth header.
  emulator = await startEmulator({ timeScale: 100, apiKey: SECRET });
});
afterAll(() => emulator?.stop());

/** How Pulumi state marks an encrypted value. */
const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const isSecret = (value: unknown): boolean =>
  typeof value === "object" && value !== null && (value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIG["4dabf18193072939515e22adb298388d"] && typeof (value as { ciphertext?: unknown }).ciphertext === "string";

interface StateResource {
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}
function resourceOf(exported: string, type: "TrainingFile" | "FineTunedModel"): StateResource {
  const { resources } = (JSON.parse(exported) as { deployment: { resources: StateResource[] } }).deployment;
  const found = resources.filter((r) => r.type === `pulumi-nodejs:dynamic/openai-finetune:${type}`);
  expect(found).toHaveLength(1);
  return found[0]!;
}
/** The dataset a FineTunedModel carries for its preview: the property itself when it is one secret, else its `content`. */
const datasetContent = (value: unknown): unknown => (isSecret(value) || isShown(value) ? value : (value as { content?: unknown } | undefined)?.content);
/** `stack export --show-secrets` keeps the secret's wrapper, with the value as JSON in `plaintext`. */
const isShown = (value: unknown): value is { plaintext: string } => typeof (value as { plaintext?: unknown } | null)?.plaintext === "string";
const plaintextOf = (value: unknown): unknown => {
  const inner = datasetContent(value);
  return isShown(inner) ? JSON.parse(inner.plaintext) : inner;
};

/** The engine's own log lines, as it writes them at -v=9 (JSON, one per line). */
function engineLogLines(text: string): number {
  return text.split("\n").filter((line) => line.startsWith('{"time":') && line.includes('"level":')).length;
}

async function campaign(how: "config" | "env") {
  await emulator.reset();
  const stack = "s";
  const name = `secrets-${how}`;
  const project = new PulumiProject({
    name,
    program: PROGRAM,
    baseURL: emulator.baseURL,
    apiKey: how === "env" ? SECRET : undefined,
    files: { "data/train.jsonl": dataset(12) },
  });
  delete project.env.AZURE_OPENAI_API_KEY;

  /** Every run's output (runner or CLI), by what it was. */
  const outputs: { what: string; result: RunResult }[] = [];
  /** Everything the emulator held after each step (received requests, jobs, files, audit log). */
  const emulatorViews: { what: string; json: string; served: number }[] = [];
  let served = 0;
  const step = async (what: string, run: Promise<RunResult>): Promise<RunResult> => {
    const result = await run;
    outputs.push({ what, result });
    const state = await emulator.state();
    emulatorViews.push({ what, json: JSON.stringify(state), served: state.requests.total - served });
    served = state.requests.total;
    return result;
  };
  const cli = (what: string, args: string[]) => step(what, project.run(args));

  await cli("stack init", ["stack", "init", stack]);
  await cli("config set dataset", ["config", "set", "--stack", stack, "dataset", "data/train.jsonl"]);
  if (how === "env") await cli("config set inlineDataset", ["config", "set", "--stack", stack, "inlineDataset", "true"]);
  if (how === "config") await cli("config set --secret openai:apiKey", ["config", "set", "--stack", stack, "--secret", "openai:apiKey", SECRET]);
  await cli("config", ["config", "--stack", stack]);

  const up = await step("up (-v=9)", verboseRun(project, "up", stack));
  const preview = await cli("preview", ["preview", "--stack", stack, "--expect-no-changes"]);
  const previewVerbose = await step("preview (-v=9)", verboseRun(project, "preview", stack));
  // scripts/pulumi-run.js's own flag: the program's debug messages (the engine's stderr is kept only on failure).
  const previewDebug = await cli("preview --log-verbosity 9", ["preview", "--stack", stack, "--log-verbosity", "9"]);
  const refresh = await cli("refresh", ["refresh", "--yes", "--stack", stack]);
  await cli("stack output", ["stack", "output", "--json", "--show-secrets", "--stack", stack]);
  const exported = await cli("stack export", ["stack", "export", "--stack", stack]);
  const exportedWithSecrets = await step("stack export --show-secrets", project.run(["stack", "export", "--show-secrets", "--stack", stack]));

  // New epochs retrain, and that job fails in training: an error message travels back through the engine.
  await cli("config set nEpochs", ["config", "set", "--stack", stack, "nEpochs", "3"]);
  await emulator.faults({ failNextJobs: 1 });
  const failingUp = await step("failing up (-v=9)", verboseRun(project, "up", stack));
  const exportedAfterFailure = await cli("stack export after the failure", ["stack", "export", "--stack", stack]);
  const jobs = (await emulator.state()).jobs;

  const destroy = await cli("destroy", ["destroy", "--yes", "--stack", stack]);
  await cli("stack export after destroy", ["stack", "export", "--stack", stack]);
  await cli("stack history", ["stack", "history", "--json", "--stack", stack]);
  const finalState = await emulator.state();

  // Where the key and the dataset must not be.
  // The decrypted export this test asks for is where secrets may show; it is searched by nothing.
  const cliTexts = outputs
    .filter(({ what }) => what !== "stack export --show-secrets")
    .map(({ what, result }) => ({ where: `output of pulumi ${what}`, bytes: Buffer.from(result.output) }));
  const stateFiles = filesUnder(project.stateDir);
  const projectFiles = filesUnder(project.dir, new Set([project.stateDir, join(project.dir, "data"), join(project.dir, "node_modules")]));
  const emulatorTexts = [
    ...emulatorViews.map(({ what, json }) => ({ where: `emulator state after ${what} (received requests without the auth header, jobs, files, log)`, bytes: Buffer.from(json) })),
    { where: "emulator process output", bytes: Buffer.from(emulator.output()) },
  ];
  const haystacks = [...cliTexts, ...stateFiles, ...projectFiles, ...emulatorTexts];

  const keyFindings: string[] = [];
  let secretBytesFound = 0;
  for (const { where, bytes } of haystacks) {
    for (const needle of [...KEY_NEEDLES, ...PARTIAL_NEEDLES]) {
      const n = occurrences(bytes, needle);
      if (n > 0) keyFindings.push(`${where}: ${n} occurrence(s) of ${needle.length} bytes`);
      if (KEY_NEEDLES.includes(needle)) secretBytesFound += n * needle.length;
    }
  }
  const markerFindings = [...cliTexts, ...stateFiles]
    .map(({ where, bytes }) => ({ where, n: occurrences(bytes, Buffer.from(MARKER)) }))
    .filter(({ n }) => n > 0)
    .map(({ where, n }) => `${where}: ${n} occurrence(s) of the dataset marker`);

  recordFigures({ scenario: "secrets", secretBytesFound });

  return {
    project,
    name,
    codes: {
      up: up.code,
      preview: preview.code,
      previewVerbose: previewVerbose.code,
      previewDebug: previewDebug.code,
      refresh: refresh.code,
      failingUp: failingUp.code,
      destroy: destroy.code,
    },
    up,
    preview,
    previewVerbose,
    previewDebug,
    failingUp,
    exported: exported.stdout,
    exportedWithSecrets: exportedWithSecrets.stdout,
    exportedAfterFailure: exportedAfterFailure.stdout,
    jobs,
    finalState,
    emulatorViews,
    stateFiles,
    keyFindings,
    secretBytesFound,
    markerFindings,
  };
}

describe.each([
  ["a secret stack config value (openai:apiKey)", "config"],
  ["OPENAI_API_KEY in the environment", "env"],
] as const)("the API key given as %s", (_label, how) => {
  let result: Awaited<ReturnType<typeof campaign>>;

  beforeAll(async () => {
    result = await campaign(how);
  });

  it("is given only that way", () => {
    expect(result.project.env.OPENAI_API_KEY).toBe(how === "env" ? SECRET : undefined);
    const settings = readFileSync(join(result.project.dir, "Pulumi.s.yaml"), "utf8");
    expect(/openai:apiKey:\s+secure: v1:/.test(settings)).toBe(how === "config");
    expect(settings.includes("apiKey")).toBe(how === "config");
  });

  it("works: up, preview, refresh and destroy succeed, and the failing up fails with the API's error", () => {
    expect(result.codes).toEqual({ up: 0, preview: 0, previewVerbose: 0, previewDebug: 0, refresh: 0, failingUp: 1, destroy: 0 });
    // The jobs were created with the key (the emulator accepts no other) and named by the provider's metadata.
    expect(result.jobs.map((j) => [j.status, j.metadata?.pulumi_owner])).toEqual([
      ["succeeded", `${result.name}/s/model`],
      ["failed", `${result.name}/s/model`],
    ]);
    const failed = result.jobs[1]!;
    expect(result.failingUp.output).toContain(`fine-tuning job ${failed.id} failed (${failed.error?.code}: ${failed.error?.message})`);
    expect(failed.error?.code).toBe("server_error");
    expect(result.exportedAfterFailure).toContain(failed.id);
    expect(result.exported).toContain("openai-finetune:FineTunedModel");
    expect(result.finalState.models).toEqual([]);
    expect(result.finalState.files).toEqual([]);
  });

  it("the verbose runs really carry the engine's verbose logs", () => {
    expect(result.previewVerbose.output.length).toBeGreaterThan(10 * result.preview.output.length);
    expect(engineLogLines(result.previewVerbose.output)).toBeGreaterThan(100);
    expect(engineLogLines(result.up.output)).toBeGreaterThan(100);
    expect(engineLogLines(result.failingUp.output)).toBeGreaterThan(100);
    expect(result.previewDebug.output).toContain("debug: RegisterResource RPC");
    for (const run of [result.up, result.previewVerbose, result.failingUp]) {
      expect(run.output).toMatch(/"msg":"Provider\[[^\]]+\]\.Configure\(\) executing/);
      expect(run.output).toMatch(/"msg":"Provider\[[^\]]+\]\.Check\(urn:pulumi:s::secrets-\w+::pulumi-nodejs:dynamic\/openai-finetune:FineTunedModel::model\)/);
      expect(run.output).toContain("debug: RegisterResource RPC");
    }
    expect(result.up.output).toMatch(/"msg":"Provider\[[^\]]+\]\.Create\(urn:pulumi:s::secrets-\w+::pulumi-nodejs:dynamic\/openai-finetune:FineTunedModel::model\)/);
  });

  it("the search reaches what it searches: the state files, and the dataset as the API received it", () => {
    expect(result.stateFiles.map((f) => f.where)).toEqual(expect.arrayContaining([expect.stringMatching(/^file \.pulumi\/stacks\/secrets-\w+\/s\.json$/), expect.stringMatching(/^file \.pulumi\/history\//)]));
    // The upload's body (the dataset) reached the emulator's received log, so a leak there would be seen.
    expect(result.emulatorViews.some((v) => v.json.includes(MARKER))).toBe(true);
    // Every request the emulator served is within its received log (it keeps the last 500).
    expect(Math.max(...result.emulatorViews.map((v) => v.served))).toBeLessThanOrEqual(500);
  });

  it("the key appears nowhere: stack export, state files, runner and CLI output (also -v=9), errors, what the emulator received", () => {
    expect(result.keyFindings).toEqual([]);
    expect(result.secretBytesFound).toBe(0);
  });

  it(
    how === "env"
      ? "the inline dataset appears in no output or state, except the engine's -v=9 and debug logs (a known limit, in the README)"
      : "the dataset's content appears in no runner or CLI output or log (also -v=9), nor in state",
    () => {
      if (how === "config") {
        expect(result.markerFindings).toEqual([]);
        return;
      }
      // The engine logs resource inputs at -v=9 (and the SDK at debug), secrets decrypted: inline
      // content lands there, a dataset given by path does not (the other campaign proves it).
      const verbose = /^output of pulumi (up \(-v=9\)|preview \(-v=9\)|preview --log-verbosity 9|failing up \(-v=9\)):/;
      expect(result.markerFindings.filter((f) => !verbose.test(f))).toEqual([]);
      expect(result.markerFindings.filter((f) => verbose.test(f))).toHaveLength(4);
    },
  );

  it(how === "env" ? "the inline dataset (content) is in both resources' state, encrypted" : "the dataset by path puts no content in state", () => {
    const file = resourceOf(result.exported, "TrainingFile");
    const model = resourceOf(result.exported, "FineTunedModel");
    const fileShown = resourceOf(result.exportedWithSecrets, "TrainingFile");
    const modelShown = resourceOf(result.exportedWithSecrets, "FineTunedModel");
    if (how === "config") {
      expect(file.inputs?.content).toBeUndefined();
      expect(file.inputs?.path).toMatch(/data\/train\.jsonl$/);
      expect(datasetContent(model.inputs?.trainingDataset)).toBeUndefined();
      return;
    }
    expect(file.inputs?.path).toBeUndefined();
    for (const [where, value] of [
      ["TrainingFile inputs.content", file.inputs?.content],
      ["TrainingFile outputs.content", file.outputs?.content],
      ["FineTunedModel inputs.trainingDataset", datasetContent(model.inputs?.trainingDataset)],
      ["FineTunedModel outputs.trainingDataset", datasetContent(model.outputs?.trainingDataset)],
    ] as const) {
      expect({ where, secret: isSecret(value) }).toEqual({ where, secret: true });
    }
    // Decrypted, the same places hold the very dataset: the secrets checked above are the data.
    expect(plaintextOf(fileShown.inputs?.content)).toBe(dataset(12));
    expect(plaintextOf(fileShown.outputs?.content)).toBe(dataset(12));
    expect(plaintextOf(modelShown.inputs?.trainingDataset)).toBe(dataset(12));
    expect(plaintextOf(modelShown.outputs?.trainingDataset)).toBe(dataset(12));
  });
});
