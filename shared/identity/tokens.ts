import { randomUUID } from 'node:crypto';
import { base64url, createLocalJWKSet, type JWK, type JWTPayload, jwtVerify } from 'jose';
import { UnauthorizedError } from '../platform/errors';

/**
 * Access tokens: ES256 JWTs whose signature is made by a `TokenSigner` — the KMS asymmetric key in
 * AWS (the private key never leaves KMS), the file-backed key behind the local KMS locally. Verifiers
 * accept ES256 only, from a key listed in the JWKS, for our issuer and audience, so `alg: none`,
 * HS256-with-the-public-key, unknown `kid`s, expired and tampered tokens all fail the same way.
 */
export interface TokenSigner {
  /** Signs the JWS signing input; returns the 64-byte JOSE signature (r || s). */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
  /** The public key as a JWK with `kid`, `alg` and `use`. */
  publicJwk(): Promise<JWK & { kid: string }>;
}

export interface AccessClaims {
  sub: string;
  tid: string;
  roles: string[];
  amr: string[];
  /** The user's session version; a password reset moves it on and ends older tokens. */
  sv: number;
  /** The session (refresh-token family) the token belongs to; revoking the session ends it. */
  sid?: string;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: number;
}

const encoder = new TextEncoder();

export const issueAccessToken =
  (deps: { signer: TokenSigner; settings: TokenSettings; now: () => number }) =>
  async (claims: AccessClaims): Promise<IssuedToken> => {
    const { kid } = await deps.signer.publicJwk();
    const iat = Math.floor(deps.now() / 1000);
    const jti = randomUUID();
    const exp = iat + deps.settings.ttlSeconds;
    const header = { alg: 'ES256', typ: 'JWT', kid };
    const payload = { ...claims, jti, iss: deps.settings.issuer, aud: deps.settings.audience, iat, exp };
    const signingInput = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
    const signature = await deps.signer.sign(encoder.encode(signingInput));
    return { token: `${signingInput}.${base64url.encode(signature)}`, jti, expiresAt: exp };
  };

export interface VerifiedAccessToken extends AccessClaims {
  jti: string;
  iat: number;
  exp: number;
}

/** Verifies an access token against the given public keys; every failure is a plain 401. */
export function accessTokenVerifier(
  keys: readonly JWK[],
  settings: Pick<TokenSettings, 'issuer' | 'audience'>,
) {
  const jwks = createLocalJWKSet({ keys: [...keys] });
  return async (token: string): Promise<VerifiedAccessToken> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms: ['ES256'],
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ['sub', 'tid', 'jti', 'exp', 'iat'],
      }));
    } catch {
      throw new UnauthorizedError('The access token is invalid or has expired.', 'invalid_token');
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.map(String) : [];
    const amr = Array.isArray(payload.amr) ? payload.amr.map(String) : [];
    return {
      sub: String(payload.sub),
      tid: String(payload.tid),
      roles,
      amr,
      sv: Number(payload.sv ?? 0),
      ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}),
      jti: String(payload.jti),
      iat: Number(payload.iat),
      exp: Number(payload.exp),
    };
  };
}

/**
 * A verifier that fetches the signer's public key once (KMS `GetPublicKey` in AWS) and then verifies
 * locally; a failed fetch is retried on the next call.
 */
export function cachedAccessTokenVerifier(
  signer: Pick<TokenSigner, 'publicJwk'>,
  settings: Pick<TokenSettings, 'issuer' | 'audience'>,
): (token: string) => Promise<VerifiedAccessToken> {
  let verifier: Promise<(token: string) => Promise<VerifiedAccessToken>> | undefined;
  return async (token) => {
    verifier ??= signer
      .publicJwk()
      .then((jwk) => accessTokenVerifier([jwk], settings))
      .catch((error) => {
        verifier = undefined;
        throw error;
      });
    return (await verifier)(token);
  };
}

/** Converts a DER-encoded ECDSA signature (what KMS returns) to the JOSE r || s form. */
export function derToJose(der: Uint8Array, size = 32): Uint8Array {
  let offset = 2;
  if (der[0] !== 0x30) throw new Error('Not a DER ECDSA signature');
  if ((der[1] ?? 0) & 0x80) offset += (der[1] ?? 0) & 0x7f;
  const read = (): Uint8Array => {
    if (der[offset] !== 0x02) throw new Error('Malformed DER integer');
    const length = der[offset + 1] ?? 0;
    const value = der.slice(offset + 2, offset + 2 + length);
    offset += 2 + length;
    const trimmed = value[0] === 0 ? value.slice(1) : value;
    if (trimmed.length > size) throw new Error('DER integer too long');
    const padded = new Uint8Array(size);
    padded.set(trimmed, size - trimmed.length);
    return padded;
  };
  const r = read();
  const s = read();
  const out = new Uint8Array(size * 2);
  out.set(r, 0);
  out.set(s, size);
  return out;
}
