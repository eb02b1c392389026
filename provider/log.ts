/**
 * Messages from inside the provider process: the Pulumi CLI shows them during `up` and `preview`.
 * Everything passes through `redact`, so not even a message built from an API error can carry the key.
 */
import * as pulumi from "@pulumi/pulumi";
import { redact } from "./client";

export function info(message: string): void {
  void pulumi.log.info(redact(message));
}

/** A message said at most once per provider process (one Pulumi operation), whatever asks for it again. */
function once(say: (text: string) => Promise<void>): (message: string) => void {
  const said = new Set<string>();
  return (message) => {
    const text = redact(message);
    if (said.has(text)) return;
    said.add(text);
    void say(text);
  };
}

/**
 * Warnings are said once: a replacement is checked twice by the engine (once against the old state,
 * once as a new resource), and the same words twice are noise.
 */
export const warn = once((text) => pulumi.log.warn(text));

/** For what check() reports (the estimate), which the engine may ask for twice. */
export const infoOnce = once((text) => pulumi.log.info(text));

/** Calls `report` at most once per `everyMs`, for progress that would otherwise flood the log. */
export function throttled<A extends unknown[]>(everyMs: number, report: (...args: A) => void): (...args: A) => void {
  let last = 0;
  return (...args: A) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    report(...args);
  };
}
