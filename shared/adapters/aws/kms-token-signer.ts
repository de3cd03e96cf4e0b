import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { calculateJwkThumbprint, exportJWK, importSPKI, type JWK } from 'jose';
import { derToJose, type TokenSigner } from '../../identity/tokens';

/**
 * TokenSigner on a KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY): KMS signs the raw JWS signing
 * input with ECDSA_SHA_256 and the private key never leaves it. The public key is fetched once and
 * published as a JWK whose `kid` is its RFC 7638 thumbprint. Locally the same calls reach the
 * file-backed key behind the local KMS.
 */
export function kmsTokenSigner(client: KMSClient, keyId: string): TokenSigner {
  let jwk: Promise<JWK & { kid: string }> | undefined;
  const load = async (): Promise<JWK & { kid: string }> => {
    const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
    if (!PublicKey) throw new Error('KMS returned no public key');
    const pem = `-----BEGIN PUBLIC KEY-----\n${Buffer.from(PublicKey).toString('base64')}\n-----END PUBLIC KEY-----`;
    const exported = await exportJWK(await importSPKI(pem, 'ES256', { extractable: true }));
    const kid = await calculateJwkThumbprint(exported);
    return { ...exported, kid, alg: 'ES256', use: 'sig' };
  };
  return {
    async sign(signingInput) {
      const { Signature } = await client.send(
        new SignCommand({
          KeyId: keyId,
          Message: signingInput,
          MessageType: 'RAW',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      if (!Signature) throw new Error('KMS returned no signature');
      return derToJose(Signature);
    },
    publicJwk() {
      jwk ??= load().catch((error) => {
        jwk = undefined;
        throw error;
      });
      return jwk;
    },
  };
}
