// Fails with a plain message when this Node is older than package.json's engines.node (">=X.Y.Z"), before anything
// else runs into syntax or APIs it lacks. Kept free of dependencies: it runs before `npm ci`.
import { readFileSync } from "node:fs";

const { engines } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const required = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(engines.node);
if (!required) throw new Error(`package.json engines.node must read ">=X.Y.Z", not ${engines.node}`);
const want = required.slice(1).map(Number);
const have = process.versions.node.split(".").map(Number);
const order = have.map((part, index) => part - want[index]).find((difference) => difference !== 0) ?? 0;
if (order < 0) {
  console.error(
    `[taskbox] Node ${process.versions.node} is too old: Taskbox needs Node ${want.join(".")} or newer ` +
      "(Node 20 LTS or later: https://nodejs.org/en/download).",
  );
  process.exit(1);
}
