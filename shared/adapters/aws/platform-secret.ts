import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';

/**
 * The platform secret (Secrets Manager), fetched at cold start and cached for the container's life:
 * never baked into environment variables, never logged.
 */
const platformSecretSchema = z.object({ pepper: z.string().min(32) });

export type PlatformSecret = z.infer<typeof platformSecretSchema>;

export async function loadPlatformSecret(
  client: SecretsManagerClient,
  secretId: string,
): Promise<PlatformSecret> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const parsed = platformSecretSchema.safeParse(JSON.parse(SecretString ?? '{}'));
  if (!parsed.success) throw new Error('The platform secret has no usable pepper.');
  return parsed.data;
}
