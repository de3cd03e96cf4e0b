import { BadRequestError } from '../platform/errors';

/**
 * What Vigil accepts as a password: 12 to 128 characters, not one of the 1,000 most common passwords
 * (compared case-insensitively, also with trailing digits and symbols stripped, so `Password2024!`
 * is refused too), and not a single character or a short pattern repeated.
 */
export const minPasswordLength = 12;
export const maxPasswordLength = 128;

export class WeakPasswordError extends BadRequestError {
  constructor(message: string) {
    super(message, 'weak_password');
  }
}

export function passwordPolicy(commonPasswords: readonly string[]) {
  const common = new Set(commonPasswords.map((p) => p.trim().toLowerCase()).filter(Boolean));
  return (password: string): void => {
    const length = [...password].length;
    if (length < minPasswordLength) {
      throw new WeakPasswordError(`Use at least ${minPasswordLength} characters.`);
    }
    if (length > maxPasswordLength) {
      throw new WeakPasswordError(`Use at most ${maxPasswordLength} characters.`);
    }
    const lower = password.toLowerCase();
    const stem = lower.replace(/[\d\W_]+$/u, '');
    if (common.has(lower) || (stem.length >= 4 && common.has(stem))) {
      throw new WeakPasswordError('This password is one of the most common passwords. Choose another.');
    }
    if (/^(.{1,4})\1+$/su.test(lower) || (stem.length >= 4 && isRepeatOfCommon(lower, common))) {
      throw new WeakPasswordError('This password is a short pattern repeated. Choose another.');
    }
  };
}

function isRepeatOfCommon(value: string, common: ReadonlySet<string>): boolean {
  const match = /^(.+?)\1+$/su.exec(value);
  return match?.[1] !== undefined && common.has(match[1]);
}
