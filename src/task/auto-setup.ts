import { createHash } from "node:crypto";
import { readCheckoutFile } from "../git/read-checkout-file.js";

/** What automatic setup found in the repository's root and the script that installs it. */
export interface AutoSetup {
  /** undefined: nothing to install was found. */
  script: string | undefined;
  /** One line per ecosystem, e.g. "npm (package-lock.json): `npm ci`". */
  detected: string[];
  /** path → sha256 of every file the choice and the install depend on, so a changed lockfile means a fresh setup. */
  inputs: Record<string, string>;
}

interface Step {
  what: string;
  commands: string[];
}

/**
 * Lines that make what setup installed usable by every later command: setup runs in its own shell, so only what it
 * writes to ~/.bashrc reaches the agent. Corepack must neither prompt, nor pin `packageManager` into package.json (that
 * would show up in the pull request), nor look for a newer version once the network is gone.
 */
const COREPACK_ENV = "export COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_ENABLE_AUTO_PIN=0 COREPACK_DEFAULT_TO_LATEST=0";
const LOCAL_BIN_PATH = 'export PATH="$HOME/.local/bin:$PATH"';
const VENV_ACTIVATE = '. "$HOME/.venv/bin/activate"';

const PRELUDE = [
  "set -euo pipefail",
  `remember() { grep -qxF "$1" ~/.bashrc 2>/dev/null || printf '%s\\n' "$1" >> ~/.bashrc; eval "$1"; }`,
  `run() { printf '$ %s\\n' "$*"; "$@"; }`,
];

/**
 * Detects the package managers of the repository root (the checkout at dir) the way their lockfiles say, and returns
 * a setup script for them. JavaScript: pnpm, yarn (classic or berry) and npm, through corepack where the image's Node
 * does not ship the tool. Python: pipenv, poetry, pip with requirements.txt and pyproject.toml, into ~/.venv, which
 * every later shell activates.
 */
export async function detectAutoSetup(dir: string): Promise<AutoSetup> {
  const inputs: Record<string, string> = {};
  const read = async (path: string): Promise<string | undefined> => {
    const content = await readCheckoutFile(dir, path);
    if (content === undefined) return undefined;
    inputs[path] = createHash("sha256").update(content).digest("hex");
    return content.toString("utf8");
  };
  const steps = [...(await javascriptSteps(read)), ...(await pythonSteps(read))];
  if (steps.length === 0) return { script: undefined, detected: [], inputs: {} };
  const script = [...PRELUDE, ...steps.flatMap((step) => step.commands)].join("\n") + "\n";
  return { script, detected: steps.map((step) => step.what), inputs };
}

type Reader = (path: string) => Promise<string | undefined>;

async function javascriptSteps(read: Reader): Promise<Step[]> {
  const manifest = await read("package.json");
  if (manifest === undefined) return [];
  const declared = packageManagerOf(manifest);
  const [pnpmLock, yarnLock, npmLock, shrinkwrap, yarnrc] = await Promise.all([
    read("pnpm-lock.yaml"),
    read("yarn.lock"),
    read("package-lock.json"),
    read("npm-shrinkwrap.json"),
    read(".yarnrc.yml"),
  ]);
  const lockfile =
    pnpmLock !== undefined
      ? "pnpm-lock.yaml"
      : yarnLock !== undefined
        ? "yarn.lock"
        : npmLock !== undefined
          ? "package-lock.json"
          : shrinkwrap !== undefined
            ? "npm-shrinkwrap.json"
            : undefined;
  const manager =
    lockfile === "pnpm-lock.yaml"
      ? "pnpm"
      : lockfile === "yarn.lock"
        ? "yarn"
        : lockfile
          ? "npm"
          : (declared?.name ?? "npm");
  const source = lockfile ?? (declared ? `package.json packageManager ${declared.name}` : "package.json, no lockfile");

  if (manager === "npm") {
    const install = lockfile ? "npm ci" : "npm install";
    return [{ what: `npm (${source}): \`${install}\``, commands: [`run ${install}`] }];
  }
  // Yarn 2+ ("berry") is told apart from classic by its config file or the declared version.
  const berry =
    manager === "yarn" && (yarnrc !== undefined || (declared?.name === "yarn" && Number(declared.major) >= 2));
  const install =
    manager === "pnpm"
      ? `pnpm install${lockfile ? " --frozen-lockfile" : ""}`
      : `yarn install${lockfile ? (berry ? " --immutable" : " --frozen-lockfile") : ""}`;
  return [
    {
      what: `${berry ? "yarn berry" : manager} (${source}), through corepack: \`${install}\``,
      commands: [
        `remember '${COREPACK_ENV}'`,
        `remember '${LOCAL_BIN_PATH}'`,
        'mkdir -p "$HOME/.local/bin"',
        `run corepack enable --install-directory "$HOME/.local/bin" ${manager}`,
        `run ${install}`,
      ],
    },
  ];
}

function packageManagerOf(manifest: string): { name: string; major: string } | undefined {
  try {
    const field = (JSON.parse(manifest) as { packageManager?: unknown }).packageManager;
    const match = typeof field === "string" ? /^(npm|pnpm|yarn)@(\d+)/.exec(field) : null;
    return match ? { name: match[1]!, major: match[2]! } : undefined;
  } catch {
    return undefined;
  }
}

async function pythonSteps(read: Reader): Promise<Step[]> {
  const [pipfile, pipfileLock, poetryLock, pyproject, requirements] = await Promise.all([
    read("Pipfile"),
    read("Pipfile.lock"),
    read("poetry.lock"),
    read("pyproject.toml"),
    read("requirements.txt"),
  ]);
  const steps: Step[] = [];
  if (pipfile !== undefined || pipfileLock !== undefined) {
    const install = pipfileLock !== undefined ? "pipenv sync --dev" : "pipenv install --dev";
    steps.push({
      what: `pipenv (${pipfileLock !== undefined ? "Pipfile.lock" : "Pipfile"}), in ~/.venv: \`${install}\``,
      commands: ["run pip install pipenv", `run ${install}`],
    });
  } else if (poetryLock !== undefined || /^\[tool\.poetry\]/m.test(pyproject ?? "")) {
    steps.push({
      what: `poetry (${poetryLock !== undefined ? "poetry.lock" : "pyproject.toml"}), in ~/.venv: \`poetry install\``,
      commands: ["run pip install poetry", "run poetry install --no-interaction"],
    });
  } else {
    if (requirements !== undefined) {
      steps.push({
        what: "pip (requirements.txt), in ~/.venv: `pip install -r requirements.txt`",
        commands: ["run pip install -r requirements.txt"],
      });
    }
    // A pyproject.toml that only configures tools (ruff, black) describes nothing to install.
    if (pyproject !== undefined && /^\[(project|build-system)\]/m.test(pyproject)) {
      steps.push({ what: "pip (pyproject.toml), in ~/.venv: `pip install -e .`", commands: ["run pip install -e ."] });
    }
  }
  if (steps.length === 0) return [];
  // One virtual environment outside the workspace (so it never lands in a pull request), active in every later shell;
  // pipenv and poetry install into the active one.
  const venv = [`[ -d "$HOME/.venv" ] || run python3 -m venv "$HOME/.venv"`, `remember '${VENV_ACTIVATE}'`];
  return [{ ...steps[0]!, commands: [...venv, ...steps[0]!.commands] }, ...steps.slice(1)];
}
