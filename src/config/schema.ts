import { z } from "zod";
import { formatDuration, parseDuration } from "./duration.js";
import { codeSpan } from "./format-issues.js";
import { DEFAULT_METHODS, HTTP_METHODS, parseAllowEntry, type HttpMethod } from "./network-policy.js";

export const CONFIG_FILE_NAME = "taskbox.yml";
export const CONFIG_PATH = ".github/taskbox.yml";

export interface RepoConfig {
  environment: {
    image: string;
    setup: string | undefined;
    /** Runs when a cached environment is resumed, after the new checkout replaced the workspace. */
    maintenance: string | undefined;
    env: Record<string, string>;
    secrets: string[];
    /** Runtime versions to put first on PATH, such as { node: "20" }; the image must offer them. */
    packages: Record<string, string>;
    cache: { ttlMs: number };
    /** `environment.history`: the commits the sandbox's repository holds, "full" or the newest `depth`. */
    history: "full" | { depth: number };
    /** Git LFS objects are fetched on the host and put in the workspace. */
    lfs: boolean;
    /** Submodules (of the repository's own owner, unless the operator widens it) are checked out too. */
    submodules: boolean;
  };
  agent: {
    /** Who runs the task: Taskbox's own loop on the host, or an agent CLI inside the sandbox. */
    runner: AgentRunner;
    model: string;
    maxTurns: number;
    maxTokens: number;
    /** The builtin loop elides older tool outputs once its conversation nears this many tokens. */
    contextTokens: number;
  };
  limits: { taskTimeoutMs: number; commandTimeoutMs: number };
  /** How a maintainer starts tasks: the comment command word and the label name. */
  triggers: { command: string; label: string };
  /** Network per phase; `allow` (hosts, `*.` wildcards, preset names) and `methods` apply to `agent: limited`. */
  internet: { setup: "on" | "off"; agent: "off" | "limited" | "unrestricted"; allow: string[]; methods: HttpMethod[] };
}

export const AGENT_RUNNERS = ["builtin", "codex", "claude-code"] as const;
export type AgentRunner = (typeof AGENT_RUNNERS)[number];

export interface ConfigDefaults {
  defaultModel: string;
  defaultImage: string;
  /** The runners the operator allows (TASKBOX_RUNNERS); default all. */
  runners?: readonly AgentRunner[];
  /** The models the operator allows (TASKBOX_MODELS); default any. */
  models?: readonly string[];
}

/** Names usable as environment variables; shared by `environment.env`, `environment.secrets` and the secrets file. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_NAME_RULE = "letters, digits and `_`, not starting with a digit";

const DEFAULT_MAX_TURNS = 50;
const DEFAULT_MAX_TOKENS = 2_000_000;
const DEFAULT_CONTEXT_TOKENS = 200_000;
const DEFAULT_TASK_TIMEOUT_MS = parseDuration("30m");
const DEFAULT_COMMAND_TIMEOUT_MS = parseDuration("10m");
const DEFAULT_CACHE_TTL_MS = parseDuration("12h");
const PACKAGE_NAME_PATTERN = /^[a-z][a-z0-9_-]*$/;

type ErrorFn = (issue: z.core.$ZodRawIssue) => string;

/**
 * Schema of `.github/taskbox.yml` (snake_case YAML in, RepoConfig out). Every issue message reads
 * "expected …, got …" relative to its path, so formatIssues can prefix the field path.
 */
export function createRepoConfigSchema(defaults: ConfigDefaults): z.ZodType<RepoConfig, unknown> {
  return section({
    environment: environmentSchema(defaults),
    agent: agentSchema(defaults),
    limits: limitsSchema(),
    triggers: triggersSchema(),
    internet: internetSchema(),
  });
}

function environmentSchema(defaults: ConfigDefaults) {
  return (
    section({
      image: withDefault(
        z.string({ error: expected("an image name such as `taskbox-sandbox:latest`") }).regex(/^\S+$/),
        defaults.defaultImage,
      ),
      setup: optionalScript(),
      maintenance: optionalScript(),
      env: withDefault(envVariables(), {}),
      secrets: withDefault(secretNames(), []),
      packages: withDefault(packageVersions(), {}),
      cache: section({ ttl: withDefault(duration(), DEFAULT_CACHE_TTL_MS) }).transform((cache) => ({
        ttlMs: cache.ttl,
      })),
      history: withDefault(historySchema(), "full"),
      lfs: withDefault(z.boolean({ error: expected("true or false") }), false),
      submodules: withDefault(z.boolean({ error: expected("true or false") }), false),
    })
      .superRefine((environment, ctx) => {
        environment.secrets.forEach((name, index) => {
          if (Object.hasOwn(environment.env, name)) {
            ctx.addIssue({
              code: "custom",
              path: ["secrets", index],
              input: name,
              message: `${codeSpan(name)} is also set in \`environment.env\`; a variable is either plain or a secret`,
            });
          }
        });
      })
      // zod leaves out keys whose input was missing; RepoConfig promises `setup` is always present.
      .transform(({ image, setup, maintenance, env, secrets, packages, cache, history, lfs, submodules }) => ({
        image,
        setup,
        maintenance,
        env,
        secrets,
        packages,
        cache,
        history,
        lfs,
        submodules,
      }))
  );
}

