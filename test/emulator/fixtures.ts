/** Training data and polling helpers shared by the emulator tests. */
import { toFile } from "openai";
import type OpenAI from "openai";

const COLORS = ["red", "green", "blue", "yellow", "purple", "orange", "black", "white", "silver", "golden", "pink", "brown"];
const THINGS = ["apple", "sky", "grass", "banana", "plum", "carrot", "coal", "snow", "spoon", "crown", "flamingo", "bear"];

/** Chat examples: "What colour is the <thing>?" -> "The <thing> is <colour>." (distinct per example). */
export function chatExamples(n: number, opts: { system?: boolean } = {}): object[] {
  const out: object[] = [];
  for (let i = 0; i < n; i++) {
    const thing = `${THINGS[i % THINGS.length]}${i >= THINGS.length ? ` number ${i}` : ""}`;
    const colour = COLORS[(i * 5) % COLORS.length];
    const messages = [
      ...(opts.system === false ? [] : [{ role: "system", content: "You answer questions about colours." }]),
      { role: "user", content: `What colour is the ${thing}?` },
      { role: "assistant", content: `The ${thing} is ${colour}.` },
    ];
    out.push({ messages });
  }
  return out;
}

export function dpoExamples(n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({
    input: { messages: [{ role: "user", content: `Say hello number ${i}` }] },
    preferred_output: [{ role: "assistant", content: `Hello number ${i}!` }],
    non_preferred_output: [{ role: "assistant", content: `Go away ${i}.` }],
  }));
}

export const jsonl = (lines: (object | string)[]): string =>
  lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n";

export async function uploadJsonl(client: OpenAI, lines: (object | string)[], name = "train.jsonl") {
  return client.files.create({ file: await toFile(Buffer.from(jsonl(lines)), name), purpose: "fine-tune" });
}

export { sleep, waitFor, waitForJob } from "../helpers/wait";

/** A small deterministic PRNG: the emulator's own (mulberry32). */
export { seededRandom as prng } from "../../emulator/random";
