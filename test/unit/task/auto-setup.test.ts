import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { detectAutoSetup } from "../../../src/task/auto-setup.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function repo(files: Record<string, string>): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), "auto-setup-"));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const PACKAGE_JSON = '{"name":"demo"}';

describe("detectAutoSetup", () => {
  it.each<[string, Record<string, string>, string, string]>([
    ["npm with a lockfile", { "package-lock.json": "{}" }, "npm (package-lock.json): `npm ci`", "run npm ci"],
    ["npm with a shrinkwrap", { "npm-shrinkwrap.json": "{}" }, "npm (npm-shrinkwrap.json): `npm ci`", "run npm ci"],
    ["npm without a lockfile", {}, "npm (package.json, no lockfile): `npm install`", "run npm install"],
    [
      "pnpm",
      { "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" },
      "pnpm (pnpm-lock.yaml), through corepack: `pnpm install --frozen-lockfile`",
      "run pnpm install --frozen-lockfile",
    ],
    [
      "yarn classic",
      { "yarn.lock": "# yarn lockfile v1\n" },
      "yarn (yarn.lock), through corepack: `yarn install --frozen-lockfile`",
      "run yarn install --frozen-lockfile",
    ],
    [
      "yarn berry by its config file",
      { "yarn.lock": "__metadata:\n", ".yarnrc.yml": "nodeLinker: node-modules\n" },
      "yarn berry (yarn.lock), through corepack: `yarn install --immutable`",
      "run yarn install --immutable",
    ],
  ])("detects %s", async (_name, files, detected, command) => {
    const result = await detectAutoSetup(await repo({ "package.json": PACKAGE_JSON, ...files }));
    expect(result.detected).toStrictEqual([detected]);
    expect(result.script).toContain(`\n${command}\n`);
  });

  it("prefers a lockfile over the declared packageManager, and uses the declared one without a lockfile", async () => {
    const declared = '{"packageManager":"pnpm@9.1.0"}';
    expect((await detectAutoSetup(await repo({ "package.json": declared }))).detected).toStrictEqual([
      "pnpm (package.json packageManager pnpm), through corepack: `pnpm install`",
    ]);
    await rm(dir!, { recursive: true });
    const yarnBerry = '{"packageManager":"yarn@4.5.0"}';
    expect((await detectAutoSetup(await repo({ "package.json": yarnBerry, "yarn.lock": "x" }))).detected[0]).toMatch(
      /^yarn berry/,
    );
  });

  it("makes corepack tools usable by later commands without prompts, pins or network", async () => {
    const { script } = await detectAutoSetup(await repo({ "package.json": PACKAGE_JSON, "pnpm-lock.yaml": "x" }));
    expect(script).toContain(
      "remember 'export COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_ENABLE_AUTO_PIN=0 COREPACK_DEFAULT_TO_LATEST=0'",
    );
    expect(script).toContain(`remember 'export PATH="$HOME/.local/bin:$PATH"'`);
    expect(script).toContain(
      'mkdir -p "$HOME/.local/bin"\nrun corepack enable --install-directory "$HOME/.local/bin" pnpm',
    );
  });

  it.each<[string, Record<string, string>, string[], string]>([
    [
      "pip with requirements.txt",
      { "requirements.txt": "requests\n" },
      ["pip (requirements.txt), in ~/.venv: `pip install -r requirements.txt`"],
      "run pip install -r requirements.txt",
    ],
    [
      "pip with a pyproject.toml project",
      { "pyproject.toml": "[project]\nname = 'x'\n" },
      ["pip (pyproject.toml), in ~/.venv: `pip install -e .`"],
      "run pip install -e .",
    ],
    [
      "pipenv",
      { Pipfile: "[packages]\n", "Pipfile.lock": "{}" },
      ["pipenv (Pipfile.lock), in ~/.venv: `pipenv sync --dev`"],
      "run pipenv sync --dev",
    ],
    [
      "poetry",
      { "pyproject.toml": "[tool.poetry]\nname = 'x'\n", "poetry.lock": "" },
      ["poetry (poetry.lock), in ~/.venv: `poetry install`"],
      "run poetry install --no-interaction",
    ],
  ])(
    "detects %s, installing into ~/.venv that every later shell activates",
    async (_name, files, detected, command) => {
      const { script, detected: found } = await detectAutoSetup(await repo(files));
      expect(found).toStrictEqual(detected);
      expect(script).toContain(
        `[ -d "$HOME/.venv" ] || run python3 -m venv "$HOME/.venv"\nremember '. "$HOME/.venv/bin/activate"'\n`,
      );
      expect(script).toContain(`\n${command}\n`);
    },
  );

  it("ignores a pyproject.toml that only configures tools", async () => {
    const result = await detectAutoSetup(await repo({ "pyproject.toml": "[tool.ruff]\nline-length = 100\n" }));
    expect(result).toStrictEqual({ script: undefined, detected: [], inputs: {} });
  });

  it("sets up several ecosystems in one go and hashes every file it read", async () => {
    const files = { "package.json": PACKAGE_JSON, "package-lock.json": "{}", "requirements.txt": "x\n" };
    const result = await detectAutoSetup(await repo({ ...files, "README.md": "# not an input\n" }));
    expect(result.detected).toHaveLength(2);
    expect(result.script!.startsWith("set -euo pipefail\n")).toBe(true);
    expect(result.script!.indexOf("run npm ci")).toBeLessThan(
      result.script!.indexOf("run pip install -r requirements.txt"),
    );
    expect(result.inputs).toStrictEqual(
      Object.fromEntries(Object.entries(files).map(([path, text]) => [path, sha256(text)])),
    );
  });

  it("finds nothing in a repository without dependency files", async () => {
    expect(await detectAutoSetup(await repo({ "README.md": "# hi\n", "src/index.js": "" }))).toStrictEqual({
      script: undefined,
      detected: [],
      inputs: {},
    });
  });
});
