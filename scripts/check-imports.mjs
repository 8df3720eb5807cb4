#!/usr/bin/env node
// The import rules of .dependency-cruiser.cjs, checked through dependency-cruiser's API: its CLI refuses Node 20,
// which Taskbox supports, while the library itself runs on it. Usage: check-imports.mjs [root]: checks root/src
// (default: this repository's) against this repository's rules.
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { cruise } from "dependency-cruiser";

const repository = resolve(import.meta.dirname, "..");
const root = resolve(process.argv[2] ?? repository);
const require = createRequire(import.meta.url);
const config = require(resolve(repository, ".dependency-cruiser.cjs"));
process.chdir(root);
const { output } = await cruise(["src"], {
  ...config.options,
  validate: true,
  ruleSet: { forbidden: config.forbidden },
});
const violations = output.summary.violations;
for (const { rule, from, to, cycle } of violations) {
  const path = cycle ? cycle.map((step) => step.name ?? step).join(" → ") : to;
  console.error(`${rule.severity} ${rule.name}: ${from} → ${path}`);
}
console.error(`import rules: ${violations.length} violation(s) in ${output.summary.totalCruised} modules`);
process.exitCode = violations.some((violation) => violation.rule.severity === "error") ? 1 : 0;
