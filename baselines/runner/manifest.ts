/**
 * A converted baseline's manifest (baselines/convert/convert.py) and the execution-provider names:
 * what the server needs to register a baseline, with no ONNX Runtime loaded (model.ts loads it, in
 * the baseline thread, when a run starts).
 */
import { z } from 'zod';

export const Manifest = z.object({
  arch: z.string(), name: z.string().optional(), family: z.enum(['pass', 'imagenetsegmodel']), classes: z.number().int(),
  size: z.record(z.string(), z.unknown()).optional(),
  /** The published recipe the checkpoint follows (baselines/reported.ts), when its architecture has several. */
  recipe: z.string().optional(),
  rf: z.object({ variant: z.enum(['rfsingle', 'rfmultiple', 'rfmerge']), blocks: z.record(z.string(), z.unknown()) }).optional(),
  protocol: z.string(), outputs: z.string(),
  preprocessing: z.object({ resize_short_side: z.number().int(), mean: z.array(z.number()), std: z.array(z.number()) }),
  max_res: z.object({ pixels: z.number().int(), rule: z.enum(['pass', 'orientation']), says: z.string() }),
  checkpoint: z.object({ file: z.string(), sha256: z.string(), ignored_count: z.number().int() }).passthrough(),
  // a file of the model folder itself: a path elsewhere (../, /) would have the server copy and load it
  onnx: z.object({ file: z.string().regex(/^(?!\.)[A-Za-z0-9_.-]{1,100}$/, 'a file name in the model folder (no path)'), sha256: z.string(), opset: z.number().int() }).passthrough(),
  parity_inputs: z.array(z.object({ input: z.array(z.number()), logits: z.array(z.number()) })),
  parity: z.object({ maxAbsLogit: z.number(), labelAgreement: z.number(), ort: z.string() }).optional(),
}).passthrough();
export type Manifest = z.infer<typeof Manifest>;

export const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];
export interface Fallback { provider: string; reason: string }
