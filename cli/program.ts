/**
 * The one argument parser behind every `openai-finetune` command (and the standalone emulator).
 * Commands are `commander` subcommands; this module fixes what they share: the exit codes
 * (0 success, 1 a command's own failure, 2 bad usage: anything the parser refuses), help shown
 * after a usage error, and `--version` from package.json.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";

/** Exit status of a command line the parser (or a command, via `usageError`) refused. */
export const USAGE_EXIT = 2;

const PACKAGE_NAME = "pulumi-openai-finetune";

/** The package's version, from its package.json (found upward, so it works from `dist/` and from source). */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && pkg.version) return pkg.version;
    } catch {
      // no (readable) package.json here: keep going up
    }
    if (dirname(dir) === dir) throw new Error(`package.json of ${PACKAGE_NAME} not found above ${from}`);
  }
}

/**
 * A root command with the shared behaviour. Subcommands made with `program.command(name)` inherit
 * it (commander copies the exit and output settings to them).
 */
export function createProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .version(packageVersion(), "-V, --version", "print the package version")
    .helpOption("-h, --help", "this help")
    .showHelpAfterError("(run with --help for the usage)")
    .exitOverride();
}

/**
 * Parses `argv` (without node and the script) and runs the chosen action. Resolves to the exit
 * status; an action reports failure by setting `process.exitCode` or throwing.
 */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT;
    throw err;
  }
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}

/** Refuses the command line from inside an action (same message format and exit status as the parser's). */
export function usageError(command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: USAGE_EXIT, code: "openai-finetune.usage" });
}

/** An option-value parser for a number checked by `accept` (which returns the problem, or null). */
export function numberOption(accept: (n: number) => string | null): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    const problem = raw.trim() === "" || !Number.isFinite(n) ? "must be a number" : accept(n);
    if (problem) throw new InvalidArgumentError(problem);
    return n;
  };
}

