import { createHash, randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import { toDataURL } from 'qrcode';
import type { AuditLog } from '../audit/chain';
import type { EnvelopeEncryption } from '../platform/crypto/envelope';
import { BadRequestError, ConflictError, UnauthorizedError } from '../platform/errors';
import type { IdentityRepository, UserRecord } from './ports';

/**
 * TOTP second factor (RFC 6238, 30 s steps, 6 digits, as authenticator apps expect). The secret is
 * stored encrypted with the envelope-encryption port (context: tenant, purpose `totp`, user). A code
 * is accepted one step either side of now to absorb clock drift, and each time step works once per
 * user: a code seen by a shoulder-surfer or a proxy cannot be replayed. Ten single-use recovery
 * codes, stored as SHA-256 hashes, stand in for a lost device.
 */
export const recoveryCodeCount = 10;

export interface MfaDeps {
  repo: IdentityRepository;
  encryption: EnvelopeEncryption;
  audit: AuditLog;
  /** `issuer` shown by authenticator apps. */
  issuer: string;
  /** Applies the sign-in attempt limits to a second-factor attempt for `account`. */
  throttle: (account: string) => Promise<void>;
  now: () => number;
}

/** Who is setting up or using the second factor. */
export interface MfaActor {
  tenantId: string;
  userId: string;
  ip?: string;
  userAgent?: string;
}

/** What a second-factor step proves, for the access token's `amr` claim. */
export type SecondFactor = { method: 'otp' } | { method: 'recovery-code'; remaining: number };

const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A recovery code: 10 characters from an unambiguous alphabet (about 49 bits), shown as `xxxxx-xxxxx`. */
function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(code.trim().toLowerCase().replace(/[\s-]/g, '')).digest('hex');
}

const invalidCode = () =>
  new UnauthorizedError('The code is not valid. Use the current code from your app.', 'invalid_mfa_code');

