import { codeSpan } from "./format-issues.js";

/**
 * The images a repository may name in `environment.image` (TASKBOX_ALLOWED_IMAGES): references such as
 * `taskbox-sandbox:latest`, and patterns `name:*` for every tag of one name. Matched on the reference as written with
 * `:latest` added when it has no tag, never on what Docker would resolve it to: Docker also resolves image ids and
 * their prefixes, which would let a repository start from another repository's cached environment.
 */
export interface AllowedImages {
  readonly rules: readonly string[];
}

/** Lower-case name components separated by `/`, a tag; no digest, no id. */
const REFERENCE =
  /^[a-z0-9]+(?:[._-][a-z0-9]+|__)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+|__)*)*(?::[\w][\w.-]{0,127})?$/;
const HEX_ID = /^(?:sha256:)?[0-9a-f]{6,64}$/;
/** The repository of Taskbox's cached environments (environment-cache.ts): reached only through the cache. */
const SNAPSHOT_REPOSITORY = "taskbox-env";

export function parseAllowedImages(text: string | undefined, defaultImage: string): AllowedImages {
  const listed = (text ?? "").split(/[\s,]+/).filter((rule) => rule.length > 0);
  return { rules: [withTag(defaultImage), ...listed.map((rule) => (rule.endsWith(":*") ? rule : withTag(rule)))] };
}

/** `name` → `name:latest`; a tag after the last `/` is kept (a registry port is not a tag). */
export function withTag(reference: string): string {
  const lastPart = reference.slice(reference.lastIndexOf("/") + 1);
  return lastPart.includes(":") ? reference : `${reference}:latest`;
}

/** The reference to start the sandbox from, or the error the maintainer sees (naming `environment.image`). */
export function checkImage(
  image: string,
  allowed: AllowedImages,
): { ok: true; reference: string } | { ok: false; error: string } {
  const refuse = (why: string) => ({
    ok: false as const,
    error: `\`environment.image\` ${codeSpan(image)} ${why}; allowed here: ${allowed.rules.map(codeSpan).join(", ")} (TASKBOX_ALLOWED_IMAGES, set by the operator)`,
  });
  if (HEX_ID.test(image) && !image.includes(":")) return refuse("looks like an image id, which is not allowed");
  if (image.startsWith("sha256:")) return refuse("is an image id, which is not allowed");
  if (!REFERENCE.test(image)) return refuse("is not an image reference of the form `name:tag`");
  const reference = withTag(image);
  const name = reference.slice(0, reference.lastIndexOf(":"));
  if (name === SNAPSHOT_REPOSITORY || name.endsWith(`/${SNAPSHOT_REPOSITORY}`)) {
    return refuse("is a cached environment, which a repository gets only through the cache");
  }
  const matches = allowed.rules.some((rule) =>
    rule.endsWith(":*") ? `${rule.slice(0, -2)}` === name : rule === reference,
  );
  return matches ? { ok: true, reference } : refuse("is not an allowed image");
}
