/**
 * An earlier release of the package, packed as its users installed it: built from its git commit (a sha,
 * since tags may not travel with a clone), cached by sha in the temp dir so reruns are fast.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../scripts/pulumi-env";

/** v0.1.0 (`git rev-parse v0.1.0`): the first release, whose state carries no schema version. */
export const V0_1_0 = "843be0e66691e6ee11fdac548c8e7ac105d342dc";
/** v0.2.0 (`git rev-parse v0.2.0`): named connections, Azure, ModelDeployment, ModelEvaluation; versioned state. */
export const V0_2_0 = "532baadf5033692f45d6b8f51a69217ad9ac7f2a";

/** The packed tarball of the release at `commit`: `git archive`, `npm ci` (which builds it), `npm pack`. */
export function releaseTarball(commit: string): string {
  const cached = join(tmpdir(), `ft-release-${commit}.tgz`);
  if (existsSync(cached)) return cached;
  const lock = `${cached}.lock`;
  for (const deadline = Date.now() + 900_000; ; ) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`waited 15 minutes for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    if (!existsSync(cached)) build(commit, cached);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return cached;
}

function build(commit: string, destination: string): void {
  const dir = mkdtempSync(join(tmpdir(), `ft-release-src-${commit.slice(0, 8)}-`));
  try {
    execFileSync("sh", ["-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", ROOT, commit, dir], { stdio: ["ignore", "pipe", "inherit"] });
    const quiet = { cwd: dir, stdio: ["ignore", "pipe", "pipe"] as ("ignore" | "pipe")[] };
    // `npm ci` runs the release's own `prepare` (its build).
    execFileSync("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], quiet);
    execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", dir], quiet);
    const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new Error(`npm pack of ${commit} made no tarball`);
    copyFileSync(join(dir, tgz), `${destination}.tmp`);
    execFileSync("mv", [`${destination}.tmp`, destination]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
