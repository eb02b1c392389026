/**
 * On-disk cache of analysis results, keyed by the content hash and what the analysis depended
 * on (format rules, encoding, token limit, analyzer code). It lives outside the repository, in
 * the user's cache directory, so re-checking an unchanged large dataset costs only its hash.
 * Cache failures never fail an analysis: a broken or unwritable cache is a miss.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Entries kept; the oldest are removed beyond this. */
const MAX_ENTRIES = 2000;

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPENAI_FINETUNE_CACHE_DIR) return env.OPENAI_FINETUNE_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "pulumi-openai-finetune");
}

let version: string | undefined;
/**
 * A hash of this module's own code (the .js files in dist, or the .ts sources under ts-jest), so
 * a changed analyzer never reads results an older one wrote.
 */
export function analyzerVersion(): string {
  if (version) return version;
  const h = createHash("sha256");
  try {
    const files = readdirSync(__dirname)
      .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith(".d.ts"))
      .sort();
    for (const f of files) {
      h.update(f);
      h.update(readFileSync(join(__dirname, f)));
    }
  } catch {
    h.update("unknown");
  }
  version = h.digest("hex").slice(0, 16);
  return version;
}

export function cacheKey(parts: Record<string, unknown>): string {
  return createHash("sha256")
    .update(JSON.stringify({ layout: 2, v: analyzerVersion(), ...parts }))
    .digest("hex");
}

/** Versioned: entries of an earlier layout (per-model passes) are never misread as scans. */
const ENTRIES = "datasets-v2";

function entryPath(dir: string, key: string): string {
  return join(dir, ENTRIES, `${key}.json`);
}

export function readCache<T>(dir: string, key: string): T | undefined {
  try {
    return JSON.parse(readFileSync(entryPath(dir, key), "utf8")) as T;
  } catch {
    return undefined;
  }
}

export function writeCache(dir: string, key: string, value: unknown): void {
  try {
    const folder = join(dir, ENTRIES);
    mkdirSync(folder, { recursive: true });
    const path = entryPath(dir, key);
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, path);
    prune(folder);
  } catch {
    // A read-only or full disk only costs the next check its speed.
  }
}

function prune(folder: string): void {
  const names = readdirSync(folder).filter((n) => n.endsWith(".json"));
  if (names.length <= MAX_ENTRIES) return;
  const entries = names
    .map((n) => {
      try {
        return { n, t: statSync(join(folder, n)).mtimeMs };
      } catch {
        return { n, t: 0 };
      }
    })
    .sort((a, b) => a.t - b.t);
  for (const e of entries.slice(0, entries.length - MAX_ENTRIES)) {
    try {
      unlinkSync(join(folder, e.n));
    } catch {
      /* raced with another process */
    }
  }
}
