/**
 * Messages from inside the provider process: the Pulumi CLI shows them during `up` and `preview`.
 * Everything passes through `redact`, so not even a message built from an API error can carry the key.
 */
import * as pulumi from "@pulumi/pulumi";
import { redact } from "./client";

export function info(message: string): void {
  void pulumi.log.info(redact(message));
}

/**
 * Warnings are said once per provider process (one Pulumi operation): a replacement is checked twice by
 * the engine (once against the old state, once as a new resource), and the same words twice are noise.
 */
const warned = new Set<string>();

export function warn(message: string): void {
  const text = redact(message);
  if (warned.has(text)) return;
  warned.add(text);
  void pulumi.log.warn(text);
}

/** An info line said at most once per operation, for what check() reports and the engine may check twice (the estimate). */
const told = new Set<string>();

export function infoOnce(message: string): void {
  const text = redact(message);
  if (told.has(text)) return;
  told.add(text);
  void pulumi.log.info(text);
}

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
