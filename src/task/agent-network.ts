import type { EgressDecision, EgressProxy } from "../sandbox/egress-proxy.js";
import { compileEgressPolicy } from "../config/network-policy.js";
import type { ModelGateway } from "../sandbox/model-gateway-factory.js";
import { proxyEnvironment } from "../sandbox/sandbox-network.js";
import type { Sandbox } from "../sandbox/types.js";
import { metrics } from "../metrics/metrics.js";
import { DeniedRequests, describeDenial } from "./denied-requests.js";
import type { TaskScope } from "./task-scope.js";

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

/** Keeps one note in the task's status that lists what the proxy denied and why, so a maintainer knows what to allow. */
function deniedRequestsNote(scope: TaskScope): (decision: EgressDecision) => void {
  const denied = new DeniedRequests();
  let shown: string[] = [];
  return (decision) => {
    metrics.egressDenials.inc({ reason: decision.reason ?? "host" });
    if (!denied.add(decision)) return;
    // Only distinct denials, which are bounded: a flood of one request costs the transcript nothing.
    const { entry, reason } = describeDenial(decision);
    scope.transcript.append({ type: "denied", host: entry, reason });
    const others = (scope.status.notes ?? []).filter((existing) => !shown.includes(existing));
    shown = denied.notes();
    scope.status.notes = [...others, ...shown];
    scope.updater.update(scope.status);
  };
}
