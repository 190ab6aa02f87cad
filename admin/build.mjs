// Bundles the admin SPA into admin/dist: content-hashed files under assets/ and an index.html that names
// them (the API host serves both at /admin, see api/Platform/Hosting/AdminApp.cs). Run by `./build.sh admin`.
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "dist");
const dev = process.argv.includes("--dev");

await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, "assets"), { recursive: true });

const result = await build({
  entryPoints: [path.join(here, "src", "main.tsx")],
  bundle: true,
  outdir: path.join(dist, "assets"),
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "[name]-[hash]",
  format: "esm",
  splitting: true,
  minify: !dev,
  sourcemap: dev ? "inline" : false,
  target: ["es2022"],
  jsx: "automatic",
  metafile: true,
  define: { "process.env.NODE_ENV": JSON.stringify(dev ? "development" : "production") },
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([, o]) => o.entryPoint)?.[0];
const css = outputs.filter(([file]) => file.endsWith(".css")).map(([file]) => file);
const url = (file) => "/admin/assets/" + path.basename(file);
const template = await readFile(path.join(here, "index.html"), "utf8");
const html = template
  .replace("<!--styles-->", css.map((f) => `<link rel="stylesheet" href="${url(f)}">`).join("\n"))
  .replace("<!--scripts-->", `<script type="module" src="${url(entry)}"></script>`);
await writeFile(path.join(dist, "index.html"), html);

// First load: index.html, the entry, the chunks it imports statically and its CSS (lazy chunks excluded).
const firstLoad = new Set([entry, ...css]);
for (const file of firstLoad) {
  for (const imported of result.metafile.outputs[file]?.imports ?? []) {
    if (imported.kind === "import-statement") firstLoad.add(imported.path);
  }
}
const gz = async (file) => gzipSync(await readFile(path.resolve(file))).length;
let total = gzipSync(html).length;
for (const file of firstLoad) total += await gz(file);
let all = 0;
for (const [file] of outputs) all += await gz(file);
const kb = (n) => (n / 1024).toFixed(1) + " KiB";
console.log(`admin: bundled into ${path.relative(process.cwd(), dist) || dist}: first load ${kb(total)} gzip (${firstLoad.size} files + index.html), all files ${kb(all)} gzip`);
