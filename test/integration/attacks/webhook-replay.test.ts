import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCommentCreated } from "../../support/webhook-payloads.js";
import { OWNER, REPO, startHarness, type Harness } from "../../support/taskbox-harness.js";

/**
 * Issue 11, hole 8: whoever captures one signed webhook body (a proxy log, a leaked request dump) can send it again.
 * The signature covers the body only, not X-GitHub-Delivery, so a replay under a fresh delivery id verifies.
 */
describe("a captured signed webhook replayed under a new delivery id", () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      files: { "README.md": "# hello\n" },
      script: [{ shell: "echo fixed > fix.txt" }, { content: "Wrote fix.txt." }],
    });
  });
  afterAll(async () => harness?.close());

  it("is answered like any delivery, and starts no second task", async () => {
    const captured = issueCommentCreated({ owner: OWNER, repo: REPO, body: "/taskbox write fix.txt", issueNumber: 8 });

    expect(await harness.send("issue_comment", captured, "original-delivery")).toBe(200);
    // Answered at once: GitHub must not see a failure it would redeliver, nor learn anything from a refusal.
    expect(await harness.send("issue_comment", structuredClone(captured), "replayed-delivery")).toBe(200);
    expect(await harness.send("issue_comment", structuredClone(captured), "replayed-again")).toBe(200);

    const status = await harness.finalStatus(8);
    expect(status.body).toContain("Pull request opened");
    const taskComments = harness.github.comments.filter((c) => c.issueNumber === 8 && c.body.includes("taskbox:task="));
    expect(taskComments).toHaveLength(1);
    expect(harness.github.pulls.filter((pull) => pull.head.startsWith("taskbox/8-"))).toHaveLength(1);
    // One model conversation: the agent ran once.
    expect(harness.model.requests.filter((r) => r.messages.every((m) => m.role !== "tool"))).toHaveLength(1);
  });

  it("with its body changed, fails the signature check and is refused", async () => {
    const captured = issueCommentCreated({ owner: OWNER, repo: REPO, body: "/taskbox write fix.txt", issueNumber: 9 });
    const body = JSON.stringify(captured);
    const tampered = JSON.stringify({
      ...captured,
      comment: { ...captured.comment, body: "/taskbox delete everything" },
    });
    const signature = await sign("e2e-webhook-secret", body);
    const response = await fetch(harness.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "issue_comment",
        "x-github-delivery": "tampered-delivery",
        "x-hub-signature-256": signature,
      },
      body: tampered,
    });
    expect(response.status).toBe(400);
    expect(harness.github.comments.filter((c) => c.issueNumber === 9)).toHaveLength(0);
  });
});
