/**
 * State written by every earlier version keeps working: shapes as v0.1.0 wrote them (no schema version)
 * compare unchanged against what today's programs send, and a field added later never replaces.
 */
import { z } from "zod";
import { provider as models } from "../../provider/fine-tuned-model/provider";
import { fineTunedModelDeclaration, fineTunedModelSchema } from "../../provider/fine-tuned-model/schema";
import { provider as deployments } from "../../provider/model-deployment/provider";
import { modelDeploymentDeclaration } from "../../provider/model-deployment/schema";
import { modelEvaluationDeclaration } from "../../provider/model-evaluation/schema";
import { provider as files } from "../../provider/training-file/provider";
import { trainingFileDeclaration, trainingFileSchema } from "../../provider/training-file/schema";
import { PartialResourceError } from "../../provider/errors";
import { SCHEMA_VERSION_KEY, checkInputs, declareResource, diffInputs, field, output, upgradeState, withStateVersions, type State } from "../../provider/schema";

const HASH = "a".repeat(64);
const PROVIDER = "exports.handler = () => provider; // serialized trampoline";

/** What v0.1.0's TrainingFile create wrote (provider/training-file/provider.ts at 843be0e). */
const v1File: State = {
  path: "/home/ci/project/data/train.jsonl",
  contentHash: HASH,
  purpose: "fine-tune",
  filename: "train.aaaaaaaaaaaa.jsonl",
  owner: "proj/dev/data",
  uploadPartThresholdBytes: 536870912,
  validate: true,
  fileId: "file-abc",
  bytes: 2048,
  status: "processed",
  createdAt: 1764000000,
  __provider: PROVIDER,
};

/** What v0.1.0's FineTunedModel create wrote (echoed inputs, then outputsFromJob at 843be0e). */
const v1Model: State = {
  baseModel: "gpt-4o-mini-2024-07-18",
  trainingFile: "file-abc",
  trainingFileHash: HASH,
  trainingDataset: { path: "/home/ci/project/data/train.jsonl" },
  hyperparameters: { nEpochs: 2 },
  waitTimeoutMinutes: 10,
  pollIntervalSeconds: 0.5,
  deleteModelOnDestroy: true,
  owner: "proj/dev/model",
  estimatedTrainingTokens: 1200,
  estimatedCostUsd: 0.0036,
  jobId: "ftjob-1",
  status: "succeeded",
  fineTunedModel: "ft:gpt-4o-mini-2024-07-18:org::abc",
  trainedTokens: 1200,
  resultFiles: ["file-result"],
  createdAt: 1764000000,
  finishedAt: 1764000600,
  checkpoints: [],
  organizationId: "org-emulator",
  baseModelShutdownDate: null,
  error: null,
  __provider: PROVIDER,
};

/** The inputs today's classes send for the same program, after today's check(). */
const fileNews = () => checkInputs(trainingFileSchema, { path: v1File.path, contentHash: HASH, owner: "proj/dev/data", costCaps: [] }).inputs;
const modelNews = () => ({
  ...checkInputs(fineTunedModelSchema, {
    baseModel: "gpt-4o-mini-2024-07-18",
    trainingFile: "file-abc",
    trainingFileHash: HASH,
    trainingDataset: { path: "/elsewhere/data/train.jsonl" },
    hyperparameters: { nEpochs: 2 },
    waitTimeoutMinutes: 10,
    pollIntervalSeconds: 0.5,
    owner: "proj/dev/model",
  }).inputs,
  estimatedTrainingTokens: 1200,
  estimatedCostUsd: 0.0036,
});

describe("v0.1.0 state (version 1, unversioned)", () => {
  it("diffs as no change against today's inputs for the same program", async () => {
    const none = { changes: false, replaces: [], deleteBeforeReplace: false };
    expect(await files.diff("file-abc", v1File, fileNews())).toEqual(none);
    expect(await models.diff("ftjob-1", v1Model, modelNews())).toEqual(none);
  });

  it("still replaces on a real change", async () => {
    expect((await files.diff("file-abc", v1File, { ...fileNews(), contentHash: "b".repeat(64) })).replaces).toEqual(["contentHash"]);
    expect((await models.diff("ftjob-1", v1Model, { ...modelNews(), hyperparameters: { nEpochs: 3 } })).replaces).toEqual(["hyperparameters"]);
  });

  it("upgrades in memory to this version, keeping every stored value", () => {
    expect(upgradeState(trainingFileDeclaration, v1File)).toEqual({ ...v1File, [SCHEMA_VERSION_KEY]: 2 });
    expect(upgradeState(fineTunedModelDeclaration, v1Model)).toEqual({ ...v1Model, [SCHEMA_VERSION_KEY]: 2 });
  });

  it("is refused when written by a newer package, naming the versions", () => {
    expect(() => upgradeState(trainingFileDeclaration, { ...v1File, [SCHEMA_VERSION_KEY]: 9 })).toThrow(
      "TrainingFile: the stack's state was written by a newer pulumi-openai-finetune (state version 9, this package reads up to 2); upgrade the package",
    );
  });
});

