import { generateKeyPairSync, sign } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { scryptHasher } from '../shared/identity/passwords';
import { accessTokenVerifier, issueAccessToken, type TokenSigner } from '../shared/identity/tokens';

/**
 * Identity benchmarks: access-token verification as the authorizer does it with the public key
 * cached (throughput and latency percentiles), and password verification at the production scrypt
 * cost (what a login spends in hashing).
 */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function benchTokenVerification(iterations = 5_000) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const signer: TokenSigner = {
    sign: async (input) =>
      new Uint8Array(sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
    publicJwk: async () => ({ ...jwk, kid, alg: 'ES256', use: 'sig' }),
  };
  const settings = { issuer: 'urn:vigil:bench', audience: 'vigil-api', ttlSeconds: 900 };
  const { token } = await issueAccessToken({ signer, settings, now: Date.now })({
    sub: 'u1',
    tid: 't1',
    roles: ['analyst'],
    amr: ['pwd'],
    sv: 0,
  });
  const verify = accessTokenVerifier([await signer.publicJwk()], settings);
  for (let i = 0; i < 200; i += 1) await verify(token);
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) {
    const t = performance.now();
    await verify(token);
    samples.push(performance.now() - t);
  }
  const total = performance.now() - started;
  samples.sort((a, b) => a - b);
  return {
    perSecond: iterations / (total / 1000),
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
  };
}

export async function benchPasswordVerification(runs = 15) {
  const hasher = scryptHasher('bench-pepper-bench-pepper-bench-pepper-0123');
  const stored = await hasher.hash('correct horse battery staple');
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await hasher.verify('correct horse battery staple', stored);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    stored: stored.split('$').slice(0, 4).join('$'),
  };
}
