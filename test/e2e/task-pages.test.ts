import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBrowser, screenshot, type TestBrowser } from "../support/browser.js";
import { growth, scrapeMetrics, type Scrape } from "../support/scrape-metrics.js";
import { OWNER, REPO, startHarness, waitFor, type Harness } from "../support/taskbox-harness.js";

const SECRET = "pages-secret-value-7731";
const CONFIG = `
environment:
  setup: |
    echo "setup saw token=$API_TOKEN"
  secrets: [API_TOKEN]
agent:
  max_turns: 5
`;
const PAGE_WAIT_MS = 120_000;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe("task pages behind GitHub sign-in", () => {
  let harness: Harness;
  const secondTurn = deferred();
  const browsers: TestBrowser[] = [];
  const pagesSeen: string[] = [];
  let taskId: string;
  let metricsBefore: Scrape;

  /** The task once it has ended (the held turn is let go first). */
  async function ended(): Promise<void> {
    secondTurn.resolve();
    await harness.finalStatusOf(taskId);
  }

  async function browserAs(login: string | undefined, javaScriptEnabled = true): Promise<TestBrowser> {
    harness.github.oauth.signedInAs = login;
    const browser = await openBrowser({ javaScriptEnabled });
    browsers.push(browser);
    return browser;
  }

  beforeAll(async () => {
    harness = await startHarness({
      files: { "README.md": "# hello\n", ".github/taskbox.yml": CONFIG },
      secrets: { [`${OWNER}/${REPO}`]: { API_TOKEN: SECRET } },
      pages: { admins: ["maintainer"] },
      script: [
        { shell: "echo live-step-one", content: "Looking around first." },
        // Held until the browser has shown the first turn, so the page is watched while the task runs.
        { shell: "echo live-step-two > notes.txt && cat notes.txt", gate: secondTurn.promise },
        { content: "Wrote notes.txt." },
      ],
    });
    harness.github.permissions.set("reader", "read");
    metricsBefore = await scrapeMetrics(harness.baseUrl);
    expect(await harness.comment({ body: "/taskbox write the notes", login: "maintainer" })).toBe(200);
    taskId = await waitFor("the task's status comment", () => {
      const body = harness.github.comments.find((c) => c.body.includes("taskbox:task="))?.body;
      return body && /taskbox:task=([\w-]+) /.exec(body)?.[1];
    });
  });
  afterAll(async () => {
    secondTurn.resolve();
    for (const browser of browsers) await browser.close();
    await harness?.close();
  });

  it("shows a collaborator the task filling in live while it runs", async () => {
    const { page } = await browserAs("reader");
    await page.goto(`${harness.baseUrl}/tasks/${taskId}`);
    expect(page.url()).toBe(`${harness.baseUrl}/tasks/${taskId}`);
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    await page.getByText("live-step-one").first().waitFor({ timeout: PAGE_WAIT_MS });
    expect(await page.locator("#result").count()).toBe(0);
    await screenshot(page, "1-live-while-running");

    secondTurn.resolve();
    await page.locator("#result").waitFor({ timeout: PAGE_WAIT_MS });
    // The same document got the later events: it followed the stream, it was not reloaded.
    expect(await page.evaluate(() => (window as { sameDocument?: boolean }).sameDocument)).toBe(true);
    const text = await page.locator("main").innerText();
    expect(text).toContain("write the notes");
    expect(text).toContain("live-step-two");
    expect(text).toContain("Looking around first.");
    expect(text).toMatch(/exit code 0/);
    expect(text).toContain("Result: succeeded");
    await screenshot(page, "2-live-ended");
    pagesSeen.push(await page.content());
  });

  it("renders the ended task without JavaScript", async () => {
    await ended();
    const { page } = await browserAs("reader", false);
    const response = await page.goto(`${harness.baseUrl}/tasks/${taskId}`);
    expect(response?.status()).toBe(200);
    const html = await page.content();
    expect(html).not.toContain("<script");
    const text = (await page.locator("main").textContent()) ?? "";
    for (const part of ["write the notes", "Phase setup", "setup saw token=***", "live-step-one", "live-step-two"]) {
      expect(text).toContain(part);
    }
    expect(text).toMatch(/Environment cache (miss|hit)/);
    expect(text).toMatch(/Tokens \(builtin\): \d+ prompt/);
    expect(text).toMatch(/Pull request #\d+/);
    expect(text).toContain("notes.txt");
    await screenshot(page, "3-ended-without-javascript");
    pagesSeen.push(html);
  });

  it("shows a signed-in user without access to the repository nothing of the task", async () => {
    await ended();
    const { page } = await browserAs("stranger");
    const response = await page.goto(`${harness.baseUrl}/tasks/${taskId}`);
    expect(response?.status()).toBe(404);
    const text = await page.locator("body").innerText();
    expect(text).toContain("There is no task here that you can see.");
    for (const hidden of ["write the notes", "live-step", "maintainer"]) expect(text).not.toContain(hidden);
    await screenshot(page, "4-no-access");
    const events = await page.evaluate(async (url) => (await fetch(url)).status, `/tasks/${taskId}/events`);
    expect(events).toBe(404);
  });

  it("shows a signed-out browser nothing of the task", async () => {
    const { page } = await browserAs(undefined);
    await page.goto(`${harness.baseUrl}/tasks/${taskId}`);
    expect(page.url()).toContain("/login/oauth/authorize");
    expect(await page.content()).not.toMatch(/write the notes|live-step/);
    await screenshot(page, "5-signed-out");
    const direct = await fetch(`${harness.baseUrl}/tasks/${taskId}`, { redirect: "manual" });
    expect(direct.status).toBe(303);
    expect(direct.headers.get("location")).toMatch(/^\/auth\/sign-in\?return=/);
    expect(await direct.text()).toBe("");
    expect((await fetch(`${harness.baseUrl}/tasks/${taskId}/events`)).status).toBe(401);
  });

  it("lists the task for an admin on /admin, and hides /admin from anyone else", async () => {
    await ended();
    const admin = await browserAs("maintainer");
    await admin.page.goto(`${harness.baseUrl}/admin`);
    await expect(admin.page.locator(`a[href="/tasks/${taskId}"]`).count()).resolves.toBeGreaterThan(0);
    const text = await admin.page.locator("main").innerText();
    expect(text).toMatch(/Cached environments\s+Repository\tSize\tLast used\s+octo\/hello\t[\d.]+ MiB/);
    expect(text).toMatch(/Workers\s+Worker\tAddress\tConnected for\s+\S+:\d+/);
    await screenshot(admin.page, "6-admin");
    const reader = await browserAs("reader");
    const response = await reader.page.goto(`${harness.baseUrl}/admin`);
    expect(response?.status()).toBe(404);
  });

  it("never shows a secret value or a token on a page or in the transcript", async () => {
    await ended();
    const transcript = JSON.stringify(await harness.transcripts.read(taskId));
    expect(transcript).toContain("setup saw token=***");
    const secrets = [
      SECRET,
      harness.github.installationToken,
      harness.github.oauth.clientSecret,
      ...harness.github.oauth.issuedTokens,
      "test-key",
    ];
    expect(harness.github.oauth.issuedTokens.length).toBeGreaterThan(0);
    expect(pagesSeen).toHaveLength(2);
    for (const text of [transcript, ...pagesSeen]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });

  it("counts the task in /metrics", async () => {
    await ended();
    const after = await scrapeMetrics(harness.baseUrl);
    expect(growth(metricsBefore, after, 'taskbox_tasks_started_total{kind="task"}')).toBe(1);
    expect(growth(metricsBefore, after, 'taskbox_tasks_ended_total{outcome="succeeded"}')).toBe(1);
    expect(growth(metricsBefore, after, 'taskbox_phase_duration_seconds_count{phase="agent"}')).toBe(1);
    expect(growth(metricsBefore, after, 'taskbox_environment_cache_total{result="miss"}')).toBe(1);
    expect(growth(metricsBefore, after, 'taskbox_model_tokens_total{kind="prompt",runner="builtin"}')).toBe(300);
    expect(growth(metricsBefore, after, "taskbox_queue_wait_seconds_count{}")).toBe(1);
    expect(growth(metricsBefore, after, 'taskbox_webhook_handling_seconds_count{event="issue_comment.created"}')).toBe(
      1,
    );
    expect(after.samples.has('taskbox_queue_jobs{state="completed"}')).toBe(true);
    expect(after.types.get("taskbox_tasks_ended_total")).toBe("counter");
    expect(after.types.get("taskbox_phase_duration_seconds")).toBe("histogram");
    expect([...after.samples.keys()].some((key) => key.startsWith("bullmq_job_count"))).toBe(true);
  });

  it("links the task log from the status comment", async () => {
    await ended();
    const comment = await harness.finalStatusOf(taskId);
    expect(comment.body).toContain(`[View the task log](${harness.baseUrl}/tasks/${taskId})`);
    expect(comment.edits[0]).not.toContain("View the task log"); // queued: nothing to see yet
    expect(comment.body).toMatch(/^\*\*Taskbox\*\* · ✅ Pull request opened in \d/m);
  });
});
