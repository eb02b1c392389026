import { z } from "zod";
import { UNKNOWN, checkInputs, diffInputs, field, ruleOf } from "../../provider/schema";
import { fineTunedModelSchema } from "../../provider/fine-tuned-model/schema";
import { trainingFileSchema } from "../../provider/training-file/schema";

const schema = z.object({
  model: field(z.string().min(1), { onChange: "replace", description: "what is trained" }),
  timeout: field(z.number().positive().default(5), { onChange: "update", description: "provider-only" }),
  path: field(z.string().optional(), { onChange: "ignore", description: "where the bytes are" }),
});

describe("field declarations", () => {
  it.each([
    ["TrainingFile", trainingFileSchema],
    ["FineTunedModel", fineTunedModelSchema],
  ])("declare a change rule and a description for every %s input", (_name, resourceSchema) => {
    for (const [key, fieldSchema] of Object.entries(resourceSchema.shape)) {
      const rule = ruleOf(fieldSchema as z.ZodType, key);
      expect(["replace", "update", "ignore"]).toContain(rule.onChange);
      expect(rule.description.length).toBeGreaterThan(10);
    }
  });

  it("refuses a schema field that was not declared through field()", () => {
    expect(() => ruleOf(z.string(), "bare")).toThrow("schema field 'bare' has no field() declaration");
  });

  it("retrains on what defines the model and updates provider-only settings in place", () => {
    const rule = (key: keyof typeof fineTunedModelSchema.shape) => ruleOf(fineTunedModelSchema.shape[key] as z.ZodType, key).onChange;
    for (const key of ["baseModel", "trainingFile", "validationFile", "method", "hyperparameters", "suffix", "seed"] as const) {
      expect(rule(key)).toBe("replace");
    }
    for (const key of ["waitTimeoutMinutes", "deleteModelOnDestroy", "metadata", "integrations"] as const) {
      expect(rule(key)).toBe("update");
    }
  });
});

describe("checkInputs", () => {
  it("applies defaults and reports each failure with its property path", () => {
    expect(checkInputs(schema, { model: "m" }).inputs).toEqual({ model: "m", timeout: 5 });
    const { failures } = checkInputs(schema, { model: "", timeout: -1 });
    expect(failures.map((f) => f.property).sort()).toEqual(["model", "timeout"]);
  });

  it("lets values unknown at preview through without judging them", () => {
    const { inputs, unknown, failures } = checkInputs(schema, { model: UNKNOWN, timeout: 3 });
    expect(failures).toEqual([]);
    expect(unknown).toEqual(new Set(["model"]));
    expect(inputs.model).toBe(UNKNOWN);
  });

  it("reports a nested problem on its top-level input, with the nested path in the reason", () => {
    const { failures } = checkInputs(fineTunedModelSchema, {
      baseModel: "gpt-4o-mini-2024-07-18",
      trainingFile: "file-1",
      owner: "p/s/r",
      hyperparameters: { nEpochs: -2 },
    });
    expect(failures).toEqual([{ property: "hyperparameters", reason: expect.stringMatching(/^hyperparameters\.nEpochs: /) }]);
  });
});

describe("diffInputs", () => {
  const olds = { model: "a", timeout: 5, path: "x.jsonl", fileId: "file-1" };

  it("reports no change when only ignored inputs or outputs differ", () => {
    expect(diffInputs(schema, olds, { model: "a", timeout: 5, path: "moved/x.jsonl" })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("replaces on a replacing field and updates on an update field", () => {
    expect(diffInputs(schema, olds, { model: "b", timeout: 5 }).replaces).toEqual(["model"]);
    expect(diffInputs(schema, olds, { model: "a", timeout: 9 })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("treats an unknown value as a change", () => {
    expect(diffInputs(schema, olds, { model: UNKNOWN, timeout: 5 }).replaces).toEqual(["model"]);
  });

  it("compares objects by value, whatever their key order, and absent like null", () => {
    const s = z.object({ h: field(z.record(z.string(), z.number()).optional(), { onChange: "replace", description: "hyperparameters" }) });
    expect(diffInputs(s, { h: { a: 1, b: 2 } }, { h: { b: 2, a: 1 } }).changes).toBe(false);
    expect(diffInputs(s, { h: null }, {}).changes).toBe(false);
    expect(diffInputs(s, { h: { a: 1 } }, { h: { a: 2 } }).replaces).toEqual(["h"]);
  });
});
