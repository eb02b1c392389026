import { analyzeDataset, autoEpochs, estimateCostUsd, resolveEpochs } from "../../../provider/dataset";
import { chatLines, useTempCache } from "./helpers";

useTempCache();

describe("autoEpochs", () => {
  it.each([
    [1, 25],
    [4, 25],
    [5, 20],
    [10, 10],
    [20, 5],
    [25, 4],
    [26, 3],
    [33, 3], // 99 < 100: min(25, floor(100/33)) = 3
    [34, 3], // 102 >= 100: the default
    [100, 3],
    [8333, 3], // 24,999 <= 25,000
    [8334, 2], // 25,002 > 25,000: floor(25000/8334) = 2
    [12500, 2],
    [12501, 1],
    [25000, 1],
    [25001, 1], // floor < 1: at least 1
    [1_000_000, 1],
  ])("%i examples -> %i epochs", (n, epochs) => {
    expect(autoEpochs(n)).toBe(epochs);
  });

  it("follows each branch of the rule literally", () => {
    for (let n = 1; n < 40000; n += 7) {
      const expected = n * 3 < 100 ? Math.min(25, Math.floor(100 / n)) : n * 3 > 25000 ? Math.max(1, Math.floor(25000 / n)) : 3;
      expect(autoEpochs(n)).toBe(expected);
    }
  });

  it("explicit n_epochs wins over the rule", () => {
    expect(resolveEpochs(7, 1000)).toBe(7);
    expect(resolveEpochs("auto", 1000)).toBe(3);
    expect(resolveEpochs(undefined, 10)).toBe(10);
  });
});

describe("cost", () => {
  it("is billed tokens x price / 1M, or null without a price", () => {
    expect(estimateCostUsd(2_000_000, 3)).toBe(6);
    expect(estimateCostUsd(123_456, 25)).toBeCloseTo(3.0864, 6);
    expect(estimateCostUsd(1000, null)).toBeNull();
  });

  it("the report multiplies capped tokens by the epochs and the model's price", async () => {
    const content = chatLines(40).join("\n");
    const plain = await analyzeDataset({ content }, { noCache: true, model: "gpt-4o-mini-2024-07-18" });
    expect(plain.epochs).toBe(3);
    expect(plain.billedTokens).toBe(plain.tokens * 3);
    expect(plain.estimatedCostUsd).toBeCloseTo((plain.tokens * 3 * 3) / 1e6, 9);
    expect(plain.pricePerMillionTokens).toBe(3);

    const five = await analyzeDataset({ content }, { noCache: true, model: "gpt-4.1-nano", nEpochs: 5 });
    expect(five.epochs).toBe(5);
    expect(five.estimatedCostUsd).toBeCloseTo((five.tokens * 5 * 1.5) / 1e6, 9);
  });

  it("a price override wins; an unknown model has no estimate", async () => {
    const content = chatLines(12).join("\n");
    const over = await analyzeDataset({ content }, { noCache: true, model: "gpt-4o-mini", pricePerMillionTokens: 100 });
    expect(over.estimatedCostUsd).toBeCloseTo((over.billedTokens * 100) / 1e6, 9);
    const byName = await analyzeDataset({ content }, { noCache: true, model: "gpt-4o-mini", priceOverrides: { "gpt-4o-mini-2024-07-18": 10 } });
    expect(byName.pricePerMillionTokens).toBe(10);
    const unknown = await analyzeDataset({ content }, { noCache: true, model: "my-llama" });
    expect(unknown.estimatedCostUsd).toBeNull();
    expect(unknown.errorCount).toBe(0);
    expect(unknown.warnings[0]).toMatchObject({ line: 0, code: "unknown_model" });
  });

  it("reinforcement is billed per hour: no token estimate", async () => {
    const lines = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ messages: [{ role: "developer", content: "Number only." }, { role: "user", content: `${i}*3?` }], answer: i * 3 }),
    );
    const report = await analyzeDataset({ content: lines.join("\n") }, { noCache: true, model: "o4-mini", method: "reinforcement" });
    expect(report.errorCount).toBe(0);
    expect(report.format).toBe("reinforcement");
    expect(report.encoding).toBe("o200k_base");
    expect(report.tokens).toBeGreaterThan(0);
    expect(report.estimatedCostUsd).toBeNull();
    expect(report.warnings).toContainEqual(expect.objectContaining({ code: "no_price" }));
  });

  it("rejects bad options instead of guessing", async () => {
    await expect(analyzeDataset({ content: "" }, { nEpochs: 0 })).rejects.toThrow(RangeError);
    await expect(analyzeDataset({ content: "" }, { nEpochs: 2.5 })).rejects.toThrow(RangeError);
    await expect(analyzeDataset({ content: "" }, { method: "sft" as never })).rejects.toThrow(TypeError);
    await expect(analyzeDataset({ content: "" }, { pricePerMillionTokens: -1 })).rejects.toThrow(RangeError);
  });
});
