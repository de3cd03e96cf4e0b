import { createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing: scrypt (node:crypto) at OWASP's recommended cost (N=2^17, r=8, p=1), a 16-byte
 * per-user salt, and a secret pepper applied with HMAC-SHA256 before scrypt, so a stolen table alone
 * cannot be brute-forced. Stored as `scrypt$N$r$p$salt$hash`, so the cost can rise later and old
 * hashes still verify. Comparison is constant-time.
 */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const owaspScryptParams: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /** Spends the same time as a real verification; used for unknown accounts so timing reveals nothing. */
  verifyDummy(password: string): Promise<false>;
}

const keyLength = 32;

function scrypt(secret: Buffer, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(
      secret,
      salt,
      keyLength,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r },
      (error, derived) => (error ? reject(error) : resolve(derived)),
    );
  });
}

export function scryptHasher(pepper: string, params: ScryptParams = owaspScryptParams): PasswordHasher {
  if (pepper.length < 32) throw new Error('The password pepper must be at least 32 characters.');
  const peppered = (password: string) =>
    createHmac('sha256', pepper).update(password.normalize('NFKC')).digest();
  let dummy: Promise<string> | undefined;

  const hasher: PasswordHasher = {
    async hash(password) {
      const salt = randomBytes(16);
      const derived = await scrypt(peppered(password), salt, params);
      return [
        'scrypt',
        params.N,
        params.r,
        params.p,
        salt.toString('base64'),
        derived.toString('base64'),
      ].join('$');
    },
    async verify(password, stored) {
      const [scheme, n, r, p, salt, hash] = stored.split('$');
      if (scheme !== 'scrypt' || !salt || !hash) return false;
      const expected = Buffer.from(hash, 'base64');
      const derived = await scrypt(peppered(password), Buffer.from(salt, 'base64'), {
        N: Number(n),
        r: Number(r),
        p: Number(p),
      });
      return expected.length === derived.length && timingSafeEqual(expected, derived);
    },
    async verifyDummy(password) {
      dummy ??= hasher.hash(randomBytes(24).toString('base64'));
      await hasher.verify(password, await dummy);
      return false;
    },
  };
  return hasher;
}
