/**
 * A model submission: a zip holding `model.onnx` and `model.json` (docs/model-submissions.md).
 * model.json says how the server turns an image into the graph's input and the graph's output into
 * a mask; this schema is its one definition (versioned: a new version adds a literal here).
 */
import { z } from 'zod';

const Rgb = z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]);

export const ModelJson = z.object({
  version: z.literal(1),
  /** The benchmark's class count C: a logits graph outputs C + 1 channels, channel 0 = other. */
  classes: z.number().int().positive().max(10_000),
  input: z.object({
    /** The image's short side is resized to this before the graph (bilinear, as torchvision's Resize); null: as it is. */
    resize_short_side: z.number().int().min(16).max(4096).nullable(),
    /** Then the long side is capped at this (aspect kept); null: no cap. */
    max_long_side: z.number().int().min(16).max(8192).nullable().default(null),
    /** Per channel, on the 0–1 RGB scale: x = (pixel / 255 − mean) / std. */
    mean: Rgb,
    std: Rgb.refine((s) => s.every((v) => v > 0), 'std must be positive'),
  }).strict(),
  /**
   * "logits": 1×(C+1)×h×w, resized bilinearly (half-pixel) to the image size, then arg-max (h×w equal to
   * the input's: no resize); "labels": 1×H×W integer ids at the image size.
   */
  output: z.enum(['logits', 'labels']),
  /** Average the logits of the image and its horizontal mirror (logits only). */
  flip_average: z.boolean().default(false),
  method: z.string().max(200).optional(),
  description: z.string().max(4000).optional(),
  paper: z.string().max(500).url().optional(),
  code: z.string().max(500).url().optional(),
  backbone: z.string().max(100).optional(),
  pretraining: z.string().max(300).optional(),
  extra_data: z.string().max(300).optional(),
}).strict().refine((m) => !(m.flip_average && m.output === 'labels'), { message: 'flip_average needs output "logits"', path: ['flip_average'] });
export type ModelJson = z.infer<typeof ModelJson>;

/** The entry names of a bundle. */
export const BUNDLE_ONNX = 'model.onnx', BUNDLE_JSON = 'model.json';

/** The graph's input size [width, height] for an image of W×H: the short side resized, then the long side capped (torchvision's Resize rounding). */
export function inputSize(m: Pick<ModelJson, 'input'>, W: number, H: number): [number, number] {
  let w = W, h = H;
  const s = m.input.resize_short_side;
  if (s !== null) {
    if (w <= h) { h = Math.trunc((s * h) / w); w = s; } else { w = Math.trunc((s * w) / h); h = s; }
  }
  const cap = m.input.max_long_side;
  if (cap !== null && Math.max(w, h) > cap) {
    if (w >= h) { h = Math.max(1, Math.trunc((cap * h) / w)); w = cap; } else { w = Math.max(1, Math.trunc((cap * w) / h)); h = cap; }
  }
  return [w, h];
}
