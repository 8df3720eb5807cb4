import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK_LABEL } from "../../../src/sandbox/types.js";
import { OWNER, REPO, startFaultRig, taskIdOf, type FaultRig } from "../../support/fault-rig.js";
import type { ScriptedReply } from "../../support/fake-model.js";
import { scenarioScript, toolResultsOf } from "../../support/scenario-script.js";
import { waitFor } from "../../support/taskbox-harness.js";

const docker = new Docker();
const SECRET = "s3cr3t-fault-7d1c9e";
const base64 = (text: string) => Buffer.from(text).toString("base64");
/** Builds a value at runtime from two halves, so that the command line itself never holds it (it is in /proc too). */
const split = (value: string) => `$(printf %s%s '${value.slice(0, 6)}' '${value.slice(6)}')`;

/** Uses its secret, and leaves a background process that inherited it. */
const SAFE_SETUP = `
environment:
  setup: |
    [ -n "$API_TOKEN" ] && echo "setup has its secret"
    nohup sleep 600 >/dev/null 2>&1 &
    (sleep 600 &)
  env: { GREETING: hello }
  secrets: [API_TOKEN]
`;
/** Prints its secret, plain and base64 (a setup that leaves it in a file fails: test/integration/attacks). */
const LEAKY_SETUP = `
environment:
  setup: |
    echo "setup prints $API_TOKEN"
    printf '%s' "$API_TOKEN" | base64
  secrets: [API_TOKEN]
`;

/** Filled in by each test: the token is only known once the fake GitHub runs. */
const scenarios = new Map<string, ScriptedReply[]>();

