import type { IncomingMessage, ServerResponse } from "node:http";
import pino from "pino";
import type { ProbotOctokit } from "probot";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppClients } from "../../../../src/github/repository-access.js";
import { ACCESS_RECHECK_MS, createPagesAuth } from "../../../../src/web/pages/pages-auth.js";

interface Captured {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

function fakeResponse(): { res: ServerResponse; captured: Captured } {
  const captured: Captured = { status: 0, headers: {}, body: "" };
  const res = {
    writeHead(status: number, headers: Record<string, string | string[]>) {
      captured.status = status;
      captured.headers = headers;
      return res;
    },
    end(body?: string) {
      captured.body = body ?? "";
    },
  } as unknown as ServerResponse;
  return { res, captured };
}

const request = (url: string, cookie = "", method = "GET") => ({ url, method, headers: { cookie } }) as IncomingMessage;
const cookieOf = (captured: Captured, name: string) =>
  ([captured.headers["set-cookie"] ?? []].flat().find((c) => c.startsWith(`${name}=`)) ?? "").split(";")[0]!;

function clientsWith(permissions: Map<string, string>): AppClients & { asked: number } {
  const clients = {
    asked: 0,
    app: async () =>
      ({ rest: { apps: { getRepoInstallation: async () => ({ data: { id: 7 } }) } } }) as unknown as ProbotOctokit,
    installation: async () =>
      ({
        rest: {
          repos: {
            getCollaboratorPermissionLevel: async ({ username }: { username: string }) => {
              clients.asked += 1;
              const permission = permissions.get(username) ?? "none";
              return { data: { permission, role_name: permission } };
            },
          },
        },
      }) as unknown as ProbotOctokit,
  };
  return clients;
}

function auth(clients: AppClients, publicUrl = "http://taskbox.test") {
  return createPagesAuth({
    oauth: { clientId: "Iv1.abc", clientSecret: "client-secret" },
    publicUrl,
    clients,
    admins: ["Admin-One"],
    log: pino({ level: "silent" }),
  });
}

describe("createPagesAuth", () => {
  afterEach(() => vi.useRealTimers());

  it("sends the browser to GitHub with a state it also keeps in a cookie, and returns only to local paths", async () => {
    const pages = auth(clientsWith(new Map()));
    const { res, captured } = fakeResponse();
    expect(await pages.handle(request("/auth/sign-in?return=//evil.example/x"), res)).toBe(true);
    const location = new URL(String(captured.headers.location));
    expect(location.origin + location.pathname).toBe("https://github.com/login/oauth/authorize");
    expect(location.searchParams.get("client_id")).toBe("Iv1.abc");
    expect(location.searchParams.get("redirect_uri")).toBe("http://taskbox.test/auth/callback");
    const state = location.searchParams.get("state");
    expect(state).toMatch(/^[\w-]{20,}$/);
    expect(cookieOf(captured, "taskbox_oauth_state")).not.toBe("");
  });

  it("refuses a callback whose state is not the one it sent", async () => {
    const pages = auth(clientsWith(new Map()));
    const first = fakeResponse();
    await pages.handle(request("/auth/sign-in"), first.res);
    const stateCookie = cookieOf(first.captured, "taskbox_oauth_state");
    const { res, captured } = fakeResponse();
    await pages.handle(request("/auth/callback?code=c&state=forged", stateCookie), res);
    expect(captured.status).toBe(400);
    expect(cookieOf(captured, "taskbox_session")).toBe("");
  });

  it("lets readers in, keeps others out, and asks GitHub again once the answer is a few minutes old", async () => {
    vi.useFakeTimers();
    const permissions = new Map([["reader", "read"]]);
    const clients = clientsWith(permissions);
    const pages = auth(clients);
    expect(await pages.canRead({ login: "reader" }, "o/r")).toBe(true);
    expect(await pages.canRead({ login: "stranger" }, "o/r")).toBe(false);
    permissions.delete("reader");
    expect(await pages.canRead({ login: "reader" }, "o/r")).toBe(true); // still the recent answer
    vi.advanceTimersByTime(ACCESS_RECHECK_MS + 1);
    expect(await pages.canRead({ login: "reader" }, "o/r")).toBe(false);
    expect(clients.asked).toBe(3);
  });

  it("knows admins by login, in any case", () => {
    const pages = auth(clientsWith(new Map()));
    expect(pages.isAdmin({ login: "admin-one" })).toBe(true);
    expect(pages.isAdmin({ login: "reader" })).toBe(false);
  });

  it("signs out by clearing the session cookie", async () => {
    const { res, captured } = fakeResponse();
    await auth(clientsWith(new Map())).handle(request("/auth/sign-out", "", "POST"), res);
    expect(cookieOf(captured, "taskbox_session")).toBe("taskbox_session=");
  });

  it("marks its cookies Secure when the public URL is https", async () => {
    const { res, captured } = fakeResponse();
    await auth(clientsWith(new Map()), "https://taskbox.test").handle(request("/auth/sign-in"), res);
    expect([captured.headers["set-cookie"]].flat().join()).toMatch(/Secure/);
  });
});
