/**
 * Each provider error shown once. The dynamic-provider host logs what check, diff, read and delete
 * throw to stderr (`${err}: ${err.stack}`) and also returns it to the engine, which shows it: the same
 * error twice, the second time with a stack trace of this package's internals. Create and update do
 * not log. Errors thrown by these methods are recognised and that extra log line is dropped; anything
 * else written to stderr passes.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";

const thrown = new Set<string>();
let installed = false;

function installFilter(): void {
  if (installed) return;
  installed = true;
  const original = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    if (args.length === 1 && typeof args[0] === "string" && thrown.delete(args[0])) return;
    original(...args);
  };
}

function marked<A extends unknown[], R>(method: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await method(...args);
    } catch (err) {
      // Exactly the text the host would log, so only that line is dropped.
      thrown.add(`${err}: ${(err as Error | undefined)?.stack}`);
      throw err;
    }
  };
}

export function reportedOnce(provider: Required<dynamic.ResourceProvider>): Required<dynamic.ResourceProvider> {
  installFilter();
  return { ...provider, check: marked(provider.check), diff: marked(provider.diff), read: marked(provider.read), delete: marked(provider.delete) };
}