export function mfaService(deps: MfaDeps) {
  const context = (actor: MfaActor) => ({ tenantId: actor.tenantId, purpose: 'totp', userId: actor.userId });

  const user = async (actor: MfaActor): Promise<UserRecord> => {
    const found = await deps.repo.getUser(actor.tenantId, actor.userId);
    if (!found) throw new UnauthorizedError();
    return found;
  };

  /** The time step `code` matches for `secretCiphertext`, once: a step already used is refused. */
  const acceptCode = async (actor: MfaActor, secretCiphertext: string, code: string): Promise<void> => {
    await deps.throttle(actor.userId);
    if (!/^\d{6}$/.test(code)) throw invalidCode();
    const secret = (await deps.encryption.decrypt(secretCiphertext, context(actor))).toString('utf8');
    const result = await verify({
      secret,
      token: code,
      epoch: Math.floor(deps.now() / 1000),
      epochTolerance: 30,
    });
    if (!result.valid || !('timeStep' in result)) throw invalidCode();
    if (!(await deps.repo.claimMfaStep(actor.tenantId, actor.userId, result.timeStep))) throw invalidCode();
  };

  const newRecoveryCodes = () => {
    const codes = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
    return { codes, hashes: codes.map(hashRecoveryCode) };
  };

  const audit = (actor: MfaActor, action: string, outcome: 'success' | 'failure' = 'success') =>
    deps.audit.append({
      tenantId: actor.tenantId,
      actor: { type: 'user', id: actor.userId },
      action,
      resourceType: 'user',
      resourceId: actor.userId,
      outcome,
      ip: actor.ip,
      userAgent: actor.userAgent,
    });

  const requireEnabled = (found: UserRecord): string => {
    if (!found.mfa?.enabled || !found.mfa.secret) {
      throw new ConflictError('Two-factor authentication is not enabled.', 'mfa_not_enabled');
    }
    return found.mfa.secret;
  };

  return {
    /** Starts setup: a new secret (kept pending until confirmed), its otpauth:// URI and a QR code. */
    async setup(actor: MfaActor): Promise<{ otpauthUri: string; qrCodeDataUrl: string }> {
      const found = await user(actor);
      if (found.mfa?.enabled) {
        throw new ConflictError(
          'Two-factor authentication is already on. Disable it first to enrol a new device.',
          'mfa_already_enabled',
        );
      }
      const secret = generateSecret();
      await deps.repo.setPendingMfaSecret(
        actor.tenantId,
        actor.userId,
        await deps.encryption.encrypt(secret, context(actor)),
      );
      const otpauthUri = generateURI({ issuer: deps.issuer, label: found.email, secret });
      await audit(actor, 'auth.mfa_setup_started');
      return { otpauthUri, qrCodeDataUrl: await toDataURL(otpauthUri, { errorCorrectionLevel: 'M' }) };
    },

    /** Confirms setup with a first code: 2FA is on, and the recovery codes are returned once. */
    async enable(actor: MfaActor, code: string): Promise<{ recoveryCodes: string[] }> {
      const found = await user(actor);
      if (found.mfa?.enabled)
        throw new ConflictError('Two-factor authentication is already on.', 'mfa_already_enabled');
      const pending = found.mfa?.pendingSecret;
      if (!pending) {
        throw new BadRequestError(
          'Start with POST /v1/auth/2fa/setup, then confirm a code.',
          'mfa_setup_required',
        );
      }
      await acceptCode(actor, pending, code);
      const { codes, hashes } = newRecoveryCodes();
      if (!(await deps.repo.enableMfa(actor.tenantId, actor.userId, pending, hashes))) {
        throw new ConflictError('The setup changed meanwhile. Start it again.', 'mfa_setup_changed');
      }
      await audit(actor, 'auth.mfa_enabled');
      return { recoveryCodes: codes };
    },

    /** Turns 2FA off; needs a current code. */
    async disable(actor: MfaActor, code: string): Promise<void> {
      const secret = requireEnabled(await user(actor));
      await acceptCode(actor, secret, code);
      await deps.repo.disableMfa(actor.tenantId, actor.userId);
      await audit(actor, 'auth.mfa_disabled');
    },

    /** Replaces every recovery code with ten new ones; needs a current code. */
    async regenerateRecoveryCodes(actor: MfaActor, code: string): Promise<{ recoveryCodes: string[] }> {
      const secret = requireEnabled(await user(actor));
      await acceptCode(actor, secret, code);
      const { codes, hashes } = newRecoveryCodes();
      await deps.repo.setRecoveryCodes(actor.tenantId, actor.userId, hashes);
      await audit(actor, 'auth.mfa_recovery_codes_regenerated');
      return { recoveryCodes: codes };
    },

    /** Checks the second factor of a login: a TOTP code or an unused recovery code (used up here). */
    async verifySecondFactor(
      found: UserRecord,
      proof: { code?: string; recoveryCode?: string },
      origin: { ip?: string; userAgent?: string },
    ): Promise<SecondFactor> {
      const actor: MfaActor = { tenantId: found.tenantId, userId: found.id, ...origin };
      const secret = requireEnabled(found);
      if (proof.code) {
        await acceptCode(actor, secret, proof.code);
        return { method: 'otp' };
      }
      if (proof.recoveryCode) {
        await deps.throttle(found.id);
        const ok = await deps.repo.consumeRecoveryCode(
          found.tenantId,
          found.id,
          hashRecoveryCode(proof.recoveryCode),
        );
        if (!ok)
          throw new UnauthorizedError('The recovery code is not valid or was used.', 'invalid_recovery_code');
        const remaining = Math.max(0, (found.mfa?.recoveryCodeHashes?.length ?? 1) - 1);
        await audit(actor, 'auth.mfa_recovery_code_used');
        return { method: 'recovery-code', remaining };
      }
      throw new BadRequestError('Send a code from your app or a recovery code.', 'mfa_code_required');
    },
  };
}

export type MfaService = ReturnType<typeof mfaService>;
