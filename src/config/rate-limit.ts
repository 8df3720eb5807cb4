import { parseDuration } from "./duration.js";

/** At most `max` task starts per sliding window of `windowMs`. */
export interface RateLimit {
  max: number;
  windowMs: number;
}

const RATE_LIMIT_FORMAT = 'expected "<count>/<window>" such as "20/1h" or "5/10m", or "off"';

/** Parses "20/1h" (20 starts per hour); "off" or "0" means no limit (undefined). */
export function parseRateLimit(text: string): RateLimit | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "off" || trimmed === "0") return undefined;
  const match = /^(\d+)\s*\/\s*(.+)$/.exec(trimmed);
  if (!match) throw new Error(`invalid rate limit ${JSON.stringify(text)}: ${RATE_LIMIT_FORMAT}`);
  const max = Number(match[1]);
  let windowMs: number;
  try {
    windowMs = parseDuration(match[2]!);
  } catch {
    throw new Error(`invalid rate limit ${JSON.stringify(text)}: ${RATE_LIMIT_FORMAT}`);
  }
  if (max < 1 || windowMs < 1000) throw new Error(`invalid rate limit ${JSON.stringify(text)}: ${RATE_LIMIT_FORMAT}`);
  return { max, windowMs };
}
