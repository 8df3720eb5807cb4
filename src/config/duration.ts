const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const NUMBER = String.raw`\d+(?:\.\d+)?`;
// Units must appear in descending order, each at most once; spaces between parts are allowed so that
// formatDuration's output ("3m 05s") parses back.
const UNIT_DURATION = new RegExp(String.raw`^(?:(${NUMBER})h)?\s*(?:(${NUMBER})m)?\s*(?:(${NUMBER})s)?$`);
const PLAIN_SECONDS = new RegExp(`^${NUMBER}$`);

const EXPECTED = 'expected a number of seconds or a value like "90s", "10m", "1h" or "1h30m"';

/** Parses "90s", "10m", "1h", "1h30m" or a number of seconds into milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`invalid duration ${value}: ${EXPECTED}`);
    }
    return toMilliseconds(value * SECOND, value);
  }
  const text = value.trim();
  if (PLAIN_SECONDS.test(text)) return toMilliseconds(Number(text) * SECOND, value);
  const match = UNIT_DURATION.exec(text);
  if (text === "" || match === null) {
    throw new Error(`invalid duration ${JSON.stringify(value)}: ${EXPECTED}`);
  }
  const [, hours = "0", minutes = "0", seconds = "0"] = match;
  return toMilliseconds(Number(hours) * HOUR + Number(minutes) * MINUTE + Number(seconds) * SECOND, value);
}

function toMilliseconds(ms: number, original: string | number): number {
  const rounded = Math.round(ms);
  if (!Number.isSafeInteger(rounded)) {
    throw new Error(`invalid duration ${JSON.stringify(original)}: too long`);
  }
  return rounded;
}

/** Short human form for status comments: "1.2s", "3m 05s", "1h 02m" (truncated, never rounded up). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) {
    throw new RangeError(`cannot format duration ${ms}`);
  }
  // Elapsed times come from wall clocks that can step backwards; a status line must not fail over that.
  const clamped = Math.max(0, ms);
  if (clamped < MINUTE) return `${(Math.floor(clamped / 100) / 10).toFixed(1)}s`;
  if (clamped < HOUR) {
    return `${Math.floor(clamped / MINUTE)}m ${pad(Math.floor((clamped % MINUTE) / SECOND))}s`;
  }
  return `${Math.floor(clamped / HOUR)}h ${pad(Math.floor((clamped % HOUR) / MINUTE))}m`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
