/** Input shapes shared by the routes, the domain and the admin CLI (zod): each defined once. */
import { z } from 'zod';
import { METHOD_META_COLUMNS, type MethodMetaColumn } from '../storage/queries.ts';

export { METHOD_META_COLUMNS, type MethodMetaColumn };

/** A link a method page shows: http(s) only (no javascript:, data:, …). */
export const HttpUrl = z.string().max(500).url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');
export const USER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const UserName = z.string().regex(USER_NAME, 'a user name is 1–64 letters, digits, "_", "." or "-"');
/**
 * What a user name looks like on a board, for telling look-alikes apart: case folded, the
 * separators dropped, and the ASCII characters that pass for each other made one (0/o, 1/l/i/I,
 * rn/m, vv/w, 5/s). Two names with one skeleton cannot both exist.
 */
export function nameSkeleton(name: string): string {
  return name.toLowerCase().replace(/[._-]/g, '').replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/0/g, 'o').replace(/[1i]/g, 'l').replace(/5/g, 's');
}
export const MethodName = z.string().max(200);
export const Description = z.string().max(4000);

/**
 * What a method says of itself beside its scores, as papers report it: one set of rules for the
 * upload's fields, method.txt, the API's PATCH and the pages' forms. `link`: "paper or code", as
 * older submissions gave it.
 */
export const MethodMeta = {
  method: MethodName,
  description: Description,
  link: HttpUrl,
  paper: HttpUrl,
  code: HttpUrl,
  /** e.g. "ResNet-50", "ViT-B/16". */
  backbone: z.string().max(100),
  /** e.g. "ImageNet-1k, self-supervised (MAE)". */
  pretraining: z.string().max(300),
  /** Data beyond ImageNet-S's own, e.g. "none", "COCO-Stuff captions". */
  extra_data: z.string().max(300),
} satisfies Record<MethodMetaColumn, z.ZodType<string>>;

/** Each field optional (an upload, where method.txt may supply it). */
export const MethodMetaOptional = z.object(Object.fromEntries(METHOD_META_COLUMNS.map((k) => [k, MethodMeta[k].optional()])) as { [K in MethodMetaColumn]: z.ZodOptional<(typeof MethodMeta)[K]> });
/** Each field optional or null (null clears it: the API's PATCH). */
export const MethodMetaPatch = z.object(Object.fromEntries(METHOD_META_COLUMNS.map((k) => [k, MethodMeta[k].nullable().optional()])) as { [K in MethodMetaColumn]: z.ZodOptional<z.ZodNullable<(typeof MethodMeta)[K]>> });
/** A form's fields: "" clears one. */
export const MethodMetaForm = z.object(Object.fromEntries(METHOD_META_COLUMNS.map((k) => [k, z.union([z.literal(''), MethodMeta[k]]).optional()])) as { [K in MethodMetaColumn]: z.ZodOptional<z.ZodUnion<[z.ZodLiteral<''>, (typeof MethodMeta)[K]]>> });
