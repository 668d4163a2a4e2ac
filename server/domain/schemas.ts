/** Input shapes shared by the routes, the domain and the admin CLI (zod): each defined once. */
import { z } from 'zod';

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
