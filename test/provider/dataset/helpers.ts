import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FIXTURES = join(__dirname, "../../fixtures/datasets");

export interface ManifestEntry {
  file: string;
  code?: string;
  line?: number;
  format?: string;
  examples?: number;
  blankLines?: number[];
  options?: Record<string, unknown>;
}
export interface Manifest {
  valid: Record<string, ManifestEntry>;
  errors: Record<string, ManifestEntry>;
  misc: Record<string, ManifestEntry>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const manifest: Manifest = require(join(FIXTURES, "manifest.json"));

export function fixture(rel: string): string {
  return join(FIXTURES, rel);
}

/** A private cache directory for the test file (never the user's ~/.cache). */
export function useTempCache(): { dir: () => string } {
  let dir = "";
  const prev = process.env.OPENAI_FINETUNE_CACHE_DIR;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "oft-cache-"));
    process.env.OPENAI_FINETUNE_CACHE_DIR = dir;
  });
  afterAll(() => {
    if (prev === undefined) delete process.env.OPENAI_FINETUNE_CACHE_DIR;
    else process.env.OPENAI_FINETUNE_CACHE_DIR = prev;
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir: () => dir };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "oft-ds-"));
}

export const chatLine = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    messages: [
      { role: "system", content: "You are a concise assistant." },
      { role: "user", content: `What is ${i} plus ${i}?` },
      { role: "assistant", content: `${i + i}.` },
    ],
    ...extra,
  });

export const chatLines = (n: number, from = 1) => Array.from({ length: n }, (_, k) => chatLine(k + from));
