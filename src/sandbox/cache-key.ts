import { createHmac } from "node:crypto";

/** Everything that can change what a setup script leaves behind; any difference means a fresh setup. */
export interface CacheKeyInput {
  /** owner/repo; compared without case, as GitHub does. */
  repository: string;
  /** The image's id (sha256:…), so a rebuilt image under the same tag is a different environment. */
  imageId: string;
  /** The script that ran: the configured one, or what automatic setup chose. */
  setupScript: string;
  /** For automatic setup: path → sha256 of each file it read (lockfiles, manifests). */
  setupInputs: Record<string, string>;
  maintenanceScript: string | undefined;
  /** Whether setup and maintenance run with internet (`internet.setup`). */
  setupInternet: boolean;
  env: Record<string, string>;
  /** Values are only ever hashed with a secret salt; they are never stored. */
  secrets: Record<string, string>;
  packages: Record<string, string>;
  /** sha256 of the extra CA bundle the sandbox trusts, if any: a setup behind a TLS proxy depends on it. */
  caBundle: string | undefined;
  /** Raised by `/taskbox reset-cache`. */
  generation: number;
}

export const CACHE_KEY_PARTS = [
  "repository",
  "image",
  "setup",
  "dependencyFiles",
  "maintenance",
  "internet",
  "env",
  "secrets",
  "packages",
  "caBundle",
  "generation",
] as const;
export type CacheKeyPart = (typeof CACHE_KEY_PARTS)[number];

export interface CacheKey {
  /** 64 hex characters. */
  key: string;
  /** A short keyed hash of each part, stored with the snapshot to say later which part changed. */
  parts: Record<CacheKeyPart, string>;
}

const PART_HASH_LENGTH = 16;

/**
 * Keyed with a salt that only the workers know, so neither the key nor a part hash (both stored as image labels) lets
 * anyone test guesses of a secret value.
 */
export function computeCacheKey(input: CacheKeyInput, salt: string): CacheKey {
  const values: Record<CacheKeyPart, unknown> = {
    repository: input.repository.toLowerCase(),
    image: input.imageId,
    setup: input.setupScript,
    dependencyFiles: input.setupInputs,
    maintenance: input.maintenanceScript ?? null,
    internet: input.setupInternet,
    env: input.env,
    secrets: input.secrets,
    packages: input.packages,
    caBundle: input.caBundle ?? null,
    generation: input.generation,
  };
  const hash = (text: string) => createHmac("sha256", salt).update(text).digest("hex");
  const parts = Object.fromEntries(
    CACHE_KEY_PARTS.map((part) => [part, hash(`${part}\0${canonicalJson(values[part])}`).slice(0, PART_HASH_LENGTH)]),
  ) as Record<CacheKeyPart, string>;
  return { key: hash(canonicalJson(values)), parts };
}

const CHANGE_DESCRIPTIONS: Record<CacheKeyPart, string> = {
  repository: "it belongs to another repository",
  image: "the sandbox image changed",
  setup: "the setup script changed",
  dependencyFiles: "the dependency files changed",
  maintenance: "the maintenance script changed",
  internet: "`internet.setup` changed",
  env: "`environment.env` changed",
  secrets: "the secrets changed",
  packages: "`environment.packages` changed",
  caBundle: "the CA bundle changed",
  generation: "the cache was reset with `/taskbox reset-cache`",
};

export function changedParts(current: CacheKey["parts"], cached: Partial<Record<string, string>>): CacheKeyPart[] {
  return CACHE_KEY_PARTS.filter((part) => cached[part] !== current[part]);
}

/** Why a cached environment with `cached` parts does not fit `current`, for the status comment. */
export function describeKeyChange(current: CacheKey["parts"], cached: Partial<Record<string, string>>): string {
  const changed = changedParts(current, cached).map((part) => CHANGE_DESCRIPTIONS[part]);
  return changed.length === 0 ? "the cached environment was removed" : changed.join(", ");
}

/** JSON with object keys sorted, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : item,
  );
}