/** `full`, or a number of commits such as `50`. */
function historySchema() {
  const error = expected("`full` or a number of commits such as `50`");
  return z.union(
    [
      z.literal("full"),
      z
        .number()
        .int()
        .positive()
        .transform((depth) => ({ depth })),
    ],
    { error },
  );
}

function optionalScript() {
  return orUndefined(z.string({ error: expected("a shell script") }).optional()).transform((script) =>
    script?.trim() ? script : undefined,
  );
}

/** `node: 20` and `python: "3.12"` alike; a version is matched as text against what the image offers. */
function packageVersions() {
  const version = z
    .union([z.string(), z.number()], { error: expected('a version such as `"20"` or `"3.12"`') })
    .transform(String)
    .pipe(z.string().regex(/^[\w.+-]+$/, { error: expected('a version such as `"20"` or `"3.12"`') }));
  return z.record(z.string().regex(PACKAGE_NAME_PATTERN), version, {
    error: (issue) =>
      issue.code === "invalid_key"
        ? `${describeValue(issue.input)} is not a package name (lowercase letters, digits, \`-\` and \`_\`)`
        : expectedMessage('a mapping of package: version, such as `node: "20"`', issue.input),
  });
}

function envVariables() {
  // Numbers and booleans are written unquoted in YAML all the time (`RETRIES: 3`); the process sees strings anyway.
  const value = z.union([z.string(), z.number(), z.boolean()], { error: expected("a string, number or boolean") });
  return z.record(z.string().regex(ENV_NAME_PATTERN), value.transform(String), {
    error: (issue) =>
      issue.code === "invalid_key"
        ? `${describeValue(issue.input)} is not a valid variable name (${ENV_NAME_RULE})`
        : expectedMessage("a mapping of NAME: value", issue.input),
  });
}

function secretNames() {
  const name = z.string({ error: expected(`a secret name (${ENV_NAME_RULE})`) }).regex(ENV_NAME_PATTERN);
  return z.array(name, { error: expected("a list of secret names") }).superRefine((names, ctx) => {
    names.forEach((name, index) => {
      if (names.indexOf(name) !== index) {
        ctx.addIssue({
          code: "custom",
          path: [index],
          input: name,
          message: `${codeSpan(name)} is listed more than once`,
        });
      }
    });
  });
}

function agentSchema(defaults: ConfigDefaults) {
  const runners = defaults.runners ?? AGENT_RUNNERS;
  const models = defaults.models;
  return section({
    runner: withDefault(
      z
        .enum(AGENT_RUNNERS, { error: expected(AGENT_RUNNERS.map(codeSpan).join(", ")) })
        .refine((runner) => runners.includes(runner), {
          error: (issue) =>
            `${codeSpan(String(issue.input))} is not allowed on this server (TASKBOX_RUNNERS: ${runners.map(codeSpan).join(", ")})`,
        }),
      "builtin",
    ),
    model: withDefault(
      z
        .string({ error: expected("a model name") })
        .trim()
        .min(1)
        .refine((model) => !models || models.includes(model), {
          error: (issue) =>
            `${codeSpan(String(issue.input))} is not allowed on this server (TASKBOX_MODELS: ${(models ?? []).map(codeSpan).join(", ")})`,
        }),
      defaults.defaultModel,
    ),
    max_turns: withDefault(positiveInteger(), DEFAULT_MAX_TURNS),
    max_tokens: withDefault(positiveInteger(), DEFAULT_MAX_TOKENS),
    context_tokens: withDefault(positiveInteger(), DEFAULT_CONTEXT_TOKENS),
  }).transform((agent) => ({
    runner: agent.runner,
    model: agent.model,
    maxTurns: agent.max_turns,
    maxTokens: agent.max_tokens,
    contextTokens: agent.context_tokens,
  }));
}

function limitsSchema() {
  return section({
    task_timeout: withDefault(duration(), DEFAULT_TASK_TIMEOUT_MS),
    command_timeout: withDefault(duration(), DEFAULT_COMMAND_TIMEOUT_MS),
  })
    .superRefine((limits, ctx) => {
      if (limits.command_timeout > limits.task_timeout) {
        ctx.addIssue({
          code: "custom",
          path: ["command_timeout"],
          input: limits.command_timeout,
          message:
            `${formatDuration(limits.command_timeout)} is longer than \`limits.task_timeout\` ` +
            `(${formatDuration(limits.task_timeout)}); a single command cannot outlast its task`,
        });
      }
    })
    .transform((limits) => ({ taskTimeoutMs: limits.task_timeout, commandTimeoutMs: limits.command_timeout }));
}

