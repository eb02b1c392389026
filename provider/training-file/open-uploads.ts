/**
 * Uploads this machine opened and did not finish, by upload name. The Uploads API cannot list
 * uploads, so one left pending by a run killed between creating it and completing it would hold
 * its parts until it expires (an hour); the next upload of the same name cancels it first.
 * Kept beside the dataset cache (OPENAI_FINETUNE_CACHE_DIR), one small JSON file per name.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { defaultCacheDir } from "../dataset/cache";
import { info } from "../log";

function journalOf(name: string): string {
  return join(defaultCacheDir(), "open-uploads", `${createHash("sha256").update(name).digest("hex").slice(0, 32)}.json`);
}

function openIds(name: string): string[] {
  try {
    return (JSON.parse(readFileSync(journalOf(name), "utf8")) as { ids: string[] }).ids;
  } catch {
    return [];
  }
}

function writeIds(name: string, ids: string[]): void {
  const file = journalOf(name);
  if (ids.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, JSON.stringify({ name, ids }));
}

export function rememberOpenUpload(name: string, id: string): void {
  writeIds(name, [...openIds(name).filter((x) => x !== id), id]);
}

export function forgetOpenUpload(name: string, id: string): void {
  writeIds(name, openIds(name).filter((x) => x !== id));
}

/**
 * Cancels the uploads of this name an earlier run left open. One already completed, cancelled or
 * expired answers 400/404 and is simply forgotten; one the API could not be asked about stays listed.
 */
export async function cancelStaleUploads(client: OpenAI, name: string): Promise<void> {
  for (const id of openIds(name)) {
    try {
      await client.uploads.cancel(id);
      info(`cancelled upload ${id} of ${name}, left open by an interrupted run`);
    } catch (err) {
      if (!(err instanceof OpenAI.BadRequestError || err instanceof OpenAI.NotFoundError)) continue;
    }
    forgetOpenUpload(name, id);
  }
}
