/**
 * What the server hosts: the indexed splits and their benchmarks (split × protocol × phase).
 * With no IMAGENETS_ROOT, the synthetic mini split is generated under DATA_DIR and hosted, so a
 * fresh install accepts its first upload at once. A benchmark whose GT has problems that would
 * make scores wrong is not opened.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { indexRoot, type SplitIndex } from '../../datasets/imagenet-s/dataset-index.ts';
import { writeMiniSplit } from '../../datasets/imagenet-s/mini.ts';
import type { ClassInfo } from '../../datasets/imagenet-s/splits.ts';

export const PROTOCOLS = ['fully-unsupervised', 'distance-matching', 'semi-supervised', 'free'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export const PHASES = ['validation', 'test'] as const;
/** Subsets whose masks may be served or shown; test ground truth never leaves the server, by any route. */
export const PUBLIC_MASK_SUBSETS: ReadonlySet<string> = new Set(['validation', 'train-semi']);
export type Phase = (typeof PHASES)[number];

export interface HostedSplit {
  /** URL id: lower-case split name, e.g. imagenets50 */
  id: string;
  name: string;
  dir: string;
  classes: ClassInfo[];
  index: SplitIndex;
}

export interface Benchmark {
  id: string;
  split: HostedSplit;
  protocol: Protocol;
  phase: Phase;
  classes: number;
  /** GT masks in names-list order. */
  masks: string[];
  sizes: Map<string, [number, number]>;
  gtDir: string;
  /**
   * The GT never leaves the server (test phases): checks look at the prediction alone, the quota is
   * shared by the benchmarks of this GT, and per-class results are the owner's.
   */
  gtPrivate: boolean;
  /** Why the benchmark is closed, when it is. */
  closed?: string;
}

export class Catalogue {
  readonly splits = new Map<string, HostedSplit>();
  readonly benchmarks = new Map<string, Benchmark>();
  /** The dataset root the splits were indexed from (the demo's under DATA_DIR when none is set). */
  root: string | null = null;

  static async load(opts: { root?: string; toolbox?: string; dataDir: string; onLog?: (msg: string, extra?: object) => void }): Promise<Catalogue> {
    let root = opts.root;
    if (!root) {
      root = join(opts.dataDir, 'demo-dataset');
      if (!existsSync(join(root, 'ImageNetSmini', 'classes.json'))) {
        await writeMiniSplit(root, { seed: 1 });
        opts.onLog?.('generated the synthetic mini split', { root });
      }
    }
    const index = await indexRoot(root, { toolbox: opts.toolbox, cache: join(opts.dataDir, 'index-cache.json') });
    const cat = new Catalogue();
    cat.root = root;
    for (const s of index.splits) {
      const split: HostedSplit = { id: s.name.toLowerCase(), name: s.name, dir: s.dir, classes: s.classes, index: s };
      cat.splits.set(split.id, split);
      for (const phase of PHASES) {
        const sub = s.subsets[phase];
        if (!sub || sub.masks === 0) continue; // no GT for this phase on this host
        const errors = s.problems.filter((p) => p.severity === 'error' && (p.file === s.name || p.file.startsWith(`${s.name}/${phase}`)));
        for (const protocol of PROTOCOLS) {
          const b: Benchmark = {
            id: `${split.id}.${protocol}.${phase}`, split, protocol, phase, classes: s.classes.length,
            masks: sub.list, sizes: sub.sizes ?? new Map(), gtDir: join(s.dir, `${phase}-segmentation`),
            gtPrivate: phase === 'test',
          };
          if (errors.length) b.closed = `the ground truth has ${errors.length} problem(s) that would make scores wrong (e.g. ${errors[0].file}: ${errors[0].problem})`;
          cat.benchmarks.set(b.id, b);
        }
      }
      if (s.problems.length) opts.onLog?.('dataset problems', { split: s.name, problems: s.problems.length, errors: s.problems.filter((p) => p.severity === 'error').length });
    }
    return cat;
  }

  /** The benchmarks scored against the same GT as `b` (its split and phase, all protocols). */
  sameGt(b: Benchmark): Benchmark[] {
    return [...this.benchmarks.values()].filter((x) => x.split === b.split && x.phase === b.phase);
  }

  /** The other phase of `b`'s split and protocol (validation ↔ test), where hosted: a method's rows there link to its rows here. */
  counterpart(b: Benchmark): Benchmark | undefined {
    return [...this.benchmarks.values()].find((x) => x.split === b.split && x.protocol === b.protocol && x.phase !== b.phase);
  }

  /** The fully-unsupervised protocol predicts its own ids: a match is computed (validation) or required (test). */
  static needsMatch(b: Benchmark): 'auto' | 'required' | 'none' {
    if (b.protocol !== 'fully-unsupervised') return 'none';
    return b.phase === 'validation' ? 'auto' : 'required';
  }
}
