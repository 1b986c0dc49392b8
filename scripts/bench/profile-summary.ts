/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, e.g. the service under `BENCH_CPU_PROF=<dir>
 * npm run bench:http`): self time grouped by where the code lives (this service's modules, each
 * dependency, Node's internals, native work such as the garbage collector), then the heaviest functions,
 * in milliseconds per operation when an operation count is given:
 *   ts-node --transpile-only scripts/bench/profile-summary.ts <file.cpuprofile> [operations] [fromUs toUs]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: `src/<module>`, a package name, `node:internal`, or a V8 pseudo-frame. */
export function placeOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'anonymous'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/dist\/src\/([^/]+)/.exec(url) ?? /\/src\/([^/]+)/.exec(url);
  if (own) return `src/${own[1].replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return 'node (internals)';
  return url;
}

/** `window`: only the samples taken between these CLOCK_MONOTONIC microseconds (a scenario's, from http.ts). */
export function summarise(profile: Profile, operations: number, window?: [number, number]): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window[0] || at > window[1])) return;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const { callFrame } = byId.get(id)!;
    if (callFrame.functionName === '(idle)') continue;
    total += micros;
    const place = placeOf(callFrame.url, callFrame.functionName);
    places.set(place, (places.get(place) ?? 0) + micros);
    const name = `${callFrame.functionName || '(anonymous)'} ${place}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
  }
  const per = (micros: number) => (micros / 1000 / Math.max(1, operations)).toFixed(3);
  const share = (micros: number) => `${((100 * micros) / total).toFixed(1)} %`;
  const top = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, micros]) => `| ${name} | ${per(micros)} | ${share(micros)} |`);
  const unit = operations > 1 ? 'ms per operation' : 'ms';
  return [
    `CPU on the main thread (idle left out): ${per(total)} ${unit}`,
    '',
    `| where (self time) | ${unit} | share |`,
    '|---|---|---|',
    ...top(places, 20),
    '',
    `| function (self time) | ${unit} | share |`,
    '|---|---|---|',
    ...top(functions, 25),
  ].join('\n');
}

if (require.main === module) {
  const [file, operations, from, to] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [operations] [fromUs toUs]');
  const window = from && to ? ([Number(from), Number(to)] as [number, number]) : undefined;
  console.log(summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(operations ?? 1), window));
}
