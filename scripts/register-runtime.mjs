// Usage: node scripts/register-runtime.mjs DAEMON_JSON NAME PATH
// Adds an OCI runtime to dockerd's daemon.json, keeping every other setting. gVisor's runsc is registered in host
// network mode: its own netstack refuses Docker's network namespaces on many hosts (docs/operations.md: gVisor).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const [file, name, path] = process.argv.slice(2);
if (!file || !name || !path) {
  console.error("usage: register-runtime.mjs DAEMON_JSON NAME PATH");
  process.exit(2);
}
const config = existsSync(file) ? JSON.parse(readFileSync(file, "utf8") || "{}") : {};
const runtime = { path, ...(name.startsWith("runsc") && { runtimeArgs: ["--network=host"] }) };
config.runtimes = { ...config.runtimes, [name]: runtime };
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
