/**
 * Import rules for src/ (checked by scripts/check-imports.mjs in `npm run lint`).
 * test/unit/import-rules.test.ts proves that each rule fails on a planted violation.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "no-folder-cycle",
      severity: "error",
      comment:
        "Folders of src/ depend on each other in one direction only; move the shared piece to the folder that owns it.",
      scope: "folder",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "no-module-cycle",
      severity: "error",
      comment: "No module loads itself through others at run time (type-only cycles inside a folder are fine).",
      from: { path: "^src/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "web-not-to-sandbox",
      severity: "error",
      comment: "The web process never touches Docker: sandbox work happens in the worker.",
      from: { path: "^src/web/" },
      to: { path: "^src/sandbox/" },
    },
    {
      name: "sandbox-not-to-github",
      severity: "error",
      comment: "The sandbox knows nothing about GitHub.",
      from: { path: "^src/sandbox/" },
      to: { path: "^src/github/" },
    },
    {
      name: "octokit-only-in-github",
      severity: "error",
      comment: "GitHub side effects live in src/github/; elsewhere pass the client around as a type.",
      from: { path: "^src/", pathNot: "^src/github/" },
      to: { path: "(^|/)node_modules/@octokit/|^@octokit/", dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "types", "default"],
      mainFields: ["module", "main", "types", "typings"],
      extensions: [".ts", ".d.ts", ".js", ".mjs", ".d.mts", ".mts"],
    },
  },
};
