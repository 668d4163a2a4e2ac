/**
 * Browser sign-in: passwords (scrypt from node:crypto, a random salt per user, compared in constant
 * time) and sessions (a random cookie token, stored as its SHA-256, expiring). API tokens stay the
 * way the CLI signs in.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hashToken, tokenUser, type AuthUser } from './auth.ts';
import { InvalidInput, Unauthenticated, Unavailable } from './errors.ts';
import type { Queries } from '../storage/queries.ts';
import { Gate, GateFull } from '../../util/pool.ts';

/**
 * Each hash takes 16 MiB and a thread of libuv's pool, which file reads and zlib share: at most
 * two at once, so that sign-in attempts, however many, leave the pool's other threads to serving
 * files; a few dozen wait their turn and more are turned away at once.
 */
export const hashing = new Gate(2, 48);
const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  hashing.run(() => new Promise<Buffer>((res, rej) => scryptCb(password, salt, keylen, opts, (e, k) => (e ? rej(e) : res(k)))))
    .catch((e: unknown) => { throw e instanceof GateFull ? new Unavailable('the server is busy signing others in; try again in a few seconds', { retry_after: 3 }) : e; });

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

/**
 * Sets a user's password and ends their other browser sessions (`keep`: the session the change was
 * made from; none: every session ends, as when an administrator sets it).
 */
export async function setPassword(q: Queries, userId: number, password: string, keep: number | null = null): Promise<number> {
  if (password.length < MIN_PASSWORD) throw new InvalidInput(`a password has at least ${MIN_PASSWORD} characters`);
  const hash = await hashPassword(password);
  return q.transaction(() => {
    q.setPasswordHash(userId, hash);
    return q.endSessionsOf(userId, keep);
  });
}

/** What a session remembers of where it was made (shown to its owner on /me). */
export interface SessionOrigin { tokenId: number | null; address: string | null; agent: string | null }

/** A new session for the user; returns the cookie value (shown once, stored hashed). */
export function startSession(q: Queries, userId: number, from: SessionOrigin = { tokenId: null, address: null, agent: null }): { token: string; expires: Date } {
  const token = `iss_${randomBytes(32).toString('base64url')}`;
  const expires = new Date(Date.now() + SESSION_DAYS * 86_400_000);
  q.addSession(userId, hashToken(token), expires.toISOString(), { ...from, agent: from.agent?.slice(0, 200) ?? null });
  return { token, expires };
}

/** How often a session's last-seen time is written (as for tokens: each write is a synced commit). */
const SESSION_TOUCH_MS = 60_000;

export function sessionUser(q: Queries, token: string | undefined): AuthUser | null {
  if (!token) return null;
  const now = new Date();
  const row = q.activeSession(hashToken(token), now.toISOString());
  if (!row) return null;
  if (!row.last_seen_at || now.getTime() - Date.parse(row.last_seen_at) >= SESSION_TOUCH_MS) q.touchSession(row.id);
  return { id: row.user_id, name: row.name, isAdmin: row.is_admin === 1, tokenId: -row.id, sessionId: row.id };
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
