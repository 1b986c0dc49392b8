import type { TestApp } from './app';

/** One scrape of /metrics: every sample by `name{labels}` (labels as exposed, sorted by prom-client's order). */
export interface Scrape {
  samples: Map<string, number>;
  /** The metric families the service declares (`# TYPE` lines), whether or not they have a sample yet. */
  families: Map<string, string>;
  /** Every name a PromQL expression may use: families, plus `_bucket`, `_sum` and `_count` of histograms. */
  names(): Set<string>;
  /** A sample's value; 0 when the series does not exist yet (a counter never incremented). */
  value(series: string): number;
}

export async function scrapeMetrics(t: TestApp): Promise<Scrape> {
  const response = await fetch(`${t.baseUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  const samples = new Map<string, number>();
  const families = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1], type[2]);
    if (line.length === 0 || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return {
    samples,
    families,
    names: () => {
      const names = new Set<string>();
      for (const [name, type] of families) {
        names.add(name);
        if (type === 'histogram' || type === 'summary')
          for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      }
      return names;
    },
    value: (series) => samples.get(series) ?? 0,
  };
}

/** How much each series moved between two scrapes. */
export function movedBy(before: Scrape, after: Scrape, series: string[]): Record<string, number> {
  return Object.fromEntries(series.map((name) => [name, after.value(name) - before.value(name)]));
}
