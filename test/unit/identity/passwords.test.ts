import { describe, expect, it } from 'vitest';
import common from '../../../shared/identity/data/common-passwords.json';
import { passwordPolicy, WeakPasswordError } from '../../../shared/identity/password-policy';
import { scryptHasher } from '../../../shared/identity/passwords';

const pepper = 'a-test-pepper-that-is-long-enough-0123456789';
// A low cost keeps unit tests fast; the production cost is measured by the benchmark.
const cheap = { N: 2 ** 10, r: 8, p: 1 };

describe('password policy', () => {
  const check = passwordPolicy(common);

  it('ships the 1,000 most common passwords', () => {
    expect(common.filter(Boolean).length).toBeGreaterThanOrEqual(1000);
  });

  it.each([
    ['too short', 'Tr0ub4dor&3'],
    ['too long', 'x'.repeat(129)],
    ['a common password with digits appended', 'Password2024!'],
    ['a common word with a year', 'starwars1977'],
    ['one character repeated', 'aaaaaaaaaaaaaa'],
    ['a short pattern repeated', 'abcabcabcabc'],
    ['a common password repeated', 'dragondragondragon'],
  ])('refuses %s', (_why, password) => {
    expect(() => check(password)).toThrow(WeakPasswordError);
  });

  it.each(['correct horse battery staple', 'vigil-Soc-2026-rotation!', 'ñandú-con-tilde-y-más'])(
    'accepts %s',
    (password) => {
      expect(() => check(password)).not.toThrow();
    },
  );
});

describe('scrypt password hashing', () => {
  const hasher = scryptHasher(pepper, cheap);

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash('correct horse battery staple');

    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[^$]+\$[^$]+$/);
    expect(await hasher.verify('correct horse battery staple', stored)).toBe(true);
    expect(await hasher.verify('correct horse battery stapl', stored)).toBe(false);
  });

  it('salts every hash and depends on the pepper', async () => {
    const a = await hasher.hash('same password twice');
    const b = await hasher.hash('same password twice');

    expect(a).not.toBe(b);
    expect(await scryptHasher(`${pepper}-other`, cheap).verify('same password twice', a)).toBe(false);
  });

  it('still verifies hashes made with an earlier cost', async () => {
    const old = await scryptHasher(pepper, { N: 2 ** 9, r: 8, p: 1 }).hash('upgrade me later please');

    expect(await hasher.verify('upgrade me later please', old)).toBe(true);
  });

  it('refuses malformed stored values and short peppers', async () => {
    expect(await hasher.verify('anything at all', 'bcrypt$whatever')).toBe(false);
    expect(() => scryptHasher('short')).toThrow(/pepper/);
    expect(await hasher.verifyDummy('anything at all')).toBe(false);
  });
});
