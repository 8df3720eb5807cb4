import { createHmac, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { authorizationUrl, signedInLogin, type OAuthApp } from "../../github/oauth.js";
import { repositoryPermission, type AppClients } from "../../github/repository-access.js";
import { createSignedCookies } from "./signed-cookie.js";
import { localPath, redirect, sendHtml, urlOf } from "./http.js";
import { renderMessagePage } from "../../report/render-page-layout.js";

const SESSION_COOKIE = "taskbox_session";
const STATE_COOKIE = "taskbox_oauth_state";
const SESSION_MS = 8 * 3600_000;
const STATE_MS = 10 * 60_000;
/** A permission GitHub reported is trusted this long; then it is asked again (a removed collaborator loses access). */
export const ACCESS_RECHECK_MS = 5 * 60_000;
const READERS = new Set(["admin", "maintain", "write", "triage", "read"]);

export interface Viewer {
  login: string;
}

export interface PagesAuthOptions {
  oauth: OAuthApp;
  /** TASKBOX_PUBLIC_URL: where GitHub sends the browser back to. */
  publicUrl: string;
  clients: AppClients;
  /** TASKBOX_ADMINS, compared case-insensitively as GitHub compares logins. */
  admins: string[];
  log: Logger;
}

export interface PagesAuth {
  viewer(req: IncomingMessage): Viewer | undefined;
  /** Whether the viewer has at least read permission on the repository ("owner/repo"). */
  canRead(viewer: Viewer, repository: string): Promise<boolean>;
  isAdmin(viewer: Viewer): boolean;
  /** A token for the viewer's forms, so another site cannot post them (on top of SameSite=Lax). */
  formToken(viewer: Viewer): string;
  /** Serves /auth/sign-in, /auth/callback and /auth/sign-out; false for every other request. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/** GitHub sign-in for the task pages, through the app's own OAuth web flow (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET). */
export function createPagesAuth(options: PagesAuthOptions): PagesAuth {
  const { oauth, clients, log } = options;
  const key = createHmac("sha256", oauth.clientSecret).update("taskbox session cookies").digest("hex");
  const cookies = createSignedCookies(key, options.publicUrl.startsWith("https:"));
  const callbackUrl = new URL("/auth/callback", options.publicUrl).toString();
  const admins = new Set(options.admins.map((login) => login.toLowerCase()));
  const checked = new Map<string, { allowed: boolean; at: number }>();

  async function callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = urlOf(req);
    const expected = cookies.read<{ state: string; returnTo: string }>(req, STATE_COOKIE, STATE_MS);
    const code = url.searchParams.get("code");
    if (!expected || !code || url.searchParams.get("state") !== expected.state) {
      sendHtml(
        res,
        400,
        renderMessagePage("Sign-in failed", "The sign-in link expired or did not come from this server. Try again."),
        [cookies.clear(STATE_COOKIE)],
      );
      return;
    }
    const login = await signedInLogin(oauth, code, callbackUrl);
    log.info({ login }, "signed in to the task pages");
    redirect(res, expected.returnTo, [
      cookies.clear(STATE_COOKIE),
      cookies.write(SESSION_COOKIE, { login }, SESSION_MS),
    ]);
  }

  return {
    viewer: (req) => cookies.read<Viewer>(req, SESSION_COOKIE, SESSION_MS),

    async canRead(viewer, repository) {
      const cacheKey = `${viewer.login.toLowerCase()}\n${repository.toLowerCase()}`;
      const known = checked.get(cacheKey);
      if (known && Date.now() - known.at < ACCESS_RECHECK_MS) return known.allowed;
      const allowed = READERS.has(await repositoryPermission(clients, repository, viewer.login));
      checked.set(cacheKey, { allowed, at: Date.now() });
      return allowed;
    },

    isAdmin: (viewer) => admins.has(viewer.login.toLowerCase()),

    formToken: (viewer) => createHmac("sha256", key).update(`form:${viewer.login}`).digest("base64url"),

    async handle(req, res) {
      const url = urlOf(req);
      if (req.method === "GET" && url.pathname === "/auth/sign-in") {
        const state = randomBytes(24).toString("base64url");
        const returnTo = localPath(url.searchParams.get("return"));
        redirect(res, authorizationUrl(oauth, callbackUrl, state), [
          cookies.write(STATE_COOKIE, { state, returnTo }, STATE_MS),
        ]);
        return true;
      }
      if (req.method === "GET" && url.pathname === "/auth/callback") {
        await callback(req, res);
        return true;
      }
      if (req.method === "POST" && url.pathname === "/auth/sign-out") {
        redirect(res, "/", [cookies.clear(SESSION_COOKIE)]);
        return true;
      }
      return false;
    },
  };
}
