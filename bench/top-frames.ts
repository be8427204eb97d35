/**
 * The top frames of a V8 CPU profile (from `pnpm bench --profile`), by self time and by total
 * time, with the file they live in — enough to see where a request's time goes without a viewer.
 *
 *   node bench/top-frames.ts bench/profiles/<run>/jwt.cpuprofile [count]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, countText] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/top-frames.ts <file.cpuprofile> [count]\n');
  process.exit(2);
}
const count = Number(countText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const where = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url.replace(process.cwd(), '.')}:${n.callFrame.lineNumber + 1}` : ''}`;
};

const self = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  all += dt;
  const node = byId.get(id);
  if (!node) return;
  self.set(where(node), (self.get(where(node)) ?? 0) + dt);
  // Each frame once per sample, however deep the recursion.
  const seen = new Set<string>();
  for (let n: ProfileNode | undefined = node; n; n = byId.get(parent.get(n.id) ?? -1)) {
    const key = where(n);
    if (seen.has(key)) continue;
    seen.add(key);
    total.set(key, (total.get(key) ?? 0) + dt);
  }
});

const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    process.stdout.write(`${((us / all) * 100).toFixed(1).padStart(5)}%  ${key}\n`);
  }
};
print('self time', self);
print('total time', total);
