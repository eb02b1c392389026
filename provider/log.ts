/**
 * Messages from inside the provider process: the Pulumi CLI shows them during `up` and `preview`.
 * Everything passes through `redact`, so not even a message built from an API error can carry the key.
 */
import * as pulumi from "@pulumi/pulumi";
import { redact } from "./client";

export function info(message: string): void {
  void pulumi.log.info(redact(message));
}

export function warn(message: string): void {
  void pulumi.log.warn(redact(message));
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
