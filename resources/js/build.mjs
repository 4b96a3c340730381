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

// `import * as z from "zod"` would make esbuild build namespace objects for zod
// and every namespace it re-exports (core alone has ~300 members), one getter per
// member, in every fresh context: about 40% of the prelude's start-up. Instead a
// generated module imports zod's classic members by name and exports them as one
// plain object; of the nested namespaces it keeps the small ones tools use
// (coerce, iso, regexes) and leaves out core, util and locales.
const zod = await import("zod");
const SKIP = new Set(["default", "z", "core", "util", "locales"]);
const members = Object.keys(zod).filter((k) => !SKIP.has(k) && /^[A-Za-z_$][\w$]*$/.test(k));
const flatZod = {
  name: "zod-flat",
  setup(build) {
    build.onResolve({ filter: /^airlock:zod-flat$/ }, () => ({ path: "zod-flat", namespace: "airlock" }));
    build.onLoad({ filter: /.*/, namespace: "airlock" }, () => ({
      // Aliased, since some members are reserved words (enum, function, null…).
      contents:
        `import { ${members.map((m, i) => `${m} as m${i}`).join(", ")} } from "zod";\n` +
        `export const z = { ${members.map((m, i) => `${JSON.stringify(m)}: m${i}`).join(", ")} };\n`,
      resolveDir: here,
      loader: "js",
    }));
  },
};

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
  // Strict throughout (zod is strict already, as a module): a tool cannot reach the
  // prelude's functions through fn.caller or stack-trace call sites.
  banner: { js: '"use strict";' },
  treeShaking: true,
  nodePaths: [process.env.AIRLOCK_NODE_MODULES || path.join(here, "node_modules")],
  plugins: [flatZod, englishOnly],
  logLevel: "warning",
});
