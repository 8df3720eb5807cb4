// GitHub owner and repository names; anything else would let a caller reshape the URL path.
const NAME = /^[A-Za-z0-9_.-]+$/;

/** The clone URL of a repository on github.com, or on a GitHub Enterprise host as Probot's GHE_HOST/GHE_PROTOCOL name it. */
export function repositoryRemoteUrl(options: {
  owner: string;
  repo: string;
  gheHost?: string;
  gheProtocol?: string;
}): string {
  for (const name of [options.owner, options.repo]) {
    if (!NAME.test(name) || name === "." || name === "..") {
      throw new Error(`invalid GitHub owner or repository name: ${JSON.stringify(name)}`);
    }
  }
  const base = options.gheHost ? `${options.gheProtocol ?? "https"}://${options.gheHost}` : "https://github.com";
  return `${base}/${options.owner}/${options.repo}.git`;
}
