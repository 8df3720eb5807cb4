import type Docker from "dockerode";
import type { TaskboxEnv } from "../env.js";
import { checkSandboxRuntime } from "../sandbox/sandbox-runtime.js";
import { nodeVersionProblem } from "./node-version.mjs";

export type CheckResult = { ok: true; detail: string } | { ok: false; detail: string; fix: string };

export interface DoctorCheck {
  name: string;
  run(): Promise<CheckResult>;
}

export interface DoctorDeps {
  env: TaskboxEnv;
  nodeVersion: string;
  hasAppCredentials: boolean;
  docker: Pick<Docker, "ping" | "info" | "getImage">;
  pingRedis(url: string): Promise<void>;
  /** Any HTTP answer counts as reachable; only a network error (or none within the timeout) does not. */
  reach(url: string): Promise<number>;
}

const ok = (detail: string): CheckResult => ({ ok: true, detail });
const failed = (detail: string, fix: string): CheckResult => ({ ok: false, detail, fix });
/** fetch says only "fetch failed"; its cause names the network error. */
const reason = (error: unknown): string =>
  error instanceof Error
    ? error.message + (error.cause instanceof Error ? `: ${error.cause.message}` : "")
    : String(error);

/** Everything a Taskbox host needs, in the order an operator would fix it; each failure says how to fix it. */
export function doctorChecks(deps: DoctorDeps): DoctorCheck[] {
  const { env, docker } = deps;
  const githubApi = env.GHE_HOST ? `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3` : "https://api.github.com";
  const modelApi = env.OPENAI_BASE_URL ?? "https://api.openai.com/v1";
  return [
    {
      name: "Node",
      run: () => {
        const problem = nodeVersionProblem(deps.nodeVersion);
        return Promise.resolve(problem ? failed(problem, "install Node 20 LTS or later") : ok(deps.nodeVersion));
      },
    },
    { name: "Redis", run: () => checkRedis(deps) },
    {
      name: "Docker",
      run: () =>
        docker.ping().then(
          () => ok("the engine answers"),
          (error: unknown) =>
            failed(
              `the Docker engine is not reachable (${reason(error)})`,
              "start it (`npm start` does, or `dockerd &` / `systemctl start docker` as root; apt-get install docker.io), or set DOCKER_HOST",
            ),
        ),
    },
    {
      name: "Sandbox image",
      run: () =>
        docker
          .getImage(env.TASKBOX_SANDBOX_IMAGE)
          .inspect()
          .then(
            () => ok(env.TASKBOX_SANDBOX_IMAGE),
            () => failed(`${env.TASKBOX_SANDBOX_IMAGE} is missing`, "build it: npm run sandbox:build"),
          ),
    },
    {
      name: "Sandbox runtime",
      run: () =>
        checkSandboxRuntime(docker as Docker, env.TASKBOX_RUNTIME).then(
          () => ok(env.TASKBOX_RUNTIME ?? "the engine's default (runc)"),
          (error: unknown) =>
            failed(
              reason(error),
              `register it: node scripts/register-runtime.mjs /etc/docker/daemon.json ${env.TASKBOX_RUNTIME} /usr/bin/runsc, then restart dockerd`,
            ),
        ),
    },
    {
      name: "CA bundle",
      run: () =>
        Promise.resolve(
          ok(env.TASKBOX_CA_BUNDLE ? `sandboxes trust ${env.TASKBOX_CA_BUNDLE}` : "none (only the images' own CAs)"),
        ),
    },
    {
      name: "App credentials",
      run: () =>
        Promise.resolve(
          deps.hasAppCredentials
            ? ok("APP_ID and a private key are set")
            : failed(
                "APP_ID or the private key is missing",
                "register the app through the setup page (`npm start`, then http://localhost:3000), or set APP_ID and PRIVATE_KEY_PATH",
              ),
        ),
    },
    {
      name: "Model key",
      run: () =>
        Promise.resolve(
          env.OPENAI_API_KEY
            ? ok("OPENAI_API_KEY is set")
            : failed("OPENAI_API_KEY is not set", "set OPENAI_API_KEY (any value for servers without keys)"),
        ),
    },
    { name: "GitHub API", run: () => checkReachable(deps, githubApi, "GHE_HOST") },
    { name: "Model API", run: () => checkReachable(deps, `${modelApi}/models`, "OPENAI_BASE_URL") },
  ];
}

async function checkRedis(deps: DoctorDeps): Promise<CheckResult> {
  const url = deps.env.REDIS_URL;
  try {
    await deps.pingRedis(url);
    return ok(`answers at ${url}`);
  } catch (error) {
    const { hostname, port } = new URL(url);
    const local = ["127.0.0.1", "localhost", "::1", "[::1]"].includes(hostname);
    const fix = local
      ? `start it: \`npm start\` starts one, or redis-server --port ${port || 6379} --appendonly yes --maxmemory-policy noeviction --daemonize yes (apt-get install redis-server)`
      : `start Redis at ${hostname}:${port || 6379}, or point REDIS_URL at a running one`;
    return failed(`not reachable at ${url} (${reason(error)})`, fix);
  }
}

async function checkReachable(deps: DoctorDeps, url: string, setting: string): Promise<CheckResult> {
  try {
    return ok(`${url} answers (HTTP ${await deps.reach(url)})`);
  } catch (error) {
    return failed(
      `${url} is not reachable (${reason(error)})`,
      `allow outbound HTTPS to it, check ${setting}, and behind a TLS-intercepting proxy trust its CA (NODE_EXTRA_CA_CERTS)`,
    );
  }
}

/** Runs every check and prints one line each (and the fix under each failure); true when all passed. */
export async function runDoctor(checks: DoctorCheck[], write: (line: string) => void): Promise<boolean> {
  let allOk = true;
  for (const check of checks) {
    const result = await check.run();
    write(`${result.ok ? "ok  " : "FAIL"} ${check.name}: ${result.detail}`);
    if (!result.ok) {
      allOk = false;
      write(`     fix: ${result.fix}`);
    }
  }
  return allOk;
}
