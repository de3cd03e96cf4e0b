import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAwsServices, startAwsServices } from '../../../infra/local/aws-services';
import { loadOrCreateLocalKeys } from '../../../infra/local/local-keys';
import {
  envelopeEncryptionFromEnv,
  kmsEnvelopeEncryption,
  rawAesEnvelopeEncryption,
} from '../../../shared/adapters/aws/envelope-encryption';
import { ConfigError } from '../../../shared/platform/config';
import { DecryptionError, type EncryptionContext } from '../../../shared/platform/crypto/envelope';

const secret = 'JBSWY3DPEHPK3PXP';
const context: EncryptionContext = { tenantId: 'tenant-a', purpose: 'totp' };
const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1b4e28ba-2fa1-11d2-883f-0016d3cca427';

/** The rejection of a promise that must reject, to assert on its fields. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('envelope encryption with a raw AES keyring', () => {
  const key = randomBytes(32);
  const envelope = rawAesEnvelopeEncryption({ keyName: 'local-data-key', key });

  it('round-trips a secret under its context, as opaque base64 that differs every time', async () => {
    const first = await envelope.encrypt(secret, context);
    const second = await envelope.encrypt(secret, context);

    expect(first).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(first).not.toBe(second);
    expect(Buffer.from(first, 'base64').includes(secret)).toBe(false);
    expect((await envelope.decrypt(first, context)).toString('utf8')).toBe(secret);
  });

  it('round-trips bytes', async () => {
    const bytes = randomBytes(20);
    const ciphertext = await envelope.encrypt(bytes, context);
    expect((await envelope.decrypt(ciphertext, context)).equals(bytes)).toBe(true);
  });

  it.each([
    ['another tenant', { tenantId: 'tenant-b', purpose: 'totp' }],
    ['another purpose', { tenantId: 'tenant-a', purpose: 'integration:virustotal' }],
    ['an extra key', { tenantId: 'tenant-a', purpose: 'totp', integrationId: 'vt' }],
  ])('refuses to decrypt for %s', async (_, other) => {
    const ciphertext = await envelope.encrypt(secret, context);

    const error = await rejectionOf(envelope.decrypt(ciphertext, other));

    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as DecryptionError).reason).toBe('context_mismatch');
    expect((error as DecryptionError).message).not.toMatch(/tenant-|totp|virustotal|vt/);
  });

  it('refuses a context missing one of the keys it was encrypted with', async () => {
    const ciphertext = await envelope.encrypt(secret, { ...context, integrationId: 'vt' });
    const error = await rejectionOf(envelope.decrypt(ciphertext, context));
    expect((error as DecryptionError).reason).toBe('context_mismatch');
  });

  it('refuses a tampered ciphertext', async () => {
    const bytes = Buffer.from(await envelope.encrypt(secret, context), 'base64');
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 0x01;

    const error = await rejectionOf(envelope.decrypt(tampered.toString('base64'), context));

    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as DecryptionError).reason).toBe('unreadable');
    expect(
      await rejectionOf(envelope.decrypt(bytes.subarray(0, 100).toString('base64'), context)),
    ).toBeInstanceOf(DecryptionError);
    expect(await rejectionOf(envelope.decrypt('not a ciphertext', context))).toBeInstanceOf(DecryptionError);
  });

  it('refuses a ciphertext from another key, under the same or another key name', async () => {
    const ciphertext = await envelope.encrypt(secret, context);
    const sameName = rawAesEnvelopeEncryption({ keyName: 'local-data-key', key: randomBytes(32) });
    const otherName = rawAesEnvelopeEncryption({ keyName: 'other-key', key });

    for (const other of [sameName, otherName]) {
      const error = await rejectionOf(other.decrypt(ciphertext, context));
      expect(error).toBeInstanceOf(DecryptionError);
      expect((error as DecryptionError).reason).toBe('unreadable');
    }
  });

  it('refuses to encrypt without a tenant or a purpose', async () => {
    await expect(envelope.encrypt(secret, { tenantId: '', purpose: 'totp' })).rejects.toThrow(TypeError);
    await expect(
      envelope.encrypt(secret, { tenantId: 'tenant-a' } as unknown as EncryptionContext),
    ).rejects.toThrow(TypeError);
  });

  it("accepts only a 256-bit key, and leaves the caller's copy intact", () => {
    expect(() => rawAesEnvelopeEncryption({ keyName: 'k', key: randomBytes(16) })).toThrow(ConfigError);
    expect(key.equals(Buffer.alloc(32))).toBe(false);
  });
});

describe('envelope encryption with the KMS keyring', () => {
  /** A KMS stand-in: one data key, returned fresh on each call because the SDK zeroes what it receives. */
  const kmsWithDataKey = () => {
    const client = new KMSClient({ region: 'eu-west-1' });
    const mock = mockClient(client);
    const dataKey = randomBytes(32);
    const wrapped = Buffer.from('wrapped-by-kms');
    mock.on(GenerateDataKeyCommand).callsFake(() => ({
      KeyId: keyArn,
      Plaintext: new Uint8Array(dataKey),
      CiphertextBlob: new Uint8Array(wrapped),
    }));
    mock.on(DecryptCommand).callsFake(() => ({ KeyId: keyArn, Plaintext: new Uint8Array(dataKey) }));
    return { client, mock, wrapped };
  };

  it('generates the data key with the key ARN and the context, and decrypts it with the same', async () => {
    const { client, mock, wrapped } = kmsWithDataKey();
    const envelope = kmsEnvelopeEncryption(client, keyArn);

    const ciphertext = await envelope.encrypt(secret, context);
    const plaintext = await envelope.decrypt(ciphertext, context);

    expect(plaintext.toString('utf8')).toBe(secret);
    const generated = mock.commandCalls(GenerateDataKeyCommand);
    expect(generated).toHaveLength(1);
    expect(generated[0]?.args[0].input).toMatchObject({ KeyId: keyArn, NumberOfBytes: 32 });
    expect(generated[0]?.args[0].input.EncryptionContext).toEqual(context);
    const decrypted = mock.commandCalls(DecryptCommand);
    expect(decrypted).toHaveLength(1);
    expect(decrypted[0]?.args[0].input.KeyId).toBe(keyArn);
    expect(decrypted[0]?.args[0].input.EncryptionContext).toEqual(context);
    expect(Buffer.from(decrypted[0]?.args[0].input.CiphertextBlob ?? []).equals(wrapped)).toBe(true);
  });

  it('refuses another context without asking KMS to unwrap the data key', async () => {
    const { client, mock } = kmsWithDataKey();
    const envelope = kmsEnvelopeEncryption(client, keyArn);
    const ciphertext = await envelope.encrypt(secret, context);

    const error = await rejectionOf(envelope.decrypt(ciphertext, { tenantId: 'tenant-b', purpose: 'totp' }));

    expect((error as DecryptionError).reason).toBe('context_mismatch');
    expect(mock.commandCalls(DecryptCommand)).toHaveLength(0);
  });

  it('reports a KMS refusal as a DecryptionError', async () => {
    const { client, mock } = kmsWithDataKey();
    const envelope = kmsEnvelopeEncryption(client, keyArn);
    const ciphertext = await envelope.encrypt(secret, context);
    mock
      .on(DecryptCommand)
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));

    const error = await rejectionOf(envelope.decrypt(ciphertext, context));

    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as DecryptionError).reason).toBe('unreadable');
  });

  it('refuses a message whose data key is wrapped by another KMS key', async () => {
    const { client } = kmsWithDataKey();
    const ciphertext = await kmsEnvelopeEncryption(client, keyArn).encrypt(secret, context);
    const otherArn = keyArn.replace('1b4e28ba', '2c5f39cb');

    const error = await rejectionOf(kmsEnvelopeEncryption(client, otherArn).decrypt(ciphertext, context));

    expect((error as DecryptionError).reason).toBe('unreadable');
  });
});

