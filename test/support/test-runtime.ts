/**
 * The OCI runtime integration tests run sandboxes under: the vitest project `integration-runsc` sets TASKBOX_RUNTIME
 * (gVisor); otherwise the engine's default (runc).
 */
export const TEST_RUNTIME: string | undefined = process.env.TASKBOX_RUNTIME || undefined;
