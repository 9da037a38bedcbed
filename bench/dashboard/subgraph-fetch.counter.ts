/**
 * The gateway's own count of its subgraph fetches so far, keyed "<subgraph> <outcome>",
 * read from the `tongban_subgraph_fetch_duration_seconds` histogram on /metrics.
 */
export async function subgraphFetchCounts(metricsUrl: string): Promise<Record<string, number>> {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${metricsUrl} answered HTTP ${response.status}`);
  const counts: Record<string, number> = {};
  for (const [, labels, value] of (await response.text()).matchAll(/^tongban_subgraph_fetch_duration_seconds_count\{([^}]*)\} (\d+)$/gm)) {
    const subgraph = /subgraph="([^"]+)"/.exec(labels!)?.[1];
    const outcome = /outcome="([^"]+)"/.exec(labels!)?.[1];
    if (!subgraph || !outcome) throw new Error(`unexpected labels on the subgraph fetch histogram: ${labels}`);
    counts[`${subgraph} ${outcome}`] = Number(value);
  }
  return counts;
}

/** What happened between two readings: the fetches made, without those that stayed at zero. */
export function fetchesBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([key, n]) => [key, n - (before[key] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}
