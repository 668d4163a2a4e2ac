/** Input shapes shared by the routes, the domain and the admin CLI (zod): each defined once. */
import { z } from 'zod';

/** A link a method page shows: http(s) only (no javascript:, data:, …). */
export const HttpUrl = z.string().max(500).url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');
export const USER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const UserName = z.string().regex(USER_NAME, 'a user name is 1–64 letters, digits, "_", "." or "-"');
export const MethodName = z.string().max(200);
export const Description = z.string().max(4000);
