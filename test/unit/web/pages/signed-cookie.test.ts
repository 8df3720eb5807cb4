import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createSignedCookies } from "../../../../src/web/pages/signed-cookie.js";

const requestWith = (setCookie: string): IncomingMessage =>
  ({ headers: { cookie: setCookie.split(";")[0] } }) as IncomingMessage;

describe("createSignedCookies", () => {
  afterEach(() => vi.useRealTimers());

  it("reads back what it wrote, as an HttpOnly SameSite=Lax cookie", () => {
    const cookies = createSignedCookies("key", false);
    const header = cookies.write("s", { login: "octocat" }, 60_000);
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Lax/);
    expect(header).not.toMatch(/Secure/);
    expect(cookies.read(requestWith(header), "s", 60_000)).toEqual({ login: "octocat" });
  });

  it("marks cookies Secure over https", () => {
    expect(createSignedCookies("key", true).write("s", 1, 1000)).toMatch(/; Secure/);
  });

  it("refuses a value whose payload was changed, or signed with another key", () => {
    const cookies = createSignedCookies("key", false);
    const header = cookies.write("s", { login: "octocat" }, 60_000);
    const [name, value] = header.split(";")[0]!.split("=") as [string, string];
    const [, signature] = value.split(".");
    const forged = Buffer.from(JSON.stringify({ at: Date.now(), value: { login: "admin" } })).toString("base64url");
    expect(
      cookies.read({ headers: { cookie: `${name}=${forged}.${signature}` } } as IncomingMessage, "s", 60_000),
    ).toBeUndefined();
    expect(createSignedCookies("other", false).read(requestWith(header), "s", 60_000)).toBeUndefined();
  });

  it("refuses a value older than its maximum age", () => {
    vi.useFakeTimers();
    const cookies = createSignedCookies("key", false);
    const header = cookies.write("s", "v", 60_000);
    vi.advanceTimersByTime(60_001);
    expect(cookies.read(requestWith(header), "s", 60_000)).toBeUndefined();
  });
});
