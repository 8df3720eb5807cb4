import pino from "pino";
import { describe, expect, it } from "vitest";
import { resetCacheCommand } from "../../../../src/web/commands/reset-cache-command.js";
import type { CommentContext } from "../../../../src/web/subcommands.js";
import type { WebDeps } from "../../../../src/web/web-deps.js";

describe("/taskbox reset-cache", () => {
  it("raises the repository's cache generation in Redis and says what happens next", async () => {
    const sets: Array<[string, string]> = [];
    const comments: string[] = [];
    const context = {
      payload: { repository: { full_name: "Octo/Hello" } },
      issue: (extra: object) => ({ owner: "Octo", repo: "Hello", issue_number: 7, ...extra }),
      octokit: { rest: { issues: { createComment: async ({ body }: { body: string }) => void comments.push(body) } } },
    } as unknown as CommentContext;
    const deps = {
      queue: {
        opts: { prefix: "tbx" },
        getBackend: () => ({
          client: Promise.resolve({ set: async (key: string, value: string) => void sets.push([key, value]) }),
        }),
      },
    } as unknown as WebDeps;

    const before = Date.now();
    await resetCacheCommand(context, deps, {
      login: "maintainer",
      command: "/taskbox",
      config: { ok: false, error: "unused" },
      log: pino({ level: "silent" }),
    });

    expect(sets).toHaveLength(1);
    expect(sets[0]![0]).toBe("tbx:env-cache:generation:octo/hello");
    expect(Number(sets[0]![1])).toBeGreaterThanOrEqual(before);
    expect(comments).toStrictEqual([
      "@maintainer, the cached environments of `Octo/Hello` are dropped: the next task runs the setup script in a fresh " +
        "environment. The workers delete the old snapshots from disk at their next cache sweep.",
    ]);
  });
});
