/**
 * A stack of five models deployed and destroyed while the API fails a third of all requests: 500s,
 * 429s with retry-after, reset connections, and answers lost after the work was done. Exactly five
 * jobs and five training files must exist afterwards: retried creates are found, not repeated.
 */
import { recordFigures } from "../helpers/figures";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatDataset } from "../helpers/provider-env";
import { PulumiProject } from "../helpers/pulumi";
import { MANY_MODELS } from "./program";

jest.setTimeout(900_000);

const MODELS = 5;
let emulator: RunningEmulator;
beforeAll(async () => (emulator = await startEmulator({ timeScale: 100 })));
afterAll(() => emulator?.stop());

it("up and destroy of five models succeed under 500s, 429s, resets and lost answers, with no duplicates", async () => {
  const files = Object.fromEntries(Array.from({ length: MODELS }, (_, i) => [`data/m${i}.jsonl`, chatDataset(12, `model${i}`)]));
  const project = new PulumiProject({ program: MANY_MODELS, baseURL: emulator.baseURL, apiKey: emulator.apiKey, files });
  await project.initStack("dev", { models: String(MODELS) });
  // Lost answers at 15%: an up and destroy make only about a hundred requests, and every kind of fault
  // must actually happen for the run to prove anything (at 5%, one run in thirty saw none).
  await emulator.faults({ rate500: 0.2, rate429: 0.1, resetRate: 0.05, dropResponseRate: 0.15, retryAfterSeconds: 0.2 });

  await project.up("dev");
  const afterUp = await emulator.state();
  const trainingFiles = afterUp.files.filter((f) => f.purpose === "fine-tune");
  const outputs = await project.outputs("dev");
  const injected = (f: typeof afterUp.faults) => f.injected429 + f.injected500 + f.resets + f.droppedResponses;
  // Retries as the emulator received them (requests the SDK marked as a retry), not the faults it injected.
  recordFigures({ scenario: "faults: up of 5 models", faultsInjected: injected(afterUp.faults), retries: afterUp.requests.retried, jobsCreated: afterUp.jobs.length, jobsExpected: MODELS });
  expect(afterUp.requests.retried).toBeGreaterThan(0);
  expect(afterUp.jobs).toHaveLength(MODELS);
  expect(trainingFiles).toHaveLength(MODELS);
  expect(afterUp.models.map((m) => m.id).sort()).toEqual(Array.from({ length: MODELS }, (_, i) => outputs[`model${i}`]).sort());

  await project.ok(["destroy", "--yes", "--stack", "dev"]);
  const afterDestroy = await emulator.state();
  recordFigures({ scenario: "faults: destroy", faultsInjected: injected(afterDestroy.faults) - injected(afterUp.faults), retries: afterDestroy.requests.retried - afterUp.requests.retried, filesOrphaned: afterDestroy.files.length });
  expect(afterDestroy.faults.droppedResponses).toBeGreaterThan(0);
  expect(afterDestroy.faults.injected429).toBeGreaterThan(0);
  expect(afterDestroy.faults.injected500).toBeGreaterThan(0);
  expect(afterDestroy.models).toEqual([]);
  expect(afterDestroy.files).toEqual([]);
});
