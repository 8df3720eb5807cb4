import { existsSync } from "node:fs";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { FakeComment } from "../../support/fake-github.js";
import { OWNER, REPO, startHarness, waitFor, type Harness } from "../../support/taskbox-harness.js";
import { headlineOf, isFinalStatus } from "../../support/status-comments.js";

const docker = new Docker();
// The registry is reached through this machine's TLS-intercepting proxy, whose CA the sandbox must trust.
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

const PACKAGE_JSON =
  '{\n  "name": "tiny",\n  "version": "1.0.0",\n  "private": true,\n  "dependencies": { "is-number": "7.0.0" }\n}\n';
const PACKAGE_LOCK = JSON.stringify(
  {
    name: "tiny",
    version: "1.0.0",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: "tiny", version: "1.0.0", dependencies: { "is-number": "7.0.0" } },
      "node_modules/is-number": {
        version: "7.0.0",
        resolved: "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz",
        integrity: "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==",
        license: "MIT",
        engines: { node: ">=0.12.0" },
      },
    },
  },
  null,
  2,
);
const PNPM_LOCK = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      is-number:
        specifier: 7.0.0
        version: 7.0.0

packages:

  is-number@7.0.0:
    resolution: {integrity: sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==}
    engines: {node: '>=0.12.0'}

snapshots:

  is-number@7.0.0: {}
`;
// PyPI is out of reach here, so the pip project installs a wheel it carries.
const REQUIREMENTS = "--no-index\n--find-links wheels\ntinylib==0.1\n";

/** A minimal wheel of the package `tinylib` (VALUE = 42), built with the sandbox image's Python. */
async function buildWheel(): Promise<Buffer> {
  const script = [
    "import base64, io, zipfile",
    "files = {'tinylib/__init__.py': 'VALUE = 42\\n',",
    " 'tinylib-0.1.dist-info/METADATA': 'Metadata-Version: 2.1\\nName: tinylib\\nVersion: 0.1\\n',",
    " 'tinylib-0.1.dist-info/WHEEL': 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n'}",
    "files['tinylib-0.1.dist-info/RECORD'] = ''.join(p + ',,\\n' for p in files) + 'tinylib-0.1.dist-info/RECORD,,\\n'",
    "out = io.BytesIO()",
    "with zipfile.ZipFile(out, 'w') as z:",
    "    [z.writestr(p, c) for p, c in files.items()]",
    "print(base64.b64encode(out.getvalue()).decode())",
  ].join("\n");
  const container = await docker.createContainer({
    Image: inject("sandboxImage"),
    Cmd: ["python3", "-c", script],
    Tty: true,
    Labels: { "taskbox.test": "true" },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    await container.wait();
    const logs = await container.logs({ stdout: true, stderr: true });
    return Buffer.from(logs.toString("utf8").trim(), "base64");
  } finally {
    await container.remove({ force: true });
  }
}

function finalStatusOf(harness: Harness, issueNumber: number): Promise<FakeComment> {
  return waitFor(
    "a final status comment",
    () => harness.github.comments.find((c) => c.issueNumber === issueNumber && isFinalStatus(c.body)),
    150_000,
  );
}

describe("automatic setup", () => {
  let harness: Harness;
  let wheel: Buffer;
  const files = () => ({
    "package.json": PACKAGE_JSON,
    "package-lock.json": PACKAGE_LOCK,
    "requirements.txt": REQUIREMENTS,
    "wheels/tinylib-0.1-py3-none-any.whl": wheel,
    ".gitignore": "node_modules/\n",
  });

  beforeAll(async () => {
    expect(existsSync(CA_BUNDLE), `${CA_BUNDLE} is needed to reach the npm registry`).toBe(true);
    wheel = await buildWheel();
    harness = await startHarness({
      files: files(),
      env: { TASKBOX_CA_BUNDLE: CA_BUNDLE },
      script: (request) => {
        const tools = request.messages.filter((m) => m.role === "tool").length;
        const pnpm = String(request.messages[1]!.content).startsWith(`Repository: ${OWNER}/pnpm-demo`);
        const check = pnpm
          ? "pnpm --version; node -e \"console.log(require('is-number')(5))\"; git status --porcelain"
          : "node -e \"console.log(require('is-number')(5))\"; python -c 'import tinylib; print(tinylib.VALUE)'; command -v python; git status --porcelain";
        return tools === 0 ? { shell: check } : { content: "Checked the dependencies." };
      },
    });
  });
  afterAll(async () => harness?.close());

  it("installs an npm project from its lockfile (npm registry) and a pip project, and says what it detected", async () => {
    expect(await harness.comment({ body: "/taskbox check the dependencies", issueNumber: 1 })).toBe(200);
    const status = await finalStatusOf(harness, 1);
    expect(headlineOf(status.body)).toBe("💬 Answered");
    expect(status.body).toContain(
      "Automatic setup (no `environment.setup`) detected and ran: npm (package-lock.json): `npm ci`; " +
        "pip (requirements.txt), in ~/.venv: `pip install -r requirements.txt`.",
    );
    expect(status.body).toContain("automatic setup");
    const last = harness.model.requests.at(-1)!;
    const [result] = last.messages.filter((m) => m.role === "tool").map((m) => String(m.content));
    // Both installs reached the agent, the venv is active in its shell, and nothing in the tree changed.
    expect(result).toBe("exit code: 0\ntrue\n42\n/home/taskbox/.venv/bin/python\n");
  });

  it("installs a pnpm project through corepack, and pnpm keeps working offline for the agent", async () => {
    await harness.github.createRepo(OWNER, "pnpm-demo", {
      "package.json": PACKAGE_JSON,
      "pnpm-lock.yaml": PNPM_LOCK,
      ".gitignore": "node_modules/\n",
    });
    expect(await harness.comment({ body: "/taskbox check the dependencies", issueNumber: 10, repo: "pnpm-demo" })).toBe(
      200,
    );
    const status = await finalStatusOf(harness, 10);
    expect(headlineOf(status.body)).toBe("💬 Answered");
    expect(status.body).toContain("pnpm (pnpm-lock.yaml), through corepack: `pnpm install --frozen-lockfile`");
    const last = harness.model.requests.at(-1)!;
    const [result] = last.messages.filter((m) => m.role === "tool").map((m) => String(m.content));
    // The shim corepack installed runs without the network, and package.json was not pinned.
    expect(result).toMatch(/^exit code: 0\n\d+\.\d+\.\d+\ntrue\n$/);
  });

  it("reuses the environment until a dependency file changes", async () => {
    expect(await harness.comment({ body: "/taskbox env", issueNumber: 2 })).toBe(200);
    expect((await finalStatusOf(harness, 2)).body).toContain("♻️ cache hit");

    await harness.github.createRepo(OWNER, REPO, { ...files(), "requirements.txt": `${REQUIREMENTS}# pinned\n` });
    expect(await harness.comment({ body: "/taskbox env", issueNumber: 3 })).toBe(200);
    const changed = (await finalStatusOf(harness, 3)).body;
    expect(changed).toContain("cache miss (the dependency files changed)");
    expect(changed).toContain("Successfully installed tinylib-0.1");
  });
});
