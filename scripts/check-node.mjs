// Stops `npm start`, `npm test` and CI with a plain message on a Node older than package.json's engines.node, before
// anything runs into syntax or APIs it lacks.
import { nodeVersionProblem } from "../src/cli/node-version.mjs";

const problem = nodeVersionProblem();
if (problem) {
  console.error(`[taskbox] ${problem}.`);
  process.exit(1);
}
