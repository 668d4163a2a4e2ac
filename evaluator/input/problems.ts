/**
 * The input report: every problem of a run, as data (the CLI prints it, the server returns it).
 * Errors make scores impossible or wrong; warnings leave the score official but deserve attention.
 */

import { RULES, type Problem } from './rules.ts';

/** The run-wide warnings (rules.ts). */
export type WarningCode = 'blue-channel' | 'out-of-range-ids' | 'extra-files';

export interface Warning {
  code: WarningCode;
  message: string;
  files: number;
  pixels?: number;
  /** A few example files, for the report. */
  examples: string[];
}

export class InputError extends Error {
  constructor(
    message: string,
    readonly problems: Problem[],
  ) {
    super(message);
    this.name = 'InputError';
  }
}

const EXAMPLES = 5;

/** Collects per-file observations into one warning each (messages from the rule table). */
export class WarningCollector {
  private readonly byCode = new Map<WarningCode, { files: number; pixels: number; examples: string[]; extra: Set<number> }>();

  add(code: WarningCode, file: string, pixels = 0, ids: number[] = []): void {
    let w = this.byCode.get(code);
    if (!w) this.byCode.set(code, (w = { files: 0, pixels: 0, examples: [], extra: new Set() }));
    w.files++;
    w.pixels += pixels;
    if (w.examples.length < EXAMPLES) w.examples.push(file);
    for (const id of ids) if (w.extra.size < 32) w.extra.add(id);
  }

  list(classes: number): Warning[] {
    const out: Warning[] = [];
    for (const [code, w] of this.byCode) {
      const ids = [...w.extra].sort((a, b) => a - b);
      const message = code === 'out-of-range-ids'
        ? RULES[code].message({ files: w.files, pixels: w.pixels, ids, classes })
        : RULES[code].message({ files: w.files });
      out.push({ code, message, files: w.files, ...(code === 'out-of-range-ids' ? { pixels: w.pixels } : {}), examples: w.examples });
    }
    return out;
  }
}
