import { readFileSync } from 'node:fs';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  type KeyringNode,
  KmsKeyringNode,
  type KmsNodeClientSupplier,
  NodeDefaultCryptographicMaterialsManager,
  type NodeMaterialsManager,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { ConfigError, platformConfig, requireEnv } from '../../platform/config';
import {
  assertEncryptionContext,
  DecryptionError,
  type EnvelopeEncryption,
  sameEncryptionContext,
} from '../../platform/crypto/envelope';

/**
 * EnvelopeEncryption on the AWS Encryption SDK. Messages use a key-committing suite without a signature:
 * the same functions encrypt and decrypt, so a signature would only add ~100 bytes per value and an
 * ECDSA P-384 operation per call. A message has exactly one encrypted data key and readers accept no
 * more, which bounds the work a forged ciphertext can cause.
 */
const { encrypt, decrypt } = buildClient({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: 1,
});
const suiteId = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;

/** Key namespace of raw AES data keys (recorded in each message as the data key's provider id). */
export const rawAesKeyNamespace = 'vigil-local';

type EsdkKms = Exclude<ReturnType<KmsNodeClientSupplier>, false>;

/**
 * The SDK calls `generateDataKey` / `decrypt` on a v2-style client; this routes them through the injected
 * v3 client's `send`, so its X-Ray capture, endpoint (the local KMS) and mocks apply.
 */
function viaSend(client: KMSClient): EsdkKms {
  return {
    generateDataKey: (input) => client.send(new GenerateDataKeyCommand(input)),
    decrypt: (input) => client.send(new DecryptCommand(input)),
    encrypt: () => Promise.reject(new Error('The data key is only ever generated, never encrypted.')),
  };
}

/**
 * Data keys from KMS: `kms:GenerateDataKey` on encrypt and `kms:Decrypt` on decrypt, both with the
 * encryption context, on the one symmetric key `keyArn` (a key ARN: aliases cannot match on decrypt).
 */
export function kmsEnvelopeEncryption(client: KMSClient, keyArn: string): EnvelopeEncryption {
  const kms = viaSend(client);
  return envelopeEncryption(new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => kms }));
}

/**
 * Data keys wrapped locally with a 256-bit AES key (AES-GCM, the context as AAD): the local target's
 * stand-in for KMS. `keyName` identifies the key in each message; a message for another name is refused.
 */
export function rawAesEnvelopeEncryption(options: { keyName: string; key: Uint8Array }): EnvelopeEncryption {
  if (options.key.byteLength !== 32) throw new ConfigError('The raw AES data key must be 256 bits.');
  return envelopeEncryption(
    new RawAesKeyringNode({
      keyNamespace: rawAesKeyNamespace,
      keyName: options.keyName,
      // The keyring moves the key into a KeyObject and zeroes the bytes it was given: give it a copy.
      unencryptedMasterKey: new Uint8Array(options.key),
      wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    }),
  );
}

/**
 * The Lambdas' envelope encryption, chosen at cold start: in AWS the KMS key in `DATA_KEY_ARN`; on the
 * local target (`VIGIL_TARGET=local`) the file-backed data key whose base64 is in `LOCAL_DATA_KEY_FILE`,
 * named by `DATA_KEY_ARN` (the local KMS key's ARN) so messages stay tied to that key.
 */
export function envelopeEncryptionFromEnv(
  client: KMSClient,
  env: Record<string, string | undefined> = process.env,
): EnvelopeEncryption {
  const keyArn = requireEnv('DATA_KEY_ARN', env);
  if (platformConfig(env).target !== 'local') return kmsEnvelopeEncryption(client, keyArn);
  const file = requireEnv('LOCAL_DATA_KEY_FILE', env);
  return rawAesEnvelopeEncryption({
    keyName: keyArn,
    key: Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'),
  });
}

function envelopeEncryption(keyring: KeyringNode): EnvelopeEncryption {
  const materials = new NodeDefaultCryptographicMaterialsManager(keyring);
  return {
    async encrypt(plaintext, context) {
      assertEncryptionContext(context);
      const { result } = await encrypt(materials, plaintext, { suiteId, encryptionContext: { ...context } });
      return result.toString('base64');
    },

    async decrypt(ciphertext, context) {
      // The context is checked against the message header before any data key is unwrapped, so a
      // ciphertext for another tenant or purpose never reaches KMS or the keyring.
      const guarded: NodeMaterialsManager = {
        getEncryptionMaterials: (request) => materials.getEncryptionMaterials(request),
        decryptMaterials: (request) => {
          if (!sameEncryptionContext(request.encryptionContext, context)) {
            throw new DecryptionError('context_mismatch');
          }
          return materials.decryptMaterials(request);
        },
      };
      try {
        const { plaintext, messageHeader } = await decrypt(guarded, Buffer.from(ciphertext, 'base64'));
        // The guard saw the header before its authentication tag was checked; this one is verified.
        if (!sameEncryptionContext(messageHeader.encryptionContext, context)) {
          plaintext.fill(0);
          throw new DecryptionError('context_mismatch');
        }
        return plaintext;
      } catch (error) {
        if (error instanceof DecryptionError) throw error;
        throw new DecryptionError('unreadable', { cause: error });
      }
    },
  };
}