describe("secrets and the installation token", () => {
  let rig: FaultRig;
  let token: string;

  beforeAll(async () => {
    rig = await startFaultRig({
      files: { "README.md": "# hello\n", ".github/taskbox.yml": SAFE_SETUP },
      secrets: {
        [`${OWNER}/${REPO}`]: { API_TOKEN: SECRET },
        [`${OWNER}/leaky`]: { API_TOKEN: SECRET },
        [`${OWNER}/envcheck`]: { API_TOKEN: SECRET },
      },
      script: scenarioScript(scenarios),
    });
    token = rig.github.installationToken;
    await rig.github.createRepo(OWNER, "leaky", { "README.md": "# leaky\n", ".github/taskbox.yml": LEAKY_SETUP });
    await rig.github.createRepo(OWNER, "envcheck", { "README.md": "# envcheck\n", ".github/taskbox.yml": LEAKY_SETUP });
    await rig.start("all");
  });
  afterAll(async () => rig?.close());

  it("cannot be read by any agent command: not from env, /proc, files, git config, or Docker", async () => {
    const S = split(SECRET);
    const T = split(token);
    const checks = [
      `S=${S}; T=${T}`,
      // Patterns come through a pipe: as arguments they would be in grep's own /proc/<pid>/cmdline.
      'patterns() { printf "%s\\n" "$S" "$T"; }',
      'echo "env=$(env | grep -cF -f <(patterns))"',
      `echo "proc=$(cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | grep -cF -f <(patterns))"`,
      'echo "files=$(grep -rlsF -f <(patterns) /workspace /home /root /tmp /etc /run /var /opt /srv /usr/local 2>/dev/null | wc -l)"',
      `echo "gitconfig=$(git -C /workspace config --list --show-origin | grep -ciE 'token|authorization|extraheader|x-access')"`,
      'echo "docker-sockets=$(find / -xdev \\( -type s -o -name "docker.sock" \\) 2>/dev/null | wc -l)"',
      'echo "docker-host=${DOCKER_HOST:-unset}"',
      `echo "leftover-setup-processes=$(ps -eo args= | grep -c '[s]leep 600')"`,
      "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\\t' ' '",
      'echo "uid=$(id -u) greeting=$GREETING"',
    ].join("\n");
    scenarios.set("no-route", [{ shell: checks }, { content: "Checked.", delayMs: 3000 }]);

    expect((await rig.comment({ body: "/taskbox run scenario:no-route now", issueNumber: 1 })).status_code).toBe(200);
    // While the model thinks about its answer, the container is inspected from the host, as `docker inspect` would.
    await waitFor("the agent's second turn", () =>
      toolResultsOf(rig.model.requests, "no-route").length === 1 ? true : undefined,
    );
    const [comment] = rig.statusComments(1);
    const [listed] = await docker.listContainers({ filters: { label: [`${TASK_LABEL}=${taskIdOf(comment!)}`] } });
    const inspected = await docker.getContainer(listed!.Id).inspect();
    const status = await rig.finalStatus(1);

    expect(status.body).toContain("Answered");
    const [result] = toolResultsOf(rig.model.requests, "no-route");
    expect(result).toContain("env=0\n");
    expect(result).toContain("proc=0\n");
    expect(result).toContain("files=0\n");
    expect(result).toContain("gitconfig=0\n");
    expect(result).toContain("docker-sockets=0\n");
    expect(result).toContain("docker-host=unset\n");
    expect(result).toContain("leftover-setup-processes=0\n");
    expect(result).toMatch(/CapEff: 0{16}\n/);
    expect(result).toMatch(/NoNewPrivs: 1\n/);
    expect(result).toMatch(/Seccomp: 2\n/);
    expect(result).toContain("uid=1000 greeting=hello");

    const config = JSON.stringify({
      env: inspected.Config.Env,
      labels: inspected.Config.Labels,
      cmd: inspected.Config.Cmd,
    });
    expect(config).not.toContain(SECRET);
    expect(config).not.toContain(token);
    expect(JSON.stringify(inspected.Mounts)).not.toContain("docker.sock");
    expect(inspected.HostConfig.Privileged).toBe(false);
    expect(inspected.HostConfig.CapDrop).toEqual(["ALL"]);
    expect(inspected.HostConfig.SecurityOpt).toContain("no-new-privileges");
    expect(inspected.HostConfig.Init).toBe(true);
    expect(inspected.Config.User).toBe("taskbox");
  });

  it("printed in every phase, is redacted everywhere it goes: model, status comment, pull request, logs", async () => {
    scenarios.set("leak", [
      // The agent never has the secret; the scripted model does, and prints it, as a leak elsewhere would.
      { shell: `printf '%s\\n' "${split(SECRET)}"; printf %s "${split(SECRET)}" | base64` },
      { shell: "echo done > done.txt" },
      { content: `Finished. For the record the key was ${SECRET} (${base64(SECRET)}).` },
    ]);
    expect(
      (await rig.comment({ body: "/taskbox run scenario:leak now", repo: "leaky", issueNumber: 2 })).status_code,
    ).toBe(200);
    const status = await rig.finalStatus(2);
    expect(status.body).toContain("Pull request opened");

    const [fromSetupFile] = toolResultsOf(rig.model.requests, "leak");
    expect(fromSetupFile).toMatch(/^exit code: 0\n\*\*\*\n\*\*\*/);
    const pull = rig.github.pulls.at(-1)!;
    expect(pull.body).toContain("the key was *** (***)");
    expect(status.body).toContain("the key was *** (***)");

    const everywhere = [
      JSON.stringify(rig.model.requests),
      ...rig.github.comments.flatMap((comment) => comment.edits),
      JSON.stringify(rig.github.pulls),
      rig.logs(),
    ].join("\n");
    for (const form of [SECRET, base64(SECRET), token]) expect(everywhere).not.toContain(form);
  });

  it("printed by a setup script, is redacted in the setup log a maintainer sees", async () => {
    expect((await rig.comment({ body: "/taskbox env", repo: "envcheck", issueNumber: 3 })).status_code).toBe(200);
    const status = await rig.finalStatus(3);
    expect(status.body).toContain("Environment ready");
    expect(status.body).toContain("setup prints ***");
    expect(status.body).not.toContain(SECRET);
    expect(status.body).not.toContain(base64(SECRET));
  });

  it("copied into the checkout by the agent, makes Taskbox refuse to push", async () => {
    scenarios.set("copy", [{ shell: `printf %s "${split(SECRET)}" > leaked.txt` }, { content: "Copied." }]);
    const pullsBefore = rig.github.pulls.length;
    expect(
      (await rig.comment({ body: "/taskbox run scenario:copy now", repo: "leaky", issueNumber: 4 })).status_code,
    ).toBe(200);
    const status = await rig.finalStatus(4);
    expect(status.body).toContain("Publishing failed");
    expect(status.body).toContain("contains the value of a secret in `leaked.txt`");
    expect(rig.github.pulls).toHaveLength(pullsBefore);
    expect(await rig.github.commitOf(OWNER, "leaky", "taskbox/4-" + taskIdOf(status).slice(0, 8))).toBeUndefined();
  });
});
