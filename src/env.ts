import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { parseDuration } from "./config/duration.js";
import { AGENT_RUNNERS, type ConfigDefaults } from "./config/schema.js";
import { parseRateLimit } from "./config/rate-limit.js";

/** Trusted by sandboxes (and the image builds) unless TASKBOX_CA_BUNDLE names another bundle or `none`. */
export const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const MEMORY_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

const memorySize = z
  .string()
  .regex(/^\d+\s*[kmg]?b?$/i, 'expected a size such as "4g", "512m" or a number of bytes')
  .transform((text) => {
    const [, amount, unit = ""] = /^(\d+)\s*([kmg]?)/i.exec(text) ?? [];
    return Number(amount) * (MEMORY_UNITS[unit.toLowerCase()] ?? 1);
  });

const existingFile = z.string().refine((path) => existsSync(path), { message: "file does not exist" });

// TLS-intercepting networks need no setting: the host's bundle holds the interception CA.
const caBundle = z
  .string()
  .optional()
  .transform((path, ctx) => {
    if (path === "none") return undefined;
    if (path === undefined) return existsSync(HOST_CA_BUNDLE) ? HOST_CA_BUNDLE : undefined;
    if (existsSync(path)) return path;
    ctx.addIssue({ code: "custom", message: "file does not exist (`none` trusts no extra CA)" });
    return z.NEVER;
  });

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return parseDuration(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    });

const nonNegativeInt = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

