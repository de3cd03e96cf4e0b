import { VigilError } from '../errors';

/**
 * Envelope encryption of small secrets (TOTP secrets, integration credentials): each value gets its own
 * data key, wrapped by a master key that never reaches the caller. The encryption context is
 * authenticated with the ciphertext and names whose secret it is and what for, so a ciphertext copied
 * to another tenant's record, or reused for another purpose, cannot be decrypted there.
 */
export interface EncryptionContext {
  tenantId: string;
  /** What the secret is for, e.g. `totp` or `integration:virustotal`. */
  purpose: string;
  [key: string]: string;
}

export interface EnvelopeEncryption {
  /** An opaque base64 string, safe to store in DynamoDB. */
  encrypt(plaintext: string | Uint8Array, context: EncryptionContext): Promise<string>;
  /**
   * The plaintext, only when the ciphertext is intact and was encrypted with exactly this context (same
   * keys, same values); otherwise a `DecryptionError`.
   */
  decrypt(ciphertext: string, context: EncryptionContext): Promise<Buffer>;
}

/**
 * A ciphertext that cannot be decrypted here: tampered, from another key, or for another context. The
 * message never carries plaintext, key material or context values. A 500: callers hold ciphertexts they
 * stored themselves, so a failure is ours, never the client's.
 */
export class DecryptionError extends VigilError {
  override readonly name = 'DecryptionError';
  override readonly code = 'decryption_failed';
  /** `context_mismatch`: an intact message for another context; `unreadable`: anything else. */
  readonly reason: 'context_mismatch' | 'unreadable';

  constructor(reason: DecryptionError['reason'], options?: { cause?: unknown }) {
    super(
      reason === 'context_mismatch'
        ? 'The ciphertext was encrypted for another encryption context.'
        : 'The ciphertext cannot be decrypted with this key.',
      options,
    );
    this.reason = reason;
  }
}

/**
 * Refuses a context without a tenant or a purpose before anything is encrypted: such a ciphertext would
 * be decryptable wherever the context is equally empty.
 */
export function assertEncryptionContext(context: EncryptionContext): void {
  for (const [key, value] of Object.entries(context)) {
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`Encryption context value '${key}' must be a non-empty string.`);
    }
  }
  if (!context.tenantId || !context.purpose) {
    throw new TypeError('An encryption context needs a tenantId and a purpose.');
  }
}

/** True when both contexts have the same keys with the same values. */
export function sameEncryptionContext(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
  );
}
