/** Method + path-template routing; templates like `/v1/files/{id}` double as the request-count keys. */
import type { App } from "./app";
import type { Ctx } from "./http";
import { badRequest } from "./errors";

export type Handler = (ctx: Ctx, app: App) => Promise<unknown> | unknown;

interface Route {
  method: string;
  pattern: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
}

export interface Match {
  pattern: string;
  params: Record<string, string>;
  handler: Handler;
}

export class Router {
  private routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const source = pattern
      .split("/")
      .map((seg) => {
        const m = /^\{(\w+)\}$/.exec(seg);
        if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        keys.push(m[1]!);
        return "([^/]+)";
      })
      .join("/");
    this.routes.push({ method, pattern, re: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  match(method: string, path: string): Match | null {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => {
        try {
          params[k] = decodeURIComponent(m[i + 1]!);
        } catch {
          throw badRequest(`Invalid percent-encoding in the URL path parameter '${k}'.`, k, "invalid_value");
        }
      });
      return { pattern: r.pattern, params, handler: r.handler };
    }
    return null;
  }
}