const rateLimit = z.string().transform((text, ctx) => {
  try {
    return parseRateLimit(text);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

/** A comma-separated list, such as `builtin,codex`. */
function nameList<T extends z.ZodType<string, string>>(item: T) {
  return z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1));
}

const envSchema = z.object({
  TASKBOX_ROLE: z.enum(["all", "web", "worker"]).default("all"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL")
    .default("redis://127.0.0.1:6379"),
  TASKBOX_QUEUE_PREFIX: z
    .string()
    .regex(/^[\w.-]+$/)
    .default("taskbox"),
  TASKBOX_CONCURRENCY: positiveInt(2),
  TASKBOX_REPO_CONCURRENCY: positiveInt(1),
  TASKBOX_MODEL: z.string().min(1).default("gpt-5.1"),
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url().optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  TASKBOX_RUNNERS: nameList(z.enum(AGENT_RUNNERS)).default([...AGENT_RUNNERS]),
  TASKBOX_MODELS: nameList(z.string().regex(/^\S+$/)).optional(),
  TASKBOX_SANDBOX_IMAGE: z.string().min(1).default("taskbox-sandbox:latest"),
  /** Besides TASKBOX_SANDBOX_IMAGE: references and `name:*` patterns, separated by commas or spaces. */
  TASKBOX_ALLOWED_IMAGES: z.string().optional(),
  /** Files setup may leave secrets in, deleted before the secret scan: absolute, or `~/` for the sandbox user's home. */
  TASKBOX_SCRUB_FILES: z
    .string()
    .optional()
    .transform((text) =>
      (text ?? "")
        .split(/[\s,]+/)
        .filter((path) => path.length > 0)
        .map((path) => path.replace(/^~\//, "/home/taskbox/")),
    )
    .refine((paths) => paths.every((path) => path.startsWith("/") && !path.split("/").includes("..")), {
      message: "expected absolute paths (or ~/path), without ..",
    }),
  TASKBOX_SANDBOX_MEMORY: memorySize.default(4 * 1024 ** 3),
  TASKBOX_SANDBOX_CPUS: z.coerce.number().positive().default(2),
  TASKBOX_SANDBOX_PIDS: positiveInt(512),
  TASKBOX_CA_BUNDLE: caBundle,
  TASKBOX_SECRETS_FILE: existingFile.optional(),
  TASKBOX_STATUS_INTERVAL_MS: z.coerce.number().int().nonnegative().default(3000),
  TASKBOX_WORK_DIR: z.string().default(join(tmpdir(), "taskbox")),
  // Reliability and abuse limits (docs/operations.md).
  TASKBOX_RUNTIME: z
    .string()
    .regex(/^[\w.-]+$/, "expected the name of an OCI runtime registered with dockerd, such as runsc")
    .optional(),
  TASKBOX_SANDBOX_DISK: memorySize.default(20 * 1024 ** 3),
  TASKBOX_DISK_CHECK_INTERVAL_MS: positiveInt(10_000),
  TASKBOX_LOCK_DURATION_MS: positiveInt(30_000),
  TASKBOX_STALLED_INTERVAL_MS: positiveInt(30_000),
  TASKBOX_MAX_STALLED_COUNT: nonNegativeInt(1),
  TASKBOX_REAPER_INTERVAL_MS: positiveInt(60_000),
  TASKBOX_DELIVERY_RECOVERY_INTERVAL_MS: nonNegativeInt(300_000),
  TASKBOX_DELIVERY_RECOVERY_WINDOW_MS: positiveInt(24 * 3600_000),
  TASKBOX_RATE_LIMIT_USER: rateLimit.prefault("20/1h"),
  TASKBOX_RATE_LIMIT_INSTALLATION: rateLimit.prefault("100/1h"),
  TASKBOX_MAX_REQUEST_CHARS: positiveInt(20_000),
  TASKBOX_CACHE_MAX_BYTES: memorySize.default(20 * 1024 ** 3),
  TASKBOX_MAX_REPO_BYTES: memorySize.default(5 * 1024 ** 3),
  TASKBOX_GIT_CACHE_BYTES: memorySize.default(20 * 1024 ** 3),
  TASKBOX_EGRESS_NETWORK: z
    .string()
    .regex(/^[\w.-]+$/, "expected the name of an existing Docker network")
    .optional(),
  /** CIDR ranges allowed names may resolve to besides public addresses; loopback and link-local stay denied. */
  TASKBOX_EGRESS_ALLOWED_RANGES: z
    .string()
    .optional()
    .transform((text) => (text ?? "").split(/[\s,]+/).filter((range) => range.length > 0))
    .refine((ranges) => ranges.every((range) => ipaddr.isValidCIDR(range)), {
      message: "expected CIDR ranges such as 10.20.0.0/16, separated by commas",
    }),
  TASKBOX_EGRESS_CONNECT_PORTS: z
    .string()
    .optional()
    .transform((text) =>
      (text ?? "")
        .split(/[\s,]+/)
        .filter((port) => port.length > 0)
        .map(Number),
    )
    .refine((ports) => ports.every((port) => Number.isInteger(port) && port > 0 && port < 65536), {
      message: "expected port numbers separated by commas, such as 8443",
    }),
  // Operations: shutdown and health (docs/operations.md).
  TASKBOX_SHUTDOWN_TIMEOUT: duration("30m"),
  TASKBOX_WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  GHE_HOST: z.string().min(1).optional(),
  // Task pages (docs/task-pages.md): on when the app's OAuth credentials are set.
  // Probot's web server; 0 picks a free port (tests), so the task pages' default address needs TASKBOX_PUBLIC_URL then.
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  GITHUB_CLIENT_ID: z.string().min(1).optional(),
  GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  TASKBOX_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .transform((url) => url.replace(/\/+$/, ""))
    .optional(),
  TASKBOX_CONFIG_DOCS_URL: z.url({ protocol: /^https?$/ }).optional(),
  TASKBOX_ADMINS: z
    .string()
    .default("")
    .transform((list) => list.split(/[\s,]+/).filter(Boolean)),
  GHE_PROTOCOL: z.enum(["http", "https"]).optional(),
});

export type TaskboxEnv = z.infer<typeof envSchema>;

/** Every variable Taskbox reads itself (docs/operations.md lists each one). */
export const ENV_NAMES = Object.keys(envSchema.shape);

export class EnvError extends Error {}

/** Parses the process environment once; every problem is listed in one error so an operator fixes them in one go. */
export function parseEnv(env: NodeJS.ProcessEnv): TaskboxEnv {
  const blankAsUnset = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const result = envSchema.safeParse(blankAsUnset);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  throw new EnvError(`Invalid environment:\n${problems.join("\n")}`);
}

/** Where task pages live, or undefined when they are off (no GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET). */
export function taskPagesUrl(env: TaskboxEnv): string | undefined {
  if (!env.GITHUB_CLIENT_ID || !env.GITHUB_CLIENT_SECRET) return undefined;
  return env.TASKBOX_PUBLIC_URL ?? `http://localhost:${env.PORT}`;
}

/** The worker talks to the model; the web process does not need a key. */
export function requireModelCredentials(env: TaskboxEnv): { apiKey: string; baseURL: string | undefined } {
  if (!env.OPENAI_API_KEY) {
    throw new EnvError(
      "Invalid environment:\n  OPENAI_API_KEY: required by the worker (any value for servers without keys)",
    );
  }
  return { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL };
}

/** What a repository's config falls back to, and what the operator allows in it. */
export function configDefaultsOf(env: TaskboxEnv): ConfigDefaults {
  return {
    defaultModel: env.TASKBOX_MODEL,
    defaultImage: env.TASKBOX_SANDBOX_IMAGE,
    runners: env.TASKBOX_RUNNERS,
    models: env.TASKBOX_MODELS,
  };
}

const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";
const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";

/** The upstreams of the model gateway: each provider whose key the operator set. */
export function modelUpstreams(env: TaskboxEnv): {
  openai?: { baseUrl: string; apiKey: string };
  anthropic?: { baseUrl: string; apiKey: string };
} {
  return {
    ...(env.OPENAI_API_KEY && {
      openai: { baseUrl: env.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL, apiKey: env.OPENAI_API_KEY },
    }),
    ...(env.ANTHROPIC_API_KEY && {
      anthropic: { baseUrl: env.ANTHROPIC_BASE_URL ?? ANTHROPIC_DEFAULT_BASE_URL, apiKey: env.ANTHROPIC_API_KEY },
    }),
  };
}
