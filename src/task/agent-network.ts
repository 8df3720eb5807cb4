import { codeSpan } from "../config/format-issues.js";
import type { EgressDecision, EgressProxy } from "../sandbox/egress-proxy.js";
import { compileEgressPolicy } from "../config/network-policy.js";
import type { ModelGateway } from "../sandbox/model-gateway-factory.js";
import { proxyEnvironment } from "../sandbox/sandbox-network.js";
import type { Sandbox } from "../sandbox/types.js";
import type { TaskScope } from "./task-scope.js";

/** Room for the list in one status note (render-status cuts notes at 300 characters). */
const NOTE_LIST_BUDGET = 170;

/** Whether a sandbox whose setup or maintenance script wants the network gets it: `internet.setup: off` says no. */
export function setupHasInternet(scope: TaskScope, wanted: boolean): boolean {
  return wanted && scope.job.config.internet.setup === "on";
}

/**
 * Puts the sandbox on the agent phase's network (`internet.agent`). For `limited` this starts the task's egress
 * proxy, which is removed when the task ends; every request it denies is logged and listed in a note of the status
 * comment. With a model gateway (a CLI runner), the gateway answers on that network too (for `off`, the gateway's own
 * network is the sandbox's only one), and the result says where, with the NO_PROXY that keeps the CLI off the proxy.
 */
export async function connectAgentNetwork(
  scope: TaskScope,
  sandbox: Sandbox,
  gateway?: ModelGateway,
): Promise<{ gatewayUrl?: string; env: Record<string, string> }> {
  const { internet } = scope.job.config;
  if (internet.agent === "off") {
    await sandbox.setNetwork(gateway ? { mode: "internal", networkName: gateway.networkName } : { mode: "off" });
    return { gatewayUrl: gateway?.url, env: {} };
  }
  if (internet.agent === "unrestricted") {
    await sandbox.setNetwork({ mode: "open" });
    return { gatewayUrl: gateway && (await gateway.join(sandbox.networkName!)), env: {} };
  }
  const proxy = await startEgressProxy(scope);
  await sandbox.setNetwork({ mode: "limited", networkName: proxy.networkName, proxyUrl: proxy.proxyUrl });
  if (!gateway) return { env: {} };
  const gatewayUrl = await gateway.join(proxy.networkName);
  const noProxy = `${proxyEnvironment(proxy.proxyUrl).NO_PROXY},${new URL(gatewayUrl).hostname}`;
  return { gatewayUrl, env: { NO_PROXY: noProxy, no_proxy: noProxy } };
}

async function startEgressProxy(scope: TaskScope): Promise<EgressProxy> {
  const starting = scope.deps.egressProxies.start({
    taskId: scope.job.taskId,
    policy: compileEgressPolicy(scope.job.config.internet),
    onDenied: deniedRequestsNote(scope),
  });
  // Registered before the start settles, so however the task ends, a proxy that did start is removed.
  scope.defer(async () => {
    const proxy = await starting.catch(() => undefined);
    await proxy?.stop();
  });
  return starting;
}

/** Keeps one note in the task's status that lists what the proxy denied, so a maintainer knows what to allow. */
function deniedRequestsNote(scope: TaskScope): (decision: EgressDecision) => void {
  const hosts = new Set<string>();
  const methods = new Set<string>();
  let note: string | undefined;
  return (decision) => {
    const before = hosts.size + methods.size;
    if (decision.reason === "method") methods.add(`${decision.method} ${decision.host}`);
    else hosts.add(decision.reason === "sni" && decision.serverName ? decision.serverName : decision.host);
    if (hosts.size + methods.size === before) return;
    const next = renderDeniedNote([...hosts], [...methods]);
    const others = (scope.status.notes ?? []).filter((existing) => existing !== note);
    scope.status.notes = [...others, next];
    note = next;
    scope.updater.update(scope.status);
  };
}

export function renderDeniedNote(hosts: string[], methods: string[]): string {
  const parts: string[] = [];
  if (hosts.length > 0)
    parts.push(
      `hosts not in \`internet.allow\`: ${listWithin(hosts, NOTE_LIST_BUDGET / (methods.length > 0 ? 2 : 1))}`,
    );
  if (methods.length > 0)
    parts.push(
      `methods not in \`internet.methods\`: ${listWithin(methods, NOTE_LIST_BUDGET / (hosts.length > 0 ? 2 : 1))}`,
    );
  return `The egress proxy (\`internet.agent: limited\`) denied requests to ${parts.join("; ")}.`;
}

function listWithin(items: string[], budget: number): string {
  const shown: string[] = [];
  let used = 0;
  for (const item of items) {
    // Names come from the agent's requests: printable ASCII only, in a code span they cannot close.
    const span = codeSpan(item.replace(/[^\x20-\x7e]/g, "?"));
    if (shown.length > 0 && used + span.length + 2 > budget) break;
    shown.push(span);
    used += span.length + 2;
  }
  const rest = items.length - shown.length;
  return rest > 0 ? `${shown.join(", ")} and ${rest} more` : shown.join(", ");
}