export const DEFAULT_TRIGGER_COMMAND = "/taskbox";
export const DEFAULT_TRIGGER_LABEL = "taskbox";

const COMMAND_RULE = "one word after `/` or `@` of letters, digits, `.`, `_` or `-` (such as `/taskbox`)";
const LABEL_RULE = "a label name of 1 to 50 characters";

// A command starts like a chat command, so the web process loads the config only for comments that could be one.
function triggersSchema() {
  return section({
    command: withDefault(
      z.string({ error: expected(COMMAND_RULE) }).regex(/^[/@][\w.-]{1,49}$/, { error: expected(COMMAND_RULE) }),
      DEFAULT_TRIGGER_COMMAND,
    ),
    label: withDefault(
      z
        .string({ error: expected(LABEL_RULE) })
        .trim()
        .min(1, { error: expected(LABEL_RULE) })
        .max(50, { error: expected(LABEL_RULE) }),
      DEFAULT_TRIGGER_LABEL,
    ),
  });
}

function internetSchema() {
  // YAML 1.1 parsers read a bare on/off as a boolean.
  const onOff = z.union([z.enum(["on", "off"]), z.boolean().transform((on) => (on ? "on" : "off"))], {
    error: expected("`on` or `off`"),
  });
  const access = z.union(
    [z.enum(["off", "limited", "unrestricted"]), z.literal(false).transform(() => "off" as const)],
    {
      error: expected("`off`, `limited` or `unrestricted`"),
    },
  );
  const allowRule = "a host such as `pypi.org`, a wildcard such as `*.npmjs.org`, or a preset name";
  const allowEntry = z.string({ error: expected(allowRule) }).transform((text, ctx) => {
    const result = parseAllowEntry(text);
    if (result.ok) return result.text;
    ctx.addIssue({ code: "custom", input: text, message: result.problem });
    return z.NEVER;
  });
  const methodRule = `one of ${HTTP_METHODS.map((method) => `\`${method}\``).join(", ")}`;
  const method = z
    .string({ error: expected(methodRule) })
    .transform((text) => text.trim().toUpperCase())
    .pipe(z.enum(HTTP_METHODS, { error: expected(methodRule) }));
  const unique = <T>(items: T[]) => [...new Set(items)];
  return section({
    setup: withDefault(onOff, "on"),
    agent: withDefault(access, "off"),
    allow: withDefault(
      z.array(allowEntry, { error: expected(`a list of entries, each ${allowRule}`) }).transform(unique),
      [],
    ),
    methods: withDefault(
      z.array(method, { error: expected(`a list of HTTP methods, each ${methodRule}`) }).transform(unique),
      DEFAULT_METHODS,
    ),
  });
}

function positiveInteger() {
  return z
    .number({ error: expected("a positive whole number") })
    .int()
    .positive();
}

function duration() {
  const expectation = "a duration such as `90s`, `10m`, `1h30m` or a number of seconds";
  return z.union([z.string(), z.number()], { error: expected(expectation) }).transform((value, ctx) => {
    const ms = parseDurationOrUndefined(value);
    if (ms !== undefined && ms > 0) return ms;
    const message =
      ms === 0 ? expectedMessage("a duration longer than zero", value) : expectedMessage(expectation, value);
    ctx.addIssue({ code: "custom", input: value, message });
    return z.NEVER;
  });
}

function parseDurationOrUndefined(value: string | number): number | undefined {
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

/** A strict mapping whose absence (or an empty `key:` in YAML, i.e. null) means "all defaults". */
function section<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.preprocess(
    (value) => value ?? {},
    z.strictObject(shape, {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? issue.keys.map((key) => unknownKeyMessage(key, known)).join("; ")
          : expected(`a mapping with the keys ${known.map((key) => `\`${key}\``).join(", ")}`)(issue),
    }),
  );
}

function withDefault<T extends z.ZodType>(schema: T, fallback: z.core.util.NoUndefined<z.output<T>>) {
  return orUndefined(schema.default(fallback));
}

/** YAML turns `key:` with nothing after it into null; treat it like a missing key. */
function orUndefined<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => value ?? undefined, schema);
}

function expected(what: string): ErrorFn {
  return (issue) => expectedMessage(what, issue.input);
}

function expectedMessage(what: string, input: unknown): string {
  return `expected ${what}, got ${describeValue(input)}`;
}

function unknownKeyMessage(key: string, known: string[]): string {
  const suggestion = closestMatch(key, known);
  return `unknown key ${codeSpan(key)}${suggestion === undefined ? "" : ` (did you mean \`${suggestion}\`?)`}`;
}

/** A short rendering of a config value for "got …" messages; code spans keep `@mentions` and markdown inert. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string")
    return codeSpan(JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value));
  return codeSpan(JSON.stringify(value) ?? typeof value);
}

export function closestMatch(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, previous[j]! + 1, current[j - 1]! + 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
