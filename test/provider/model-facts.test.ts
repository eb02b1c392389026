import modelsData from "../../provider/models.json";
import { listModels, platformCutoff, platformFacts, rootBaseOf } from "../../provider/models";
import { trainingAvailability } from "../../provider/retirement";
import { baseModels, shutdownDateOf } from "../../emulator/catalog";
import { now, today } from "../../provider/clock";

describe("model facts per platform", () => {
  it("records, for every listed base and both platforms, trainability, cutoff and shutdown with a source and a date read", () => {
    for (const m of listModels()) {
      for (const platform of ["openai", "azure"] as const) {
        const p = m.platforms[platform]!;
        expect(p).toBeDefined();
        expect(typeof p.fineTunable).toBe("boolean");
        expect(p.source.length).toBeGreaterThan(20);
        expect(p.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        for (const day of [p.trainingCutoff, p.shutdownDate]) if (day !== null) expect(Number.isFinite(Date.parse(day))).toBe(true);
      }
    }
    expect(platformCutoff("openai").trainingCutoff).toBe("2027-01-06");
    expect((modelsData as { platforms: Record<string, { source: string }> }).platforms.azure.source).toMatch(/model-retirement-schedule/);
  });

  it("says what is still trainable where: gpt-4.1-nano on Azure only, gpt-4.1 and 4.1-mini on both", () => {
    expect(platformFacts("gpt-4.1-nano-2025-04-14", "openai")).toMatchObject({ fineTunable: false, shutdownDate: "2026-10-23" });
    expect(platformFacts("gpt-4.1-nano", "azure")).toMatchObject({ fineTunable: true, trainingCutoff: "2027-04-14", shutdownDate: "2027-10-14" });
    for (const id of ["gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14"]) {
      expect(platformFacts(id, "openai")).toMatchObject({ fineTunable: true, shutdownDate: "2027-01-14" });
      expect(platformFacts(id, "azure")).toMatchObject({ fineTunable: true });
    }
    expect(platformFacts("gpt-4o-mini-2024-07-18", "azure")!.methods).toEqual(["supervised"]);
    expect(platformFacts("babbage-002", "azure")!.fineTunable).toBe(false);
  });

  it("traces a fine-tune of a fine-tune to its root base on both platforms", () => {
    expect(rootBaseOf("ft:gpt-4o-mini-2024-07-18:acme:v2:AbC123")).toBe("gpt-4o-mini-2024-07-18");
    expect(rootBaseOf("gpt-4.1-2025-04-14.ft-0123456789abcdef0123456789abcdef")).toBe("gpt-4.1-2025-04-14");
    expect(platformFacts("gpt-4.1-2025-04-14.ft-0123456789abcdef0123456789abcdef", "azure")!.methods).toEqual(["supervised", "dpo"]);
  });

  it("the emulator's catalogue gives the shutdown dates of the facts, per flavour", () => {
    for (const flavor of ["openai", "azure"] as const) {
      for (const model of baseModels(flavor)) {
        const facts = platformFacts(model.id, flavor);
        if (facts) expect(model.shutdown_date).toBe(facts.shutdownDate);
      }
    }
    expect(shutdownDateOf("gpt-4o-mini", "openai")).toBe("2027-01-14");
    expect(shutdownDateOf("gpt-4o-mini", "azure")).toBe("2027-10-01");
  });
});

describe("training availability (no API call, injectable clock)", () => {
  it("refuses a retired base, naming it, saying retired and the date, and pointing OpenAI users to Azure", () => {
    const r = trainingAvailability("gpt-4.1-nano-2025-04-14", "openai", "2026-12-02");
    expect(r.refusal).toMatch(/gpt-4\.1-nano-2025-04-14 is retired for fine-tuning on OpenAI since 2026-10-23/);
    expect(r.refusal).toMatch(/Azure OpenAI instead: give this resource `connection/);
    expect(trainingAvailability("gpt-4.1-nano-2025-04-14", "azure", "2026-12-02").refusal).toBeUndefined();
    expect(trainingAvailability("ft:gpt-4.1-nano-2025-04-14:o::x", "openai", "2026-12-02").refusal).toMatch(/a fine-tune of gpt-4\.1-nano-2025-04-14\) is retired/);
  });

  it("refuses every OpenAI job from 2027-01-06 and warns within 90 days before", () => {
    const after = trainingAvailability("gpt-4.1-mini-2025-04-14", "openai", "2027-01-06");
    expect(after.refusal).toMatch(/OpenAI fine-tuning is retired: no new training jobs from 2027-01-06 on, so gpt-4\.1-mini-2025-04-14/);
    expect(after.refusal).toMatch(/Azure OpenAI/);
    const before = trainingAvailability("gpt-4.1-mini-2025-04-14", "openai", "2026-12-02");
    expect(before.refusal).toBeUndefined();
    expect(before.warnings.join("\n")).toMatch(/no new fine-tuning jobs from 2027-01-06 \(in 35 days\)/);
    expect(before.warnings.join("\n")).toMatch(/stop serving on OpenAI on 2027-01-14 \(in 43 days\)/);
    expect(trainingAvailability("gpt-4.1-mini-2025-04-14", "openai", "2026-06-01").warnings).toEqual([]);
    expect(trainingAvailability("gpt-4.1-mini-2025-04-14", "azure", "2027-02-01").warnings.join("\n")).toMatch(/retired for fine-tuning on Azure OpenAI on 2027-04-14 \(in 72 days\)/);
    expect(trainingAvailability("gpt-4.1-mini-2025-04-14", "azure", "2027-04-14").refusal).toMatch(/retired for fine-tuning on Azure OpenAI since 2027-04-14/);
  });

  it("says nothing about a model it has no facts for (OpenAI-compatible endpoints)", () => {
    expect(trainingAvailability("my-llama", "openai", "2026-12-02")).toEqual({ warnings: expect.any(Array) });
    expect(trainingAvailability("my-llama", "openai", "2026-12-02").refusal).toBeUndefined();
  });

  it("reads the clock from OPENAI_FINETUNE_NOW when set", () => {
    expect(today({ OPENAI_FINETUNE_NOW: "2027-01-07" })).toBe("2027-01-07");
    expect(Math.abs(now({}) - Date.now())).toBeLessThan(1000);
    expect(() => now({ OPENAI_FINETUNE_NOW: "soon" })).toThrow(/OPENAI_FINETUNE_NOW must be an ISO date or date-time/);
  });
});
