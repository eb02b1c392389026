import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findModel, listModels, loadPriceOverrides, lookupModel, parseFineTunedId } from "../../../provider/models";

describe("model facts file", () => {
  it("lists every fine-tunable base model with its facts, source and read date", () => {
    const ids = listModels().map((m) => m.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
        "o4-mini-2025-04-16",
        "gpt-3.5-turbo-0125",
        "babbage-002",
        "davinci-002",
      ]),
    );
    for (const m of listModels()) {
      expect(m.source.length).toBeGreaterThan(10);
      expect(m.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(m.methods.length).toBeGreaterThan(0);
      expect(["o200k_base", "cl100k_base"]).toContain(m.encoding);
    }
  });

  it("has the documented limits, methods and prices", () => {
    expect(findModel("gpt-4o-mini-2024-07-18")).toMatchObject({ tokenLimit: 65536, pricePerMillionTrainingTokens: 3, methods: ["supervised"] });
    expect(findModel("gpt-4.1-2025-04-14")).toMatchObject({ pricePerMillionTrainingTokens: 25, methods: ["supervised", "dpo"] });
    expect(findModel("gpt-4.1-nano-2025-04-14")!.pricePerMillionTrainingTokens).toBe(1.5);
    expect(findModel("gpt-4o-2024-08-06")!.methods).toContain("dpo");
    expect(findModel("o4-mini-2025-04-16")).toMatchObject({ methods: ["reinforcement"], pricePerTrainingHourUsd: 100 });
    expect(findModel("gpt-3.5-turbo-0125")).toMatchObject({ tokenLimit: 16385, encoding: "cl100k_base" });
    expect(findModel("gpt-3.5-turbo-1106")!.tokenLimit).toBe(16385);
    expect(findModel("gpt-3.5-turbo-0613")!.tokenLimit).toBe(4096);
    expect(findModel("babbage-002")!.formats).toEqual(["prompt_completion"]);
  });
});

describe("lookupModel", () => {
  it("resolves aliases and is case-insensitive", () => {
    expect(lookupModel("gpt-4o-mini").facts!.id).toBe("gpt-4o-mini-2024-07-18");
    expect(lookupModel("GPT-4.1-Mini").facts!.id).toBe("gpt-4.1-mini-2025-04-14");
    expect(lookupModel("gpt-3.5-turbo").facts!.id).toBe("gpt-3.5-turbo-0125");
    const l = lookupModel("gpt-4o-mini");
    expect(l).toMatchObject({ encoding: "o200k_base", tokenLimit: 65536, pricePerMillionTokens: 3, priceSource: "facts", warnings: [] });
  });

  it("traces ft: and Azure .ft- models to their root base: its tokenizer, limit and price", () => {
    const id = "ft:gpt-3.5-turbo-0125:acme:support:8Xyz12";
    expect(parseFineTunedId(id)).toBe("gpt-3.5-turbo-0125");
    const l = lookupModel(id);
    expect(l.facts!.id).toBe("gpt-3.5-turbo-0125");
    expect(l.fineTunedFrom).toBe("gpt-3.5-turbo-0125");
    expect(l).toMatchObject({ encoding: "cl100k_base", tokenLimit: 16385, pricePerMillionTokens: 8, priceSource: "facts", warnings: [] });
    expect(lookupModel("ft:gpt-4o-mini-2024-07-18:org::abc:ckpt-step-10").encoding).toBe("o200k_base");
    const azure = "gpt-4o-mini-2024-07-18.ft-0e208cf33a6a466994aff31a08aba678";
    expect(parseFineTunedId(azure)).toBe("gpt-4o-mini-2024-07-18");
    expect(parseFineTunedId(`${azure}.ft-11111111111111111111111111111111`)).toBe("gpt-4o-mini-2024-07-18");
    expect(lookupModel(azure)).toMatchObject({ fineTunedFrom: "gpt-4o-mini-2024-07-18", pricePerMillionTokens: 3, tokenLimit: 65536 });
    expect(parseFineTunedId("gpt-4.1-mini-2025-04-14")).toBeUndefined();
    const unknownBase = lookupModel("ft:my-own-model:org::abc");
    expect(unknownBase.warnings.map((w) => w.code)).toEqual(["unknown_model"]);
  });

  it("never refuses an unknown model (OpenAI-compatible endpoints)", () => {
    const l = lookupModel("meta-llama/Llama-3-8B");
    expect(l).toMatchObject({ facts: null, encoding: "o200k_base", tokenLimit: null, pricePerMillionTokens: null });
    expect(l.warnings[0].code).toBe("unknown_model");
    expect(lookupModel("gpt-3.5-turbo-9999").encoding).toBe("cl100k_base");
    expect(lookupModel(undefined).warnings[0].code).toBe("no_model");
  });

  it("uses overrides: explicit price, then per-model overrides, then OPENAI_FINETUNE_PRICES", () => {
    const env = { OPENAI_FINETUNE_PRICES: '{"gpt-4o-mini": 2.5, "my-model": 1}' };
    expect(lookupModel("gpt-4o-mini", { env }).pricePerMillionTokens).toBe(2.5);
    expect(lookupModel("gpt-4o-mini-2024-07-18", { env }).pricePerMillionTokens).toBe(2.5);
    expect(lookupModel("my-model", { env })).toMatchObject({ pricePerMillionTokens: 1, priceSource: "override" });
    expect(lookupModel("gpt-4o-mini", { env, priceOverrides: { "gpt-4o-mini": 4 } }).pricePerMillionTokens).toBe(4);
    expect(lookupModel("gpt-4o-mini", { env, pricePerMillionTokens: 9 }).pricePerMillionTokens).toBe(9);
    expect(lookupModel("ft:gpt-4o-mini-2024-07-18:o:s:1", { pricePerMillionTokens: 3 }).pricePerMillionTokens).toBe(3);
  });

  it("reads OPENAI_FINETUNE_PRICES from a file and rejects malformed values", () => {
    const dir = mkdtempSync(join(tmpdir(), "oft-prices-"));
    const path = join(dir, "prices.json");
    writeFileSync(path, JSON.stringify({ "gpt-4.1": 20 }));
    expect(loadPriceOverrides({ OPENAI_FINETUNE_PRICES: path })).toEqual({ "gpt-4.1": 20 });
    expect(lookupModel("gpt-4.1-2025-04-14", { env: { OPENAI_FINETUNE_PRICES: path } }).pricePerMillionTokens).toBe(20);
    expect(() => loadPriceOverrides({ OPENAI_FINETUNE_PRICES: "{not json" })).toThrow(RangeError);
    expect(() => loadPriceOverrides({ OPENAI_FINETUNE_PRICES: '{"a": -1}' })).toThrow(RangeError);
    expect(() => lookupModel("gpt-4o", { pricePerMillionTokens: Number.NaN })).toThrow(RangeError);
    rmSync(dir, { recursive: true, force: true });
  });
});