describe('envelope encryption against the local KMS', () => {
  let aws: RunningAwsServices;
  let kms: KMSClient;

  beforeAll(async () => {
    const keys = loadOrCreateLocalKeys(join(mkdtempSync(join(tmpdir(), 'vigil-envelope-')), 'keys'));
    aws = await startAwsServices({ host: '127.0.0.1', queues: [], buses: [], keys });
    kms = new KMSClient({
      endpoint: aws.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    await aws?.close();
  });

  it('round-trips through GenerateDataKey and Decrypt of the file-backed key', async () => {
    const envelope = kmsEnvelopeEncryption(kms, String(aws.keyArns.data));

    const ciphertext = await envelope.encrypt(secret, context);

    expect((await envelope.decrypt(ciphertext, context)).toString('utf8')).toBe(secret);
    expect(await rejectionOf(envelope.decrypt(ciphertext, { ...context, purpose: 'other' }))).toBeInstanceOf(
      DecryptionError,
    );
  });
});

describe('envelope encryption from the environment', () => {
  const localEnv = (file: string) => ({
    VIGIL_STAGE: 'test',
    VIGIL_TARGET: 'local',
    DATA_KEY_ARN: keyArn,
    LOCAL_DATA_KEY_FILE: file,
  });

  it('uses the local key file on the local target, named by DATA_KEY_ARN', async () => {
    const key = randomBytes(32);
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-data-key-')), 'data-key.b64');
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
    const client = new KMSClient({ region: 'eu-west-1' });
    const mock = mockClient(client);

    const ciphertext = await envelopeEncryptionFromEnv(client, localEnv(file)).encrypt(secret, context);

    const sameKey = rawAesEnvelopeEncryption({ keyName: keyArn, key });
    expect((await sameKey.decrypt(ciphertext, context)).toString('utf8')).toBe(secret);
    expect(mock.calls()).toHaveLength(0);
  });

  it('uses KMS with DATA_KEY_ARN when deployed', async () => {
    const client = new KMSClient({ region: 'eu-west-1' });
    const mock = mockClient(client);
    mock.on(GenerateDataKeyCommand).callsFake(() => ({
      KeyId: keyArn,
      Plaintext: new Uint8Array(randomBytes(32)),
      CiphertextBlob: new Uint8Array(8),
    }));

    await envelopeEncryptionFromEnv(client, { VIGIL_STAGE: 'test', DATA_KEY_ARN: keyArn }).encrypt(
      secret,
      context,
    );

    expect(mock.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input.KeyId).toBe(keyArn);
  });

  it('fails at cold start when the local key file or the key ARN is not configured', () => {
    const client = new KMSClient({ region: 'eu-west-1' });
    expect(() =>
      envelopeEncryptionFromEnv(client, { VIGIL_STAGE: 'test', VIGIL_TARGET: 'local', DATA_KEY_ARN: keyArn }),
    ).toThrow(ConfigError);
    expect(() => envelopeEncryptionFromEnv(client, { VIGIL_STAGE: 'test' })).toThrow(ConfigError);
  });
});
