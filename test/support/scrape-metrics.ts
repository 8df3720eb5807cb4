import parsePrometheusTextFormat from "parse-prometheus-text-format";

/**
 * GET /metrics, parsed as Prometheus text: `name{label="value",...}` (labels sorted) to its value; a histogram
 * sample is listed as `name_count{...}`. Parsing fails the test on malformed text.
 */
export async function scrapeMetrics(baseUrl: string): Promise<Map<string, number>> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const samples = new Map<string, number>();
  for (const family of parsePrometheusTextFormat(await response.text())) {
    for (const sample of family.metrics) {
      const labels = Object.entries(sample.labels ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => `${key}="${value}"`)
        .join(",");
      const name = family.type === "HISTOGRAM" || family.type === "SUMMARY" ? `${family.name}_count` : family.name;
      samples.set(`${name}{${labels}}`, Number(sample.value ?? sample.count));
    }
  }
  return samples;
}

/** How much a sample grew between two scrapes (a sample absent before counts as 0). */
export function growth(before: Map<string, number>, after: Map<string, number>, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}
