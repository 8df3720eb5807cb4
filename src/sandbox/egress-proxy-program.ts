import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

/**
 * The proxy's program as one module for `node -e` (the container has no node_modules): ipaddr.js's CommonJS file
 * wrapped to give its exports, then the checks and the server with the import lines between them dropped.
 */
export async function bundleProxyProgram(): Promise<string> {
  const read = (url: URL | string) => readFile(url, "utf8");
  const [ipaddrSource, checks, server] = await Promise.all([
    read(createRequire(import.meta.url).resolve("ipaddr.js")),
    read(new URL("./egress-proxy-checks.mjs", import.meta.url)),
    read(new URL("./egress-proxy-server.mjs", import.meta.url)),
  ]);
  const dropImports = (source: string) =>
    source.replace(/^import [^;]*? from "(?:ipaddr\.js|\.\/egress-proxy-checks\.mjs)";\n/gm, "");
  return [
    `const ipaddr = (() => { const module = { exports: {} };\n${ipaddrSource}\nreturn module.exports; })();`,
    dropImports(checks).replace(/^export /gm, ""),
    dropImports(server),
  ].join("\n");
}
