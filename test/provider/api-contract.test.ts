/**
 * The API contract (provider/api-contract.ts) is the one source of the hyperparameter ranges: the
 * provider's input schema (checked at preview) and the emulator's job create (over HTTP, through
 * the openai SDK) accept and refuse exactly the same values, at every edge of every range.
 */
import OpenAI from "openai";
import { HYPERPARAMETERS, METHOD_TYPES, type MethodType } from "../../provider/api-contract";
import { methodSchema } from "../../provider/fine-tuned-model/schema";
import { startEmulator, type RunningEmulator } from "../helpers/emulator";
import { chatExamples, dpoExamples, uploadJsonl } from "../emulator/fixtures";

let emu: RunningEmulator;
let client: OpenAI;
beforeAll(async () => {
  // At time scale 1 a job is still validating (3 s) when it is cancelled, so none trains.
  // The ranges are the same on every platform; Azure still trains all three methods' bases (OpenAI
  // retired o4-mini, the only RFT base), so the emulator plays Azure, reached on its v1 routes.
  emu = await startEmulator({ timeScale: 1, flavor: "azure" });
  client = new OpenAI({ baseURL: `${emu.azureEndpoint}/openai/v1`, apiKey: emu.apiKey, defaultHeaders: { "api-key": emu.apiKey, Authorization: null }, maxRetries: 0 });
});
afterAll(async () => {
  await emu?.stop();
});

const MODEL: Record<MethodType, string> = { supervised: "gpt-4.1-mini", dpo: "gpt-4.1-mini", reinforcement: "o4-mini" };
const GRADER = { type: "string_check", name: "exact", input: "{{sample.output_text}}", reference: "{{item.answer}}", operation: "eq" };
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Each numeric hyperparameter with values on both sides of both edges, and whether the API takes them. */
function edges(): [MethodType, string, number, boolean][] {
  const cases: [MethodType, string, number, boolean][] = [];
  for (const method of METHOD_TYPES) {
    for (const [key, rule] of Object.entries(HYPERPARAMETERS[method])) {
      if (rule.kind === "int") {
        cases.push([method, key, rule.min, true], [method, key, rule.max, true], [method, key, rule.min - 1, false], [method, key, rule.max + 1, false], [method, key, rule.min + 0.5, false]);
      } else if (rule.kind === "float") {
        cases.push([method, key, rule.above + 0.01, true], [method, key, rule.max, true], [method, key, rule.above, false], [method, key, rule.max + 0.01, false]);
      }
    }
  }
  return cases;
}

function providerAccepts(method: MethodType, key: string, value: number): boolean {
  const input = { type: method, hyperparameters: { [camel(key)]: value }, ...(method === "reinforcement" ? { grader: GRADER } : {}) };
  return methodSchema.safeParse(input).success;
}

async function emulatorAccepts(method: MethodType, key: string, value: number, trainingFile: string): Promise<boolean> {
  const config = { hyperparameters: { [key]: value }, ...(method === "reinforcement" ? { grader: GRADER } : {}) };
  try {
    const job = await client.fineTuning.jobs.create({ model: MODEL[method], training_file: trainingFile, method: { type: method, [method]: config } as never });
    await client.fineTuning.jobs.cancel(job.id);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(`method.${method}.hyperparameters.${key}`);
    return false;
  }
}

describe("the API contract", () => {
  it("has 3, 4 and 6 numeric hyperparameters for supervised, dpo and reinforcement (as the SDK types do)", () => {
    const numeric = (m: MethodType) => Object.values(HYPERPARAMETERS[m]).filter((r) => r.kind !== "choice").length;
    expect(METHOD_TYPES.map(numeric)).toEqual([3, 4, 6]);
  });

  it("the provider's schema and the emulator agree on every edge of every hyperparameter range", async () => {
    const files: Record<MethodType, string> = {
      supervised: (await uploadJsonl(client, chatExamples(10))).id,
      dpo: (await uploadJsonl(client, dpoExamples(10))).id,
      reinforcement: (await uploadJsonl(client, chatExamples(10))).id,
    };
    const verdicts: string[] = [];
    const expected: string[] = [];
    for (const [method, key, value, accepted] of edges()) {
      const label = `${method}.${key}=${value}`;
      expected.push(`${label}: provider ${accepted}, emulator ${accepted}`);
      verdicts.push(`${label}: provider ${providerAccepts(method, key, value)}, emulator ${await emulatorAccepts(method, key, value, files[method])}`);
    }
    expect(verdicts).toEqual(expected);
    // supervised 2 int + 1 float ranges, dpo 2 + 2, reinforcement 4 + 2: 5 edges per int range, 4 per float.
    expect(verdicts).toHaveLength(14 + 18 + 28);
  });

  it("reasoning_effort takes the SDK's choices in both, and nothing else", async () => {
    const { values } = HYPERPARAMETERS.reinforcement.reasoning_effort;
    expect(values).toEqual(["default", "low", "medium", "high"]);
    for (const v of values) expect(methodSchema.safeParse({ type: "reinforcement", grader: GRADER, hyperparameters: { reasoningEffort: v } }).success).toBe(true);
    expect(methodSchema.safeParse({ type: "reinforcement", grader: GRADER, hyperparameters: { reasoningEffort: "extreme" } }).success).toBe(false);
    const file = await uploadJsonl(client, chatExamples(10));
    const attempt = client.fineTuning.jobs.create({ model: "o4-mini", training_file: file.id, method: { type: "reinforcement", reinforcement: { grader: GRADER, hyperparameters: { reasoning_effort: "extreme" } } } as never });
    await expect(attempt).rejects.toMatchObject({ status: 400, param: "method.reinforcement.hyperparameters.reasoning_effort" });
  });
});
