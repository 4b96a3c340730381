// Bundles the tool prelude (src/prelude.js: defineTool, zod and the host glue) into
// one minified IIFE that the airlock-jsd helper evaluates in each fresh context.
//   node build.mjs OUTFILE
// Run by CMake after `npm ci`; nothing here runs when the app runs.
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = process.argv[2];
if (!outfile) {
  console.error("usage: node build.mjs OUTFILE");
  process.exit(2);
}

// zod's classic entry re-exports every locale; tools need English only.
const englishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /locales\/index\.js$/ }, () => ({
      path: path.join(here, "src", "locales-en-only.js"),
    }));
  },
};

await esbuild.build({
  entryPoints: [path.join(here, "src", "prelude.js")],
  outfile,
  bundle: true,
  format: "iife",
  target: "chrome102", // V8 10.2, as shipped in Debian's libnode
  minify: true,
  legalComments: "none",
  treeShaking: true,
  nodePaths: [process.env.AIRLOCK_NODE_MODULES || path.join(here, "node_modules")],
  plugins: [englishOnly],
  logLevel: "warning",
});
