// tsc does not copy non-TS files: the model facts JSON and the UI's page (with uPlot, from
// node_modules, so the page fetches nothing from the internet at run time) must ship in dist.
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
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

cpSync("ui/page", "dist/ui/page", { recursive: true });
mkdirSync("dist/ui/page/vendor", { recursive: true });
cpSync("node_modules/uplot/dist/uPlot.iife.min.js", "dist/ui/page/vendor/uPlot.iife.min.js");
cpSync("node_modules/uplot/dist/uPlot.min.css", "dist/ui/page/vendor/uPlot.min.css");
