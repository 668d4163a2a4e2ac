/**
 * The input report: every problem of a run, as data (the CLI prints it, the server returns it).
 * Errors make scores impossible or wrong; warnings leave the score official but deserve attention.
 */

export { problem, RuleError, RULES, type Problem, type RuleCode } from './rules.ts';
import type { Problem } from './rules.ts';

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

/** Collects per-file observations into one warning each. */
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
      let message: string;
      if (code === 'blue-channel') message = `${w.files} prediction file(s) have a non-zero blue channel; it is ignored (id = R + 256·G)`;
      else if (code === 'out-of-range-ids') {
        const ids = [...w.extra].sort((a, b) => a - b).join(', ');
        message = `${w.files} prediction file(s) contain ${w.pixels} pixel(s) with ids above ${classes} (${ids}); scored as the official code does: counted as foreground for F-measure, as a miss for IoU`;
      } else message = `${w.files} prediction file(s) are not in the names list and were not scored`;
      out.push({ code, message, files: w.files, ...(code === 'out-of-range-ids' ? { pixels: w.pixels } : {}), examples: w.examples });
    }
    return out;
  }
}
