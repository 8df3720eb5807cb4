/** The parts of GitHub's REST behaviour every route shares: error bodies, authentication and pagination. */

export interface Reply {
  status: number;
  json?: unknown;
  raw?: Buffer;
  headers?: Record<string, string>;
}

const DOCS = "https://docs.github.com/rest";

/** GitHub's error body: message, documentation_url and the status as a string. */
export function errorReply(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, json: { message, ...extra, documentation_url: DOCS, status: String(status) } };
}

export const notFound = (): Reply => errorReply(404, "Not Found");
export const invalid = (message: string): Reply =>
  errorReply(422, "Validation Failed", { errors: [{ resource: "Issue", code: "custom", message }] });

/** Routes that take the app's JWT, as GitHub's do; every other route takes an installation token. */
// GitHub takes the app's JWT for /app/… and for finding a repository's installation.
export const APP_ROUTE = /^\/app(?:$|\/)|^\/repos\/[^/]+\/[^/]+\/installation$/;

/**
 * undefined when the request may go on: the app's routes need a JWT the app signed (RS256, unexpired), the others an
 * installation token the fake minted, sent as `token <t>` or `Bearer <t>`.
 */
export function refuseUnauthorized(
  path: string,
  authorization: string,
  minted: Pick<Set<string>, "has">,
): Reply | undefined {
  const [scheme = "", credential = ""] = authorization.split(" ", 2);
  if (!/^(?:token|bearer)$/i.test(scheme) || credential === "") return errorReply(401, "Requires authentication");
  if (APP_ROUTE.test(path)) {
    return isAppJwt(credential) ? undefined : errorReply(401, "A JSON web token could not be decoded");
  }
  return minted.has(credential) ? undefined : errorReply(401, "Bad credentials");
}

function isAppJwt(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  try {
    const [header, payload] = parts.slice(0, 2).map((part) => JSON.parse(Buffer.from(part, "base64url").toString()));
    const nowSeconds = Date.now() / 1000;
    return header?.alg === "RS256" && payload?.iss !== undefined && Number(payload?.exp) > nowSeconds;
  } catch {
    return false;
  }
}

/**
 * One page of items as GitHub pages a list: `per_page` (default 30, at most 100) and `page` (from 1), with a Link
 * header that names the next, last, first and previous pages where there are any.
 */
export function paginate(items: unknown[], url: URL): Reply {
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const pageUrl = (number: number) => {
    const next = new URL(url);
    next.searchParams.set("page", String(number));
    return next.href;
  };
  const links: string[] = [];
  if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`);
  return {
    status: 200,
    json: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(", ") } : {},
  };
}
