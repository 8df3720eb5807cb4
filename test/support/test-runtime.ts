/**
 * The OCI runtime integration tests run sandboxes under: the vitest project `integration-runsc` sets TASKBOX_RUNTIME
 * (gVisor); otherwise the engine's default (runc).
 */
export const TEST_RUNTIME: string | undefined = process.env.TASKBOX_RUNTIME || undefined;

/** Prints the sandbox's network interfaces one per line; gVisor has no /sys/class/net, both have /proc/net/dev. */
export const LIST_INTERFACES = "awk -F: 'NR > 2 { gsub(/ /, \"\", $1); print $1 }' /proc/net/dev";

/**
 * The lines of /proc/self/status that show a sandbox process is unprivileged. gVisor reports no NoNewPrivs line and
 * Seccomp 0 (its own kernel is what the host filters), so under it only the capabilities are checked.
 */
export const UNPRIVILEGED_STATUS =
  TEST_RUNTIME === "runsc" ? /CapEff:\s+0{16}\n/ : /CapEff:\s+0{16}\nNoNewPrivs:\s+1\nSeccomp:\s+2/;
