// gpt-tokenizer directly, through its per-encoding CommonJS entries (their types resolve only
// under node16 module resolution, hence require).
type Encode = (text: string, opts?: { disallowedSpecial?: Set<string> }) => number[];
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { encode: encodeO200k } = require("gpt-tokenizer/encoding/o200k_base") as { encode: Encode };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { encode: encodeCl100k } = require("gpt-tokenizer/encoding/cl100k_base") as { encode: Encode };
import {
  analyzeDataset,
  countExampleTokens,
  countMessageTokens,
  tokenCounter,
  TOKENS_PER_EXAMPLE,
  TOKENS_PER_MESSAGE,
} from "../../../provider/dataset";
import { useTempCache } from "./helpers";

useTempCache();

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
const o200k = (s: string) => encodeO200k(s, NO_SPECIAL).length;
const cl100k = (s: string) => encodeCl100k(s, NO_SPECIAL).length;
const countO = tokenCounter("o200k_base");
const countC = tokenCounter("cl100k_base");

const simple = {
  messages: [
    { role: "system", content: "You are helpful." },
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello!" },
  ],
};

describe("the cookbook formula", () => {
  it("counts a hand-computed example: 3 per message + values + 3", () => {
    // o200k_base: system 1, "You are helpful." 4 (You| are| helpful|.), user 1, Hi 1, assistant 1, "Hello!" 2.
    expect([o200k("system"), o200k("You are helpful."), o200k("user"), o200k("Hi"), o200k("assistant"), o200k("Hello!")]).toEqual([
      1, 4, 1, 1, 1, 2,
    ]);
    const expected = 3 * TOKENS_PER_MESSAGE + (1 + 4) + (1 + 1) + (1 + 2) + TOKENS_PER_EXAMPLE;
    expect(expected).toBe(22);
    expect(countExampleTokens(simple, "chat", countO)).toBe(22);
  });

  it("adds 1 per name and ignores weight", () => {
    const m = { role: "user", content: "Hi", name: "alice" };
    expect(countMessageTokens(m, countO)).toBe(3 + o200k("user") + o200k("Hi") + o200k("alice") + 1);
    const w = { role: "assistant", content: "Hello!", weight: 0 };
    expect(countMessageTokens(w, countO)).toBe(3 + o200k("assistant") + o200k("Hello!"));
  });

  it("counts tool calls, tool results and tools as their JSON text", () => {
    const toolCalls = [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }];
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
    const ex = {
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", content: null, tool_calls: toolCalls },
        { role: "tool", tool_call_id: "call_1", content: '{"c":20}' },
        { role: "assistant", content: "20 C." },
      ],
      tools,
    };
    const expected =
      4 * 3 +
      o200k("user") +
      o200k("Weather?") +
      o200k("assistant") +
      o200k(JSON.stringify(toolCalls)) +
      o200k("tool") +
      o200k("call_1") +
      o200k('{"c":20}') +
      o200k("assistant") +
      o200k("20 C.") +
      3 +
      o200k(JSON.stringify(tools));
    expect(countExampleTokens(ex, "chat", countO)).toBe(expected);
  });

  it("counts text parts and 85 tokens per image", () => {
    const ex = {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "https://example.com/a.png" } },
            { type: "image_url", image_url: { url: "https://example.com/b.png" } },
          ],
        },
        { role: "assistant", content: [{ type: "text", text: "Two cats." }] },
      ],
    };
    const expected = 2 * 3 + o200k("user") + o200k("What is this?") + 2 * 85 + o200k("assistant") + o200k("Two cats.") + 3;
    expect(countExampleTokens(ex, "chat", countO)).toBe(expected);
  });

  it("DPO counts input, preferred and non-preferred messages once each", () => {
    const ex = {
      input: { messages: [{ role: "user", content: "Say hi" }] },
      preferred_output: [{ role: "assistant", content: "Hi!" }],
      non_preferred_output: [{ role: "assistant", content: "No." }],
    };
    const expected = 3 * 3 + o200k("user") + o200k("Say hi") + 2 * o200k("assistant") + o200k("Hi!") + o200k("No.") + 3;
    expect(countExampleTokens(ex, "dpo", countO)).toBe(expected);
  });

  it("prompt/completion is the tokens of both strings", () => {
    const ex = { prompt: "Translate: cat ->", completion: " chat\n" };
    expect(countExampleTokens(ex, "prompt_completion", countC)).toBe(cl100k("Translate: cat ->") + cl100k(" chat\n"));
  });

  it("counts special-token text as ordinary text instead of throwing", () => {
    expect(countO("<|endoftext|>")).toBe(o200k("<|endoftext|>"));
    expect(countO("<|endoftext|>")).toBeGreaterThan(1);
  });
});

describe("the model's encoding", () => {
  const text = "Bonjour, ça va ? 日本語のテキストです。";
  const ex = { messages: [{ role: "user", content: text }, { role: "assistant", content: text }] };
  const lines = Array.from({ length: 10 }, () => JSON.stringify(ex)).join("\n");
  const perExample = (count: (s: string) => number) => 2 * 3 + count("user") + count("assistant") + 2 * count(text) + 3;

  it("the two encodings differ on this text", () => {
    expect(o200k(text)).not.toBe(cl100k(text));
  });

  it.each([
    ["gpt-4o-mini-2024-07-18", "o200k_base", o200k],
    ["gpt-4.1", "o200k_base", o200k],
    ["gpt-3.5-turbo", "cl100k_base", cl100k],
    ["gpt-3.5-turbo-0613", "cl100k_base", cl100k],
    ["some-local-model", "o200k_base", o200k],
  ])("%s counts with %s", async (model, encoding, count) => {
    const report = await analyzeDataset({ content: lines }, { model, noCache: true, method: "supervised" });
    expect(report.encoding).toBe(encoding);
    expect(report.tokens).toBe(10 * perExample(count));
  });
});

describe("totals in the report", () => {
  it("tokens sum every valid example; billed tokens cap each example at the limit", async () => {
    const short = JSON.stringify(simple);
    const long = JSON.stringify({ messages: [{ role: "user", content: "word ".repeat(5000) }, { role: "assistant", content: "ok" }] });
    const longTokens = countExampleTokens(JSON.parse(long), "chat", tokenCounter("cl100k_base"));
    expect(longTokens).toBeGreaterThan(4096);
    const content = [long, ...Array.from({ length: 11 }, () => short)].join("\n");
    const shortTokens = countExampleTokens(simple, "chat", tokenCounter("cl100k_base"));
    const report = await analyzeDataset({ content }, { model: "gpt-3.5-turbo-0613", nEpochs: 2, noCache: true });
    expect(report.tokenLimit).toBe(4096);
    expect(report.tokens).toBe(longTokens + 11 * shortTokens);
    expect(report.billedTokens).toBe((4096 + 11 * shortTokens) * 2);
    expect(report.truncatedExamples).toBe(1);
    expect(report.warnings).toContainEqual(expect.objectContaining({ line: 1, code: "example_too_long" }));
    expect(report.errorCount).toBe(0);
  });

  it("invalid lines add no tokens", async () => {
    const lines = [...Array.from({ length: 10 }, () => JSON.stringify(simple)), "{bad json"];
    const report = await analyzeDataset({ content: lines.join("\n") }, { noCache: true });
    expect(report.tokens).toBe(10 * 22);
    expect(report.examples).toBe(11);
  });
});
