// The Node version check of `npm start`, `npm test` and `taskbox doctor`. Plain JavaScript without dependencies: it
// runs before `npm ci`, on whatever Node the machine has.
import { readFileSync } from "node:fs";

/** The Node version package.json's engines.node (">=X.Y.Z") asks for. */
export function requiredNodeVersion() {
  const { engines } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  const match = /^>=\s*(\d+\.\d+\.\d+)$/.exec(engines.node);
  if (!match) throw new Error(`package.json engines.node must read ">=X.Y.Z", not ${engines.node}`);
  return match[1];
}

/** Why this Node cannot run Taskbox, or undefined when it can. */
export function nodeVersionProblem(version = process.versions.node) {
  const required = requiredNodeVersion();
  const want = required.split(".").map(Number);
  const have = version.split(".").map(Number);
  const order = have.map((part, index) => part - want[index]).find((difference) => difference !== 0) ?? 0;
  if (order >= 0) return undefined;
  return `Node ${version} is too old: Taskbox needs Node ${required} or newer (Node 20 LTS or later, https://nodejs.org/en/download)`;
}
