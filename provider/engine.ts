/**
 * Whether the Pulumi engine that started this provider process is still there. A CI job killed with
 * SIGKILL leaves the provider orphaned (plugins run in their own process group); kept alive, it would
 * poll the API for hours, and the dynamic-provider host spins at full CPU on its first write to the
 * dead engine's pipe (EPIPE, reported as an uncaught error, written to the same pipe, …).
 */
import { readFileSync } from "node:fs";

function parentPid(pid: number | "self"): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function commandName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** The nearest ancestor named `pulumi` (the CLI runs the engine), found once; undefined off Linux. */
function findEngine(): number | undefined {
  let pid = parentPid("self");
  for (let depth = 0; pid !== undefined && pid > 1 && depth < 8; depth++) {
    if (commandName(pid) === "pulumi") return pid;
    pid = parentPid(pid);
  }
  return undefined;
}

const engine = findEngine();

export function engineGone(): boolean {
  if (engine === undefined) return false;
  try {
    process.kill(engine, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

let watching = false;

/**
 * Exits the provider process once its engine is gone: nobody can receive its results any more, and
 * what it was doing is safe to drop (a job keeps training and the next `up` adopts it; an upload is
 * found by its name or made again).
 */
export function exitWhenEngineGone(everyMs = 2_000): void {
  if (watching || engine === undefined) return;
  watching = true;
  setInterval(() => {
    if (engineGone()) process.exit(1);
  }, everyMs).unref();
}
