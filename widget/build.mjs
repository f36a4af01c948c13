// Builds dist/widget.js (minified, with a source map) and the agents' console
// (bot/console/dist/console.js), and reports the widget's gzipped size, failing when it
// passes the budget the README promises.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET_GZIP_BYTES = 40 * 1024;

await build({
  entryPoints: ["src/index.ts"],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "iife",
  target: ["es2020"],
  outfile: "dist/widget.js",
  legalComments: "eof",
  logLevel: "warning",
});

// The agents' console (bot/console/src) shares this toolchain and node_modules.
await build({
  entryPoints: ["../bot/console/src/main.ts"],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "iife",
  target: ["es2020"],
  outfile: "../bot/console/dist/console.js",
  nodePaths: ["node_modules"],
  legalComments: "eof",
  logLevel: "warning",
});

const bundle = readFileSync("dist/widget.js");
const gzipped = gzipSync(bundle, { level: 9 }).length;
const kb = (bytes) => (bytes / 1024).toFixed(1);
console.log(`widget/dist/widget.js: ${kb(bundle.length)} kB, ${kb(gzipped)} kB gzipped`);
if (gzipped > BUDGET_GZIP_BYTES) {
  console.error(`The widget is over its budget of ${kb(BUDGET_GZIP_BYTES)} kB gzipped.`);
  process.exit(1);
}
