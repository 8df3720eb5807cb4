import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github.js";
import { startFakeModel, type FakeModel } from "../support/fake-model.js";
import { waitFor } from "../support/taskbox-harness.js";
import { issueCommentCreated } from "../support/webhook-payloads.js";

const WEBHOOK_SECRET = "main-process-secret";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The production entry point, `node --import tsx src/main.ts`, configured only through its environment. */
describe("src/main.ts with app credentials", () => {
  let github: FakeGitHub;
  let model: FakeModel;
  let app: ChildProcess;
  let output = "";
  let port: number;

  beforeAll(async () => {
    github = await startFakeGitHub();
    await github.createRepo("octo", "hello", { "README.md": "# hello\n" });
    github.permissions.set("maintainer", "admin");
    model = await startFakeModel([{ shell: "echo 'from the main process' > MAIN.md" }, { content: "Wrote MAIN.md." }]);
    port = await freePort();
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    app = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        APP_ID: "1",
        PRIVATE_KEY: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
        WEBHOOK_SECRET,
        PORT: String(port),
        HOST: "127.0.0.1",
        GHE_HOST: github.host,
        GHE_PROTOCOL: "http",
        REDIS_URL: inject("redisUrl"),
        TASKBOX_QUEUE_PREFIX: `main-${randomUUID().slice(0, 8)}`,
        TASKBOX_SANDBOX_IMAGE: inject("sandboxImage"),
        TASKBOX_STATUS_INTERVAL_MS: "0",
        OPENAI_API_KEY: "test-key",
        OPENAI_BASE_URL: model.baseUrl,
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    app.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    app.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitFor("the server to listen", () => (output.includes("Listening on") ? true : undefined), 30_000);
  });

  afterAll(async () => {
    if (app.exitCode === null) {
      app.kill("SIGKILL");
      await once(app, "exit");
    }
    await model?.close();
    await github?.close();
  });

  it("serves webhooks and runs the worker in one process, then shuts down cleanly on SIGTERM", async () => {
    const comment = issueCommentCreated({ body: "/taskbox write MAIN.md", login: "maintainer" });
    github.learnFrom(comment);
    const payload = JSON.stringify(comment);
    const response = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "issue_comment",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": await sign(WEBHOOK_SECRET, payload),
      },
      body: payload,
    });
    expect(response.status, output).toBe(200);

    const pull = await waitFor("a pull request", () => github.pulls[0], 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; the app's log:\n${output}`);
    });
    expect((await github.readFile("octo", "hello", pull.head, "MAIN.md"))?.toString()).toBe("from the main process\n");
    expect(output).not.toContain(github.installationToken);

    app.kill("SIGTERM");
    const [code] = await once(app, "exit");
    expect(code).toBe(0);
  });
});
