import type { KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * File-backed keys standing in for KMS on the local target: an ECC P-256 signing key (for ES256
 * JWTs, like the asymmetric KMS key in AWS), a 256-bit AES data key (like the KMS data key), and the
 * platform secret (like the Secrets Manager secret).
 * Created once with mode 0600 in `<dataDir>/keys` and reused, so tokens and ciphertexts survive a
 * restart.
 */
export interface LocalKeys {
  signing: { keyId: string; privateKey: KeyObject; publicKey: KeyObject };
  data: { keyId: string; key: Buffer };
  /** The platform secret (Secrets Manager in AWS): a JSON document with the password pepper. */
  platformSecret: { name: string; value: string };
}

interface StoredKeys {
  signing: { keyId: string; privateKeyPem: string };
  data: { keyId: string; keyBase64: string };
  platformSecret?: { name: string; value: string };
}

export function loadOrCreateLocalKeys(dir: string): LocalKeys {
  const file = join(dir, 'local-keys.json');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const stored: StoredKeys = {
      signing: {
        keyId: randomUUID(),
        privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      },
      data: { keyId: randomUUID(), keyBase64: randomBytes(32).toString('base64') },
    };
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKeys;
  if (!stored.platformSecret) {
    stored.platformSecret = {
      name: 'vigil/local/platform',
      value: JSON.stringify({ version: 1, pepper: randomBytes(48).toString('base64url') }),
    };
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  const privateKey = createPrivateKey(stored.signing.privateKeyPem);
  return {
    signing: { keyId: stored.signing.keyId, privateKey, publicKey: createPublicKey(privateKey) },
    data: { keyId: stored.data.keyId, key: Buffer.from(stored.data.keyBase64, 'base64') },
    platformSecret: stored.platformSecret,
  };
}
