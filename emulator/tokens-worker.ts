/** Worker side of tokens.ts: loads a tokenizer on first use and answers count requests. */
import { parentPort } from "node:worker_threads";
import type { CountRequest, CountResult } from "./tokens";

type Encoder = { encode: (s: string) => number[]; decode: (t: number[]) => string };
const encoders = new Map<string, Encoder>();

function encoder(name: string): Encoder {
  let enc = encoders.get(name);
  if (!enc) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    enc = require(`gpt-tokenizer/encoding/${name}`) as Encoder;
    encoders.set(name, enc);
  }
  return enc;
}

parentPort!.on("message", (msg: CountRequest & { id: number }) => {
  try {
    const enc = encoder(msg.encoding);
    const result: CountResult = { counts: [] };
    msg.texts.forEach((text, i) => {
      let tokens = enc.encode(text);
      if (i === msg.texts.length - 1 && msg.maxLastTokens !== undefined && tokens.length > msg.maxLastTokens) {
        tokens = tokens.slice(0, msg.maxLastTokens);
        result.truncated = enc.decode(tokens);
      }
      result.counts.push(tokens.length);
    });
    parentPort!.postMessage({ id: msg.id, result });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message });
  }
});
