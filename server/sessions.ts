/**
 * Browser sign-in: passwords (scrypt from node:crypto, a random salt per user, compared in constant
 * time) and sessions (a random cookie token, stored as its SHA-256, expiring). API tokens stay the
 * way the CLI signs in.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hashToken, tokenUser, type AuthUser } from './auth.ts';
import { InvalidInput, Unauthenticated } from './domain-errors.ts';
import type { Queries } from './queries.ts';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((res, rej) => scryptCb(password, salt, keylen, opts, (e, k) => (e ? rej(e) : res(k))));

/** Cost parameters (about 50 ms and 16 MiB a hash on this machine's class of CPU). */
const N = 16384, R = 8, P = 1, KEYLEN = 32;
export const SESSION_DAYS = 14;
export const MIN_PASSWORD = 10;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = stored?.split('$');
  if (!parts || parts.length !== 6 || parts[0] !== 'scrypt') {
    // spend the same time as a real check, so a missing password is not told apart by timing
    await scrypt(password, randomBytes(16), KEYLEN, { N, r: R, p: P });
    return false;
  }
  const [, n, r, p, salt, key] = parts;
  const want = Buffer.from(key, 'base64url');
  const got = await scrypt(password, Buffer.from(salt, 'base64url'), want.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(want, got);
}

export async function setPassword(q: Queries, userId: number, password: string): Promise<void> {
  if (password.length < MIN_PASSWORD) throw new InvalidInput(`a password has at least ${MIN_PASSWORD} characters`);
  q.setPasswordHash(userId, await hashPassword(password));
}

/** A new session for the user; returns the cookie value (shown once, stored hashed). */
export function startSession(q: Queries, userId: number): { token: string; expires: Date } {
  const token = `iss_${randomBytes(32).toString('base64url')}`;
  const expires = new Date(Date.now() + SESSION_DAYS * 86_400_000);
  q.addSession(userId, hashToken(token), expires.toISOString());
  return { token, expires };
}

export function sessionUser(q: Queries, token: string | undefined): AuthUser | null {
  if (!token) return null;
  const row = q.activeSession(hashToken(token), new Date().toISOString());
  return row ? { id: row.user_id, name: row.name, isAdmin: row.is_admin === 1, tokenId: -row.id } : null;
}

export function endSession(q: Queries, token: string | undefined): void {
  if (token) q.deleteSession(hashToken(token));
}

/** Password or token sign-in; Unauthenticated with one message for every way it can fail. */
export async function signIn(q: Queries, how: { username: string; password: string } | { token: string }): Promise<AuthUser> {
  const fail = new Unauthenticated('wrong user name, password or token');
  if ('token' in how) {
    const user = tokenUser(q, how.token.trim());
    if (!user) throw fail;
    return user;
  }
  const user = q.userByName(how.username);
  const ok = await verifyPassword(how.password, user?.password_hash ?? null);
  if (!user || !ok) throw fail;
  return { id: user.id, name: user.name, isAdmin: user.is_admin === 1, tokenId: 0 };
}
