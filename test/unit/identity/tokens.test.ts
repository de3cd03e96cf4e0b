import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { base64url, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAwsServices, startAwsServices } from '../../../infra/local/aws-services';
import { loadOrCreateLocalKeys } from '../../../infra/local/local-keys';
import { kmsTokenSigner } from '../../../shared/adapters/aws/kms-token-signer';
import { accessTokenVerifier, issueAccessToken, type TokenSigner } from '../../../shared/identity/tokens';
import { UnauthorizedError } from '../../../shared/platform/errors';

const settings = { issuer: 'https://vigil.test', audience: 'vigil-api', ttlSeconds: 900 };
const claims = { sub: 'u1', tid: 't1', roles: ['analyst'], amr: ['pwd'], sv: 0 };
const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

describe('access tokens signed through KMS', () => {
  let aws: RunningAwsServices;
  let signer: TokenSigner;

  beforeAll(async () => {
    aws = await startAwsServices({
      host: '127.0.0.1',
      queues: [],
      buses: [],
      keys: loadOrCreateLocalKeys(join(mkdtempSync(join(tmpdir(), 'vigil-tokens-')), 'keys')),
    });
    const kms = new KMSClient({
      endpoint: aws.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    signer = kmsTokenSigner(kms, aws.keyArns.signing ?? '');
  });

  afterAll(async () => {
    await aws?.close();
  });

  const verifier = async () => accessTokenVerifier([await signer.publicJwk()], settings);
  const issue = (now = Date.now()) => issueAccessToken({ signer, settings, now: () => now })(claims);

  it('issues an ES256 JWT with kid and the platform claims, which the JWKS verifies', async () => {
    const { token, jti, expiresAt } = await issue();
    const [header] = token.split('.');

    const verified = await (await verifier())(token);

    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({
      alg: 'ES256',
      typ: 'JWT',
      kid: (await signer.publicJwk()).kid,
    });
    expect(verified).toMatchObject({ ...claims, jti, exp: expiresAt });
  });

  it('refuses alg none, HS256 signed with the public key, and a tampered payload', async () => {
    const { token } = await issue();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const jwk = await signer.publicJwk();
    const none = `${encode({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    const hsInput = `${encode({ alg: 'HS256', typ: 'JWT', kid: jwk.kid })}.${payload}`;
    const hs256 = `${hsInput}.${createHmac('sha256', JSON.stringify(jwk)).update(hsInput).digest('base64url')}`;
    const tampered = `${header}.${encode({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['admin'] })}.${signature}`;
    const verify = await verifier();

    for (const forged of [none, hs256, tampered]) {
      await expect(verify(forged)).rejects.toBeInstanceOf(UnauthorizedError);
    }
  });

  it('refuses expired tokens, another audience and an unknown kid', async () => {
    const expired = await issue(Date.now() - 3_600_000);
    const otherAudience = await issueAccessToken({
      signer,
      settings: { ...settings, audience: 'other' },
      now: Date.now,
    })(claims);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const stranger: TokenSigner = {
      sign: async (input) => {
        const { sign } = await import('node:crypto');
        return new Uint8Array(sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
      },
      publicJwk: async () => ({ ...(await exportJWK(privateKey)), kid: 'not-ours', alg: 'ES256' }),
    };
    const foreign = await issueAccessToken({ signer: stranger, settings, now: Date.now })(claims);
    const verify = await verifier();

    await expect(verify(expired.token)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(verify(otherAudience.token)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(verify(foreign.token)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
