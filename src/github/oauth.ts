import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from "@octokit/oauth-methods";
import { request as octokitRequest } from "@octokit/request";

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  /** github.com unless GHE_HOST names a GitHub Enterprise server. */
  gheHost?: string;
  gheProtocol?: string;
}

/** The REST API root of github.com or of a GitHub Enterprise server; the web flow's pages are derived from it. */
function apiBaseUrl(app: OAuthApp): string {
  return app.gheHost ? `${app.gheProtocol ?? "https"}://${app.gheHost}/api/v3` : "https://api.github.com";
}

function requestFor(app: OAuthApp) {
  return octokitRequest.defaults({ baseUrl: apiBaseUrl(app) });
}

/** Where the browser goes to sign in; GitHub sends it back to redirectUrl with a code and the same state. */
export function authorizationUrl(app: OAuthApp, redirectUrl: string, state: string): string {
  return getWebFlowAuthorizationUrl({
    clientType: "github-app",
    clientId: app.clientId,
    redirectUrl,
    state,
    allowSignup: false,
    request: requestFor(app),
  }).url;
}

/**
 * Turns the code of a finished web flow into the user's login. The user's token is used for this one call and then
 * dropped: access to tasks is checked through the app's installation, never with the user's token.
 */
export async function signedInLogin(app: OAuthApp, code: string, redirectUrl: string): Promise<string> {
  const request = requestFor(app);
  const { authentication } = await exchangeWebFlowCode({
    clientType: "github-app",
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    code,
    redirectUrl,
    request,
  });
  const user = await request("GET /user", { headers: { authorization: `token ${authentication.token}` } });
  return user.data.login;
}
