/**
 * An image offers runtime versions by listing them in this label, e.g. {"node":["18","20","22"],"python":["3.11"]},
 * and by holding each one's executables in /opt/taskbox/<name>/<version>/bin.
 */
export const PACKAGES_LABEL = "taskbox.packages";

export type OfferedPackages = Record<string, string[]>;

/** Sourced by every login shell after /etc/profile has reset PATH, and named to come after other profile scripts. */
export const PACKAGE_PROFILE_PATH = "/etc/profile.d/zz-taskbox-packages.sh";

function packageBinDir(name: string, version: string): string {
  return `/opt/taskbox/${name}/${version}/bin`;
}

/** The label's content, or undefined when the image has none (or a malformed one). */
export function parseOfferedPackages(label: string | undefined): OfferedPackages | undefined {
  if (label === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(label);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const offered: OfferedPackages = {};
  for (const [name, versions] of Object.entries(parsed)) {
    if (Array.isArray(versions)) offered[name] = versions.filter((v): v is string => typeof v === "string");
  }
  return offered;
}

function describeOffered(offered: OfferedPackages | undefined): string {
  const entries = Object.entries(offered ?? {}).filter(([, versions]) => versions.length > 0);
  if (entries.length === 0) return "no selectable versions";
  return entries.map(([name, versions]) => `${name} ${versions.join(", ")}`).join("; ");
}

export type PackageSelection = { ok: true; binDirs: string[] } | { ok: false; error: string };

/**
 * Checks the requested versions against what the image offers. Matching is on the text, so `python: 3.10` written
 * without quotes (the number 3.1 in YAML) is reported with what is offered instead of picking something else.
 */
export function selectPackages(
  requested: Record<string, string>,
  offered: OfferedPackages | undefined,
  image: string,
): PackageSelection {
  const names = Object.keys(requested).sort();
  if (names.length === 0) return { ok: true, binDirs: [] };
  const missing = names.filter((name) => !offered?.[name]?.includes(requested[name]!));
  if (missing.length === 0) return { ok: true, binDirs: names.map((name) => packageBinDir(name, requested[name]!)) };
  const asked = missing.map((name) => `${name} ${requested[name]}`).join(", ");
  const offers =
    offered === undefined
      ? `it does not list its versions (no \`${PACKAGES_LABEL}\` label)`
      : `it offers ${describeOffered(offered)}`;
  return {
    ok: false,
    error:
      `\`environment.packages\` asks for ${asked}, which the image \`${image}\` does not offer: ${offers}. ` +
      'Pick an offered version (quote it in YAML, e.g. `python: "3.10"`), or use an image that has it.',
  };
}

/** A root command that writes the PATH profile for the selected versions (the first directory wins). */
export function packageProfileCommand(binDirs: string[]): string {
  const line = `export PATH="${binDirs.join(":")}:$PATH"`;
  return `printf '%s\\n' '# Taskbox: environment.packages' '${line}' > ${PACKAGE_PROFILE_PATH}`;
}
