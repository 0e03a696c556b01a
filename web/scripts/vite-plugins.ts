// Build steps of our own (no dependency needed for either):
// - `precompress`: writes `x.br` and `x.gz` beside every text file of the build, which the
//   server sends to browsers that accept them (src/http/static_ui.rs);
// - `preloadLazyChunk`: a `<link rel="modulepreload">` for the lazily loaded markdown
//   renderer, so it downloads alongside the app instead of after it.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import type { Plugin } from "vite";

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|map)$/;
/** Below this a compressed copy saves too little to be worth a second request path. */
const MIN_BYTES = 1024;

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) yield* files(file);
    else yield file;
  }
}

export function precompress(): Plugin {
  let outDir = "dist";
  return {
    name: "csp-precompress",
    apply: "build",
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      for (const file of files(outDir)) {
        if (!COMPRESSIBLE.test(file)) continue;
        const data = readFileSync(file);
        if (data.length < MIN_BYTES) continue;
        const br = brotliCompressSync(data, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
            [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
          },
        });
        const gz = gzipSync(data, { level: 9 });
        // Only where it is smaller: the server sends the plain file otherwise.
        if (br.length < data.length) writeFileSync(`${file}.br`, br);
        if (gz.length < data.length) writeFileSync(`${file}.gz`, gz);
      }
    },
  };
}

/** Adds a modulepreload link for the dynamic chunk whose entry module ends with `moduleSuffix`. */
export function preloadLazyChunk(moduleSuffix: string): Plugin {
  return {
    name: "csp-preload-lazy-chunk",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find(
          (c) => c.type === "chunk" && c.isDynamicEntry && !!c.facadeModuleId?.endsWith(moduleSuffix),
        );
        if (!chunk) throw new Error(`no lazily loaded chunk for ${moduleSuffix}: was it renamed?`);
        // Low priority: the app itself comes first; this one is needed once a reply shows.
        return [
          {
            tag: "link",
            attrs: { rel: "modulepreload", href: `/${chunk.fileName}`, crossorigin: "", fetchpriority: "low" },
            injectTo: "head",
          },
        ];
      },
    },
  };
}