describe("a field added in a later version", () => {
  const v2 = z.object({
    model: field(z.string(), { onChange: "replace", description: "what is trained" }),
  });
  const v3 = v2.extend({
    tier: field(z.enum(["standard", "priority"]).default("standard"), { onChange: "replace", description: "added in version 3" }),
  });
  const declaration = declareResource({
    type: "Thing",
    kind: "thing",
    description: "A thing.",
    version: 3,
    inputs: v3,
    outputs: z.object({ url: output(z.string(), { description: "where" }) }),
    upgrades: { 1: (s) => s, 2: (s) => ({ ...s, url: s.url ?? "unknown" }) },
    onReplace: "A change replaces it.",
  });
  const stored: State = { model: "m", url: "u", [SCHEMA_VERSION_KEY]: 2 };

  it("never replaces state that predates it while the program leaves it at its default", () => {
    expect(diffInputs(v3, stored, { model: "m", tier: "standard" })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(upgradeState(declaration, stored)).toEqual({ model: "m", url: "u", tier: "standard", [SCHEMA_VERSION_KEY]: 3 });
  });

  it("replaces once the program asks for another value", () => {
    expect(diffInputs(v3, upgradeState(declaration, stored), { model: "m", tier: "priority" }).replaces).toEqual(["tier"]);
  });

  it("runs each upgrade in turn from the stored version", () => {
    expect(upgradeState(declaration, { model: "m" })).toEqual({ model: "m", url: "unknown", tier: "standard", [SCHEMA_VERSION_KEY]: 3 });
  });

  it("needs an upgrade from every earlier version", () => {
    expect(() => declareResource({ ...declaration, upgrades: { 1: (s: State) => s } })).toThrow("Thing: no upgrade from state version 2 to 3");
  });

  it("reaches every provider method upgraded, and every write carries the version", async () => {
    const seen: Record<string, State> = {};
    const inner = withStateVersions(declaration, {
      configure: async () => undefined,
      check: async (_o, news) => ({ inputs: news }),
      diff: async (_id, olds) => ((seen.diff = olds), { changes: false }),
      create: async () => ({ id: "t-1", outs: { model: "m", tier: "standard", url: "u" } }),
      read: async (id, props) => ((seen.read = props as State), { id, props }),
      update: async (_id, olds) => {
        seen.update = olds;
        throw new PartialResourceError("still going", "t-1", { ...olds });
      },
      delete: async (_id, props) => void (seen.delete = props),
    });
    const old: State = { model: "m", url: "u" };
    await inner.diff("t-1", old, {});
    expect(seen.diff).toEqual({ model: "m", url: "u", tier: "standard", [SCHEMA_VERSION_KEY]: 3 });
    expect((await inner.create({})).outs).toEqual({ model: "m", tier: "standard", url: "u", [SCHEMA_VERSION_KEY]: 3 });
    expect((await inner.read("t-1", old)).props).toEqual(seen.diff);
    const partial = await inner.update("t-1", old, {}).catch((e: PartialResourceError) => e);
    expect(partial).toBeInstanceOf(PartialResourceError);
    expect((partial as PartialResourceError).properties[SCHEMA_VERSION_KEY]).toBe(3);
    await inner.delete("t-1", old);
    expect(seen.delete).toEqual(seen.diff);
  });
});

describe("ModelDeployment state from before Azure deployments (version 1)", () => {
  /** What the ModelDeployment's create wrote before `azure` existed: `model` was the fine-tune, no `fineTunedModel`. */
  const v1Deployment: State = {
    model: "ft:gpt-4o-mini-2024-07-18:org::abc",
    servedBy: "envs/prod/serving",
    jobId: "ftjob-1",
    baseModel: "gpt-4o-mini-2024-07-18",
    trainingFileId: "file-1",
    datasetHash: HASH,
    owner: { project: "envs", stack: "staging", resource: "model" },
    baseModelShutdownDate: "2027-01-14",
    markerFileId: "file-marker",
    [SCHEMA_VERSION_KEY]: 1,
    __provider: PROVIDER,
  };
  const program = { model: "ft:gpt-4o-mini-2024-07-18:org::abc", servedBy: "envs/prod/serving" };

  it("diffs as no change against the same program, and still updates on a promotion", async () => {
    expect(await deployments.diff("envs/prod/serving", v1Deployment, program)).toMatchObject({ changes: false, replaces: [] });
    expect(await deployments.diff("envs/prod/serving", v1Deployment, { ...program, model: "ft:gpt-4o-mini-2024-07-18:org::def" })).toMatchObject({ changes: true, replaces: [] });
  });

  it("upgrades with the fine-tune it serves in fineTunedModel", () => {
    expect(upgradeState(modelDeploymentDeclaration, v1Deployment)).toMatchObject({ model: v1Deployment.model, fineTunedModel: v1Deployment.model, [SCHEMA_VERSION_KEY]: 2 });
  });
});

describe("ModelEvaluation state from before fineTunedModel was always stored (version 1)", () => {
  it("upgrades with fineTunedModel set to the evaluated model, keeping one that was stored", () => {
    const v1 = { model: "ft:gpt-4o-mini-2024-07-18:org::abc", passed: true, [SCHEMA_VERSION_KEY]: 1 };
    expect(upgradeState(modelEvaluationDeclaration, v1)).toMatchObject({ fineTunedModel: v1.model, [SCHEMA_VERSION_KEY]: 2 });
    expect(upgradeState(modelEvaluationDeclaration, { ...v1, model: "serving-1a2b3c4d", fineTunedModel: "gpt-4.1-mini-2025-04-14.ft-0a" })).toMatchObject({ fineTunedModel: "gpt-4.1-mini-2025-04-14.ft-0a" });
  });
});
