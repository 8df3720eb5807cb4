/**
 * Titles, descriptions, examples and YAML defaults of every `.github/taskbox.yml` field, by dotted path, for the
 * published JSON Schema (editor completion and hover text). Defaults are written as the YAML would spell them:
 * the zod schema's own defaults are the parsed values (milliseconds, not "30m").
 */
export interface FieldDoc {
  title: string;
  description: string;
  examples: unknown[];
  default?: unknown;
}

export const ROOT_DOC = {
  title: "Taskbox repository configuration",
  description:
    "`.github/taskbox.yml`: how Taskbox prepares this repository's sandbox, runs the agent and is triggered. " +
    "Every key is optional; a missing file means all defaults. Unknown keys are errors.",
};

/** Read by Probot before Taskbox sees the file, so it is not part of the zod schema. */
export const EXTENDS_PROPERTY = {
  title: "Extend another configuration",
  description:
    "Base this file on another repository's .github/taskbox.yml: `repo`, `owner/repo` or `owner/repo:path.yml`. " +
    "Lists in this file replace the base's.",
  examples: ["octo/.github", "octo/shared-config:taskbox/base.yml"],
  type: "string",
};

export const FIELD_DOCS: Record<string, FieldDoc> = {
  environment: {
    title: "Environment",
    description: "The sandbox: image, setup script, variables, secrets, runtime versions and caching.",
    examples: [{ setup: "npm ci", packages: { node: "20" } }],
  },
  "environment.image": {
    title: "Sandbox image",
    description: "Docker image the sandbox starts from. Default: the server's TASKBOX_SANDBOX_IMAGE.",
    examples: ["taskbox-sandbox:latest", "ghcr.io/octo/dev-image:2026-11"],
    default: "taskbox-sandbox:latest",
  },
  "environment.setup": {
    title: "Setup script",
    description:
      "Shell script run once per environment version (bash -lc in /workspace, as user taskbox) with internet, " +
      "`env` and `secrets`; the result is cached. Without one, Taskbox detects and installs dependencies itself.",
    examples: ["npm ci", "pip install -r requirements.txt\npip install -e ."],
  },
  "environment.maintenance": {
    title: "Maintenance script",
    description: "Shell script run when a cached environment is resumed, after the new checkout is in place.",
    examples: ["npm install"],
  },
  "environment.env": {
    title: "Environment variables",
    description: "Plain NAME: value variables for setup, maintenance and agent commands. Never put secrets here.",
    examples: [{ NODE_ENV: "test", RETRIES: 3 }],
    default: {},
  },
  "environment.secrets": {
    title: "Secrets",
    description:
      "Names from the server's secrets file (TASKBOX_SECRETS_FILE) given to setup and maintenance only, " +
      "never to the agent.",
    examples: [["NPM_TOKEN"]],
    default: [],
  },
  "environment.packages": {
    title: "Runtime versions",
    description: "Versions put first on PATH; the image must offer them (its taskbox.packages label). Quote versions.",
    examples: [{ node: "20", python: "3.11" }],
    default: {},
  },
  "environment.cache": {
    title: "Environment cache",
    description: "How long a prepared environment is reused by later tasks.",
    examples: [{ ttl: "12h" }],
  },
  "environment.cache.ttl": {
    title: "Cache lifetime",
    description: "Duration (s, m, h, such as 1h30m, or a number of seconds) a prepared environment is reused.",
    examples: ["12h", "30m"],
    default: "12h",
  },
  "environment.history": {
    title: "Repository history",
    description:
      "How much history the sandbox's repository holds: `full` (every commit, so git log, blame and bisect work offline) or a number of the newest commits.",
    examples: ["full", 50],
    default: "full",
  },
  "environment.lfs": {
    title: "Git LFS",
    description: "Fetch Git LFS objects on the host. Not acted on yet: the status comment says so.",
    examples: [true],
    default: false,
  },
  "environment.submodules": {
    title: "Submodules",
    description: "Check out submodules of the repository's own owner. Not acted on yet: the status comment says so.",
    examples: [true],
    default: false,
  },
  agent: {
    title: "Agent",
    description: "The model and the budget of each task.",
    examples: [{ model: "gpt-5.1", max_turns: 50 }],
  },
  "agent.runner": {
    title: "Agent runner",
    description:
      "What runs the task: Taskbox's builtin loop, or the Codex or Claude Code CLI inside the sandbox (docs/agents.md). " +
      "The server may allow fewer (TASKBOX_RUNNERS).",
    examples: ["builtin", "codex", "claude-code"],
    default: "builtin",
  },
  "agent.model": {
    title: "Model",
    description:
      "Model name passed to the runner. Default: the server's TASKBOX_MODEL; the server may allow only some (TASKBOX_MODELS).",
    examples: ["gpt-5.1"],
    default: "gpt-5.1",
  },
  "agent.max_turns": {
    title: "Maximum turns",
    description: "Model calls per task.",
    examples: [50, 100],
    default: 50,
  },
  "agent.max_tokens": {
    title: "Token budget",
    description: "Tokens for the whole task; reaching it ends the task with a clear failure.",
    examples: [2000000],
    default: 2000000,
  },
  "agent.context_tokens": {
    title: "Context size",
    description: "Builtin runner only: older command output is elided as the conversation nears this many tokens.",
    examples: [200000],
    default: 200000,
  },
  limits: {
    title: "Limits",
    description: "Timeouts of the whole task and of each agent command.",
    examples: [{ task_timeout: "30m", command_timeout: "10m" }],
  },
  "limits.task_timeout": {
    title: "Task timeout",
    description: "Longest a whole task may take (s, m, h, such as 1h30m, or a number of seconds).",
    examples: ["30m", "1h"],
    default: "30m",
  },
  "limits.command_timeout": {
    title: "Command timeout",
    description: "Longest one agent command may take; at most task_timeout.",
    examples: ["10m", "90s"],
    default: "10m",
  },
  triggers: {
    title: "Triggers",
    description: "The comment command word and the label that start tasks.",
    examples: [{ command: "/agent", label: "agent" }],
  },
  "triggers.command": {
    title: "Command word",
    description: "One word starting with / or @ that starts a comment task or command.",
    examples: ["/taskbox", "@taskbox"],
    default: "/taskbox",
  },
  "triggers.label": {
    title: "Trigger label",
    description: "Label that starts a task on an issue or pull request (1 to 50 characters).",
    examples: ["taskbox"],
    default: "taskbox",
  },
  internet: {
    title: "Internet access",
    description: "Network of each phase, enforced by Docker.",
    examples: [{ setup: "on", agent: "limited", allow: ["common-dependencies"] }],
  },
  "internet.setup": {
    title: "Setup network",
    description: "Network for setup and maintenance scripts: on or off.",
    examples: ["on", "off"],
    default: "on",
  },
  "internet.agent": {
    title: "Agent network",
    description: "Network for agent commands: off, limited (through an allowlisting proxy) or unrestricted.",
    examples: ["off", "limited"],
    default: "off",
  },
  "internet.allow": {
    title: "Allowed hosts",
    description: "For agent: limited. Hosts (pypi.org), wildcards (*.npmjs.org) or preset names (common-dependencies).",
    examples: [["pypi.org", "*.npmjs.org", "common-dependencies"]],
    default: [],
  },
  "internet.methods": {
    title: "Allowed HTTP methods",
    description: "For agent: limited, plain HTTP only (HTTPS methods are inside TLS).",
    examples: [["GET", "HEAD", "OPTIONS"]],
    default: ["GET", "HEAD", "OPTIONS"],
  },
};
