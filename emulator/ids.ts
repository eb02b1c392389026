import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `n` random base62 characters (OpenAI ids are prefix + base62). */
export function randomId(n: number): string {
  const bytes = randomBytes(n);
  let out = "";
  for (let i = 0; i < n; i++) out += ALPHABET[bytes[i]! % 62];
  return out;
}

export const newId = {
  file: () => `file-${randomId(22)}`,
  upload: () => `upload_${randomId(24)}`,
  part: () => `part_${randomId(24)}`,
  job: () => `ftjob-${randomId(24)}`,
  event: () => `ftevent-${randomId(24)}`,
  checkpoint: () => `ftckpt_${randomId(24)}`,
  chat: () => `chatcmpl-${randomId(29)}`,
  request: () => `req_${randomBytes(16).toString("hex")}`,
  modelSuffix: () => randomId(8),
};

export const nowSeconds = (ms: number = Date.now()) => Math.floor(ms / 1000);
