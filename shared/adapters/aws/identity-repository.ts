import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  EmailTakenError,
  type IdentityRepository,
  type RefreshTokenRecord,
  type UserRecord,
} from '../../identity/ports';

/**
 * Identity items on the state table:
 * - tenant `T#<tid> / TENANT`, user `T#<tid> / USER#<uid>`, refresh family `T#<tid> / RTF#<fid>`;
 * - global lookups: `EMAIL#<email> / EMAIL` (one account per address), `RT#<sha256> / RT` (refresh
 *   tokens by hash), `JTI#<jti> / JTI` (denied access tokens).
 * Refresh tokens, families and denied ids expire by TTL.
 */
export function dynamoIdentityRepository(
  client: DynamoDBDocumentClient,
  tableName: string,
): IdentityRepository {
  const get = async (pk: string, sk: string) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;

  const toUser = (item: Record<string, unknown>): UserRecord => ({
    id: String(item.userId),
    tenantId: String(item.tenantId),
    email: String(item.email),
    name: String(item.name),
    passwordHash: String(item.passwordHash),
    roles: (item.roles as UserRecord['roles']) ?? [],
    status: item.status === 'disabled' ? 'disabled' : 'active',
    createdAt: String(item.createdAt),
    sessionVersion: Number(item.sessionVersion ?? 0),
    emailVerified: item.emailVerified === true,
  });

  return {
    async createTenantWithAdmin(tenant, admin) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    pk: `EMAIL#${admin.email}`,
                    sk: 'EMAIL',
                    type: 'email',
                    tenantId: admin.tenantId,
                    userId: admin.id,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    pk: `T#${tenant.id}`,
                    sk: 'TENANT',
                    type: 'tenant',
                    tenantId: tenant.id,
                    name: tenant.name,
                    createdAt: tenant.createdAt,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    pk: `T#${admin.tenantId}`,
                    sk: `USER#${admin.id}`,
                    type: 'user',
                    userId: admin.id,
                    tenantId: admin.tenantId,
                    email: admin.email,
                    name: admin.name,
                    passwordHash: admin.passwordHash,
                    roles: admin.roles,
                    status: admin.status,
                    createdAt: admin.createdAt,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
      } catch (error) {
        if (
          error instanceof TransactionCanceledException &&
          error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
        ) {
          throw new EmailTakenError(admin.email);
        }
        throw error;
      }
    },

    async findUserByEmail(email) {
      const lookup = await get(`EMAIL#${email}`, 'EMAIL');
      if (!lookup) return undefined;
      const item = await get(`T#${String(lookup.tenantId)}`, `USER#${String(lookup.userId)}`);
      return item ? toUser(item) : undefined;
    },

    async getUser(tenantId, userId) {
      const item = await get(`T#${tenantId}`, `USER#${userId}`);
      return item ? toUser(item) : undefined;
    },

    async putRefreshToken(record) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `RT#${record.tokenHash}`,
            sk: 'RT',
            type: 'refresh-token',
            ...record,
            ttl: record.expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async getRefreshToken(tokenHash) {
      const item = await get(`RT#${tokenHash}`, 'RT');
      if (!item) return undefined;
      return {
        tokenHash,
        tenantId: String(item.tenantId),
        userId: String(item.userId),
        familyId: String(item.familyId),
        sessionVersion: Number(item.sessionVersion ?? 0),
        expiresAt: Number(item.expiresAt),
        ...(item.rotatedAt ? { rotatedAt: String(item.rotatedAt) } : {}),
      } satisfies RefreshTokenRecord;
    },

    async markRotated(tokenHash, at) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: `RT#${tokenHash}`, sk: 'RT' },
            UpdateExpression: 'SET rotatedAt = :at',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(rotatedAt)',
            ExpressionAttributeValues: { ':at': at },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async revokeFamily(tenantId, familyId, at, expiresAt) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `T#${tenantId}`,
            sk: `RTF#${familyId}`,
            type: 'refresh-family',
            revokedAt: at,
            ttl: expiresAt,
          },
        }),
      );
    },

    async isFamilyRevoked(tenantId, familyId) {
      return (await get(`T#${tenantId}`, `RTF#${familyId}`))?.revokedAt !== undefined;
    },

    async denyAccessToken(jti, expiresAt) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: `JTI#${jti}`, sk: 'JTI', type: 'denied-jti', ttl: expiresAt },
        }),
      );
    },

    async isAccessTokenDenied(jti) {
      return (await get(`JTI#${jti}`, 'JTI')) !== undefined;
    },

    async getLockout(email) {
      const lockedUntil = (await get(`LOCK#${email}`, 'LOCK'))?.lockedUntil;
      return typeof lockedUntil === 'number' ? lockedUntil : undefined;
    },

    async recordLoginFailure(email, nowSeconds, lockSeconds) {
      const result = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `LOCK#${email}`, sk: 'LOCK' },
          UpdateExpression: 'ADD failures :one SET #ttl = :ttl, #type = :type',
          ExpressionAttributeNames: { '#ttl': 'ttl', '#type': 'type' },
          ExpressionAttributeValues: { ':one': 1, ':ttl': nowSeconds + 24 * 3600, ':type': 'login-failures' },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const failures = Number(result.Attributes?.failures ?? 1);
      const lock = lockSeconds(failures);
      if (lock > 0) {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: `LOCK#${email}`, sk: 'LOCK' },
            UpdateExpression: 'SET lockedUntil = :until',
            ExpressionAttributeValues: { ':until': nowSeconds + lock },
          }),
        );
      }
    },

    async clearLoginFailures(email) {
      await client.send(
        new DeleteCommand({ TableName: tableName, Key: { pk: `LOCK#${email}`, sk: 'LOCK' } }),
      );
    },

    async putOneTimeToken(kind, record) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `OTT#${kind}#${record.tokenHash}`,
            sk: 'OTT',
            type: kind,
            ...record,
            ttl: record.expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async consumeOneTimeToken(kind, tokenHash, nowSeconds) {
      try {
        const result = await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { pk: `OTT#${kind}#${tokenHash}`, sk: 'OTT' },
            ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
            ExpressionAttributeValues: { ':now': nowSeconds },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const item = result.Attributes;
        if (!item) return undefined;
        return {
          tokenHash,
          tenantId: String(item.tenantId),
          userId: String(item.userId),
          expiresAt: Number(item.expiresAt),
        };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },

    async markEmailVerified(tenantId, userId) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `T#${tenantId}`, sk: `USER#${userId}` },
          UpdateExpression: 'SET emailVerified = :yes',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':yes': true },
        }),
      );
    },

    async setPassword(tenantId, userId, passwordHash) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `T#${tenantId}`, sk: `USER#${userId}` },
          UpdateExpression: 'SET passwordHash = :hash ADD sessionVersion :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':hash': passwordHash, ':one': 1 },
        }),
      );
    },
  };
}
