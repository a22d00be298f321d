// The broker's users file: username, role, robots and salted password hashes (scrypt for the embedded broker, PBKDF2 for mosquitto), zod-validated, written atomically.
import { randomBytes, scrypt, pbkdf2Sync, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { RESERVED_USERNAMES } from './acl.ts';
import { ROLES, RobotIdSchema, type Role } from './topics.ts';
import { readJsonFile, validateJson } from '../util/read-json.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** One topic level (it appears in ganglion/_reply/<username>/... and in ACL rules): no wildcards, separators or '$'. */
export const UsernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'username: 1-64 of A-Z a-z 0-9 _ . -')
  .refine((u) => !(RESERVED_USERNAMES as readonly string[]).includes(u), `username: ${RESERVED_USERNAMES.join(', ')} are reserved (topic tree levels)`);

const b64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');

export const ScryptHashSchema = z.strictObject({
  /** CPU/memory cost (a power of two), block size, parallelism: stored so old entries keep verifying when defaults change. */
  N: z.number().int().min(1024).max(1 << 20).refine((n) => (n & (n - 1)) === 0, 'N must be a power of two'),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt: b64,
  hash: b64,
});
export type ScryptHash = z.infer<typeof ScryptHashSchema>;

/** mosquitto 2's own format, `$7$<iterations>$<salt b64>$<PBKDF2-SHA512 b64>`: mosquitto cannot read scrypt, so both are kept. */
export const MosquittoHashSchema = z.string().regex(/^\$7\$\d{1,7}\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/, 'mosquitto $7$ PBKDF2-SHA512 hash');

export const UserSchema = z.strictObject({
  username: UsernameSchema,
  role: z.enum(ROLES),
  /** Robot ids this user may act on (and, for the robot role, speak for). Absent: every robot (not allowed for role robot). */
  robots: z.array(RobotIdSchema.refine((r) => r !== '_reply', 'robot id "_reply" is reserved for reply topics')).min(1).optional(),
  scrypt: ScryptHashSchema,
  mosquitto: MosquittoHashSchema,
});
export type User = z.infer<typeof UserSchema>;

export const UsersFileSchema = z
  .strictObject({ version: z.literal(1), users: z.array(UserSchema).max(10_000) })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.users.forEach((u, i) => {
      if (seen.has(u.username)) ctx.addIssue({ code: 'custom', path: ['users', i, 'username'], message: `duplicate username "${u.username}"` });
      seen.add(u.username);
      if (u.role === 'robot' && !u.robots) ctx.addIssue({ code: 'custom', path: ['users', i, 'robots'], message: 'a robot account must name the robot ids it speaks for' });
    });
  });
export type UsersFile = z.infer<typeof UsersFileSchema>;

/** Defaults: scrypt N=2^14 (about 16 MiB, tens of ms: slow for guessing, fine once per connection). */
export const SCRYPT_DEFAULTS = { N: 1 << 14, r: 8, p: 1 } as const;
/** mosquitto_passwd uses 101 iterations; more makes offline guessing of a stolen file slower at ~ms per connection. */
export const MOSQUITTO_PBKDF2_ITERATIONS = 10_000;

function scryptAsync(password: string, salt: Buffer, keylen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, o, (err, key) => (err ? reject(err) : resolve(key))));
}
const maxmem = (N: number, r: number) => 256 * N * r;

export async function hashPassword(password: string, o: { N?: number; r?: number; p?: number } = {}): Promise<ScryptHash> {
  const { N, r, p } = { ...SCRYPT_DEFAULTS, ...o };
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, { N, r, p, maxmem: maxmem(N, r) });
  return { N, r, p, salt: salt.toString('base64'), hash: key.toString('base64') };
}

export function mosquittoHash(password: string, iterations = MOSQUITTO_PBKDF2_ITERATIONS): string {
  const salt = randomBytes(12);
  const key = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Constant-time check of a password against a stored scrypt hash. Never throws on a wrong password. */
export async function verifyPassword(h: ScryptHash, password: string): Promise<boolean> {
  const want = Buffer.from(h.hash, 'base64');
  const got = await scryptAsync(password, Buffer.from(h.salt, 'base64'), want.length, { N: h.N, r: h.r, p: h.p, maxmem: maxmem(h.N, h.r) });
  return got.length === want.length && timingSafeEqual(got, want);
}

export async function makeUser(
  username: string,
  role: Role,
  password: string,
  o: { robots?: string[]; scrypt?: { N?: number; r?: number; p?: number }; pbkdf2_iterations?: number } = {},
): Promise<User> {
  if (password.length < 8) throw new Error(`user ${username}: password: at least 8 characters`);
  return UserSchema.parse({
    username, role, ...(o.robots ? { robots: o.robots } : {}),
    scrypt: await hashPassword(password, o.scrypt), mosquitto: mosquittoHash(password, o.pbkdf2_iterations),
  });
}

/** Parses a users file's contents; the error names the file and the field ("users.2.role: ..."). */
export function parseUsers(raw: unknown, where = 'users file'): UsersFile {
  return validateJson(raw, UsersFileSchema, where);
}

/** What to do about a users file that does not load: nothing here rewrites it, so the fix is the user's. */
const usersFix = (file: string): string =>
  `fix it by hand, or move it aside (mv ${file} ${file}.broken) and add the users again with \`ganglion broker-config --users ${file} --add-user NAME --role ROLE\``;

export function loadUsers(file: string): UsersFile {
  const unreadable = (f: string, d: string) => `${f}: cannot read the users file (${d})`;
  return readJsonFile(file, UsersFileSchema, {
    say: { missing: (f) => unreadable(f, 'ENOENT'), unreadable, not_json: (f, d) => `${f}: the users file is not JSON (${d}; truncated?)` },
    fix: usersFix(file),
  });
}

/** Writes the whole file atomically (temp file, fsync, rename, fsync the folder): a crash never leaves half a users file. Mode 0600. */
export function saveUsers(file: string, users: UsersFile): void {
  const valid = parseUsers(users, file);
  writeFileAtomic(file, JSON.stringify(valid, null, 2) + '\n', { mode: 0o600 });
}

/** Adds a user, or replaces the one with the same name (a password or role change). Creates the file when missing. */
export async function addUser(file: string, username: string, role: Role, password: string, o: Parameters<typeof makeUser>[3] = {}): Promise<User> {
  const current = existsSync(file) ? loadUsers(file) : { version: 1 as const, users: [] };
  const u = await makeUser(username, role, password, o);
  saveUsers(file, { version: 1, users: [...current.users.filter((x) => x.username !== username), u] });
  return u;
}

export function removeUser(file: string, username: string): boolean {
  const current = loadUsers(file);
  const users = current.users.filter((x) => x.username !== username);
  if (users.length === current.users.length) return false;
  saveUsers(file, { version: 1, users });
  return true;
}

/** The user when the password is right, else null (unknown users cost the same scrypt, so timing does not tell which). */
export async function verifyUser(users: readonly User[], username: string, password: string): Promise<User | null> {
  const u = users.find((x) => x.username === username);
  const ok = await verifyPassword(u?.scrypt ?? DUMMY_HASH, password);
  return u && ok ? u : null;
}

const DUMMY_HASH: ScryptHash = { ...SCRYPT_DEFAULTS, salt: 'AAAAAAAAAAAAAAAAAAAAAA==', hash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' };
