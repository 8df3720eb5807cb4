export interface Scrape {
  /** Metric family → its TYPE line (counter, gauge, histogram, ...). */
  types: Map<string, string>;
  /** `name{label="value",...}` (labels sorted, a histogram's `_count`/`_sum`/`_bucket` as their own names) → value. */
  samples: Map<string, number>;
}

const SAMPLE = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([A-Za-z_]\w*)="((?:[^"\\]|\\.)*)"/g;
const TYPE = /^# TYPE ([A-Za-z_:][\w:]*) (counter|gauge|histogram|summary|untyped)$/;

/**
 * GET /metrics, parsed as Prometheus text: every line is a comment, a TYPE line or a sample, or the parse fails.
 * (parse-prometheus-text-format was tried: it drops the labels of labelled histograms and refuses BullMQ's lines.)
 */
export async function scrapeMetrics(baseUrl: string): Promise<Scrape> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    const type = TYPE.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.trim() === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels = [...(match[2] ?? "").matchAll(LABEL)]
      .map(([, key, value]) => `${key}="${value}"`)
      .sort()
      .join(",");
    const value = Number(match[3]);
    if (Number.isNaN(value) && match[3] !== "NaN") throw new Error(`not a sample value: ${line}`);
    samples.set(`${match[1]}{${labels}}`, value);
  }
  return { types, samples };
}

/** How much a sample grew between two scrapes (a sample absent before counts as 0). */
export function growth(before: Scrape, after: Scrape, key: string): number {
  return (after.samples.get(key) ?? 0) - (before.samples.get(key) ?? 0);
}
