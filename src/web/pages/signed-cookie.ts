import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { parseCookie, stringifySetCookie } from "cookie";

export interface SignedCookies {
  /** The value of a cookie this server set and signed, younger than maxAgeMs; undefined for anything else. */
  read<T>(req: IncomingMessage, name: string, maxAgeMs: number): T | undefined;
  /** A Set-Cookie header: HttpOnly, SameSite=Lax, Secure when the public URL is https. */
  write(name: string, value: unknown, maxAgeMs: number): string;
  clear(name: string): string;
}

/** Cookies whose value is JSON plus an HMAC of it, so a browser can hold a session but not forge or extend one. */
export function createSignedCookies(key: string, secure: boolean): SignedCookies {
  const mac = (text: string) => createHmac("sha256", key).update(text).digest("base64url");
  const options = (maxAgeMs: number) => ({
    httpOnly: true,
    sameSite: "lax" as const,
    secure,
    path: "/",
    maxAge: Math.floor(maxAgeMs / 1000),
  });
  return {
    read<T>(req: IncomingMessage, name: string, maxAgeMs: number): T | undefined {
      const raw = parseCookie(req.headers.cookie ?? "")[name];
      const [payload, signature] = raw?.split(".") ?? [];
      if (!payload || !signature) return undefined;
      const expected = Buffer.from(mac(payload));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      const { at, value } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { at: number; value: T };
      return Date.now() - at <= maxAgeMs ? value : undefined;
    },
    write(name, value, maxAgeMs) {
      const payload = Buffer.from(JSON.stringify({ at: Date.now(), value })).toString("base64url");
      return stringifySetCookie(name, `${payload}.${mac(payload)}`, options(maxAgeMs));
    },
    clear(name) {
      return stringifySetCookie(name, "", { ...options(0), expires: new Date(0) });
    },
  };
}
