// tsc does not copy non-TS data files; the model facts JSON must ship in dist.
import { cpSync, existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const roots = ["provider", "emulator", "cli"];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".json")) cpSync(path, join("dist", relative(".", path)));
  }
}
for (const root of roots) if (existsSync(root)) walk(root);
