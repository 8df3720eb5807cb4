import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * GitHub's OAuth web flow as the fake GitHub serves it: the authorize page (which signs in as whoever the test says is
 * signed in to GitHub in the browser), the code exchange, GET /user for the token's user, and the repository's
 * installation (how the task pages check access through the app).
 */
export interface FakeOAuth {
  clientId: string;
  clientSecret: string;
  /** Who the browser is signed in to GitHub as; undefined: nobody, the authorize page refuses. */
  signedInAs: string | undefined;
  /** Every user access token handed out, so tests can check that none reaches a page. */
  issuedTokens: string[];
}

interface OAuthReply {
  status: number;
  json?: unknown;
}

export function createFakeOAuth(): FakeOAuth {
  return {
    clientId: `Iv1.fake${randomBytes(4).toString("hex")}`,
    clientSecret: `fake-client-secret-${randomBytes(12).toString("hex")}`,
    signedInAs: undefined,
    issuedTokens: [],
  };
}

/** Codes and tokens the fake issued, to the login they stand for. */
const codes = new WeakMap<FakeOAuth, Map<string, string>>();
const tokens = new WeakMap<FakeOAuth, Map<string, string>>();
function table(store: WeakMap<FakeOAuth, Map<string, string>>, oauth: FakeOAuth): Map<string, string> {
  let map = store.get(oauth);
  if (!map) store.set(oauth, (map = new Map()));
  return map;
}

/** Serves /login/oauth/authorize and /login/oauth/access_token; false for any other path. */
export async function handleOAuthPage(
  oauth: FakeOAuth,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  if (url.pathname === "/login/oauth/authorize") {
    const redirect = url.searchParams.get("redirect_uri");
    if (url.searchParams.get("client_id") !== oauth.clientId || !redirect) {
      res.writeHead(400, { "content-type": "text/plain" }).end("unknown client_id or no redirect_uri");
    } else if (!oauth.signedInAs) {
      res.writeHead(403, { "content-type": "text/html" }).end("<h1>Sign in to GitHub</h1><p>Nobody is signed in.</p>");
    } else {
      const code = randomBytes(10).toString("hex");
      table(codes, oauth).set(code, oauth.signedInAs);
      const back = new URL(redirect);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: back.toString() }).end();
    }
    return true;
  }
  if (url.pathname === "/login/oauth/access_token" && req.method === "POST") {
    const text = Buffer.concat(await req.toArray()).toString("utf8");
    const body = (text.startsWith("{") ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text))) as Record<
      string,
      string
    >;
    const login = table(codes, oauth).get(body.code ?? "");
    table(codes, oauth).delete(body.code ?? "");
    const valid = login && body.client_id === oauth.clientId && body.client_secret === oauth.clientSecret;
    const reply = valid
      ? { access_token: issueToken(oauth, login), token_type: "bearer", scope: "" }
      : { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
    return true;
  }
  return false;
}

function issueToken(oauth: FakeOAuth, login: string): string {
  const token = `ghu_fake${randomBytes(12).toString("hex")}`;
  table(tokens, oauth).set(token, login);
  oauth.issuedTokens.push(token);
  return token;
}

/** REST routes (below /api/v3): GET /user with a user token, GET /repos/:owner/:repo/installation. */
export function oauthApiRoutes(
  oauth: FakeOAuth,
  hasRepo: (owner: string, repo: string) => Promise<boolean>,
): [string, RegExp, (params: string[], request: { authorization: string }) => OAuthReply | Promise<OAuthReply>][] {
  return [
    [
      "GET",
      /^\/user$/,
      (_params, { authorization }) => {
        const login = table(tokens, oauth).get(authorization.replace(/^(token|bearer) /i, ""));
        return login
          ? { status: 200, json: { login, id: 1000, type: "User" } }
          : { status: 401, json: { message: "Bad credentials" } };
      },
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/installation$/,
      async ([owner, repo]) =>
        (await hasRepo(owner!, repo!))
          ? { status: 200, json: { id: 1, account: { login: owner } } }
          : { status: 404, json: { message: "Not Found" } },
    ],
  ];
}
