import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Permission } from '../../identity/permissions';
import {
  EmailTakenError,
  type IdentityRepository,
  LastAdminError,
  type OneTimeTokenRecord,
  type RefreshTokenRecord,
  type SessionRecord,
  type UserChanges,
  type UserRecord,
} from '../../identity/ports';
import { queryPrefix } from './dynamodb';

/** A user who counts towards the tenant's last-admin guard. */
const isActiveAdmin = (user: Pick<UserRecord, 'roles' | 'status'>) =>
  user.roles.includes('admin') && user.status === 'active';

const stringSet = (value: unknown): string[] =>
  value instanceof Set ? [...(value as Set<string>)] : Array.isArray(value) ? value.map(String) : [];

/**
 * Identity items on the state table:
 * - tenant `T#<tid> / TENANT` (with `adminCount`, the number of active admins), user
 *   `T#<tid> / USER#<uid>` (with `rev`, bumped on every change), session (refresh-token family)
 *   `T#<tid> / SESSION#<sid>`;
 * - global lookups: `EMAIL#<email> / EMAIL` (one account per address), `RT#<sha256> / RT` (refresh
 *   tokens by hash), `JTI#<jti> / JTI` (denied access tokens), `OTT#<kind>#<sha256> / OTT` (one-time
 *   tokens).
 * Refresh tokens, sessions, one-time tokens and denied ids expire by TTL.
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
    grants: stringSet(item.grants) as Permission[],
    mfa: {
      enabled: item.mfaEnabled === true,
      ...(item.mfaSecret ? { secret: String(item.mfaSecret) } : {}),
      ...(item.mfaPendingSecret ? { pendingSecret: String(item.mfaPendingSecret) } : {}),
      recoveryCodeHashes: stringSet(item.recoveryCodeHashes),
    },
  });

  const toSession = (item: Record<string, unknown>): SessionRecord => ({
    id: String(item.sessionId),
    tenantId: String(item.tenantId),
    userId: String(item.userId),
    createdAt: String(item.createdAt),
    lastUsedAt: String(item.lastUsedAt ?? item.createdAt),
    ...(item.ip ? { ip: String(item.ip) } : {}),
    ...(item.userAgent ? { userAgent: String(item.userAgent) } : {}),
    amr: stringSet(item.amr),
    expiresAt: Number(item.expiresAt),
    ...(item.revokedAt ? { revokedAt: String(item.revokedAt) } : {}),
  });

  const userKey = (tenantId: string, userId: string) => ({ pk: `T#${tenantId}`, sk: `USER#${userId}` });

  const userItem = (user: UserRecord) => ({
    ...userKey(user.tenantId, user.id),
    type: 'user',
    userId: user.id,
    tenantId: user.tenantId,
    email: user.email,
    name: user.name,
    passwordHash: user.passwordHash,
    roles: user.roles,
    status: user.status,
    createdAt: user.createdAt,
    sessionVersion: user.sessionVersion,
    rev: 0,
    ...(user.emailVerified ? { emailVerified: true } : {}),
    ...(user.grants && user.grants.length > 0 ? { grants: user.grants } : {}),
  });

  /** Update of the tenant's active-admin count; a decrement requires another admin to remain. */
  const adminCountUpdate = (tenantId: string, delta: number) => ({
    Update: {
      TableName: tableName,
      Key: { pk: `T#${tenantId}`, sk: 'TENANT' },
      UpdateExpression: 'ADD adminCount :delta',
      ConditionExpression: delta < 0 ? 'adminCount > :one' : 'attribute_exists(pk)',
      ExpressionAttributeValues: delta < 0 ? { ':delta': delta, ':one': 1 } : { ':delta': delta },
    },
  });

  /** Runs a transaction whose item `adminIndex` is the admin-count update, mapping its failure. */
  const transactUser = async (
    items: NonNullable<TransactWriteCommand['input']['TransactItems']>,
    adminIndex: number,
  ) => {
    try {
      await client.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        if (adminIndex >= 0 && reasons[adminIndex]?.Code === 'ConditionalCheckFailed') {
          throw new LastAdminError('A tenant needs at least one active admin.');
        }
        if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) return false;
      }
      throw error;
    }
  };

  const queryAll = (pk: string, skPrefix: string) => queryPrefix(client, tableName, pk, skPrefix);

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
                    adminCount: 1,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: userItem(admin),
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

    async createUser(user) {
      const admin = isActiveAdmin(user);
      const items: NonNullable<TransactWriteCommand['input']['TransactItems']> = [
        {
          Put: {
            TableName: tableName,
            Item: {
              pk: `EMAIL#${user.email}`,
              sk: 'EMAIL',
              type: 'email',
              tenantId: user.tenantId,
              userId: user.id,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: userItem(user),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ];
      if (admin) items.push(adminCountUpdate(user.tenantId, 1));
      if (!(await transactUser(items, -1))) throw new EmailTakenError(user.email);
    },

    async listUsers(tenantId) {
      return (await queryAll(`T#${tenantId}`, 'USER#')).map(toUser);
    },

    async updateUser(tenantId, userId, changes: UserChanges) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const item = await get(`T#${tenantId}`, `USER#${userId}`);
        if (!item) return undefined;
        const before = toUser(item);
        const after = { ...before, ...changes };
        const sets: string[] = ['rev = :next'];
        const removes: string[] = [];
        const names: Record<string, string> = {};
        const values: Record<string, unknown> = { ':next': Number(item.rev ?? 0) + 1 };
        const set = (attribute: string, value: unknown) => {
          names[`#${attribute}`] = attribute;
          values[`:${attribute}`] = value;
          sets.push(`#${attribute} = :${attribute}`);
        };
        if (changes.name !== undefined) set('name', changes.name);
        if (changes.roles !== undefined) set('roles', changes.roles);
        if (changes.status !== undefined) set('status', changes.status);
        if (changes.grants !== undefined && changes.grants.length > 0) set('grants', changes.grants);
        if (changes.grants !== undefined && changes.grants.length === 0) removes.push('grants');
        if (item.rev !== undefined) values[':rev'] = item.rev;
        const update = {
          Update: {
            TableName: tableName,
            Key: userKey(tenantId, userId),
            UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
            // Optimistic concurrency: the user is unchanged since it was read.
            ConditionExpression:
              item.rev === undefined ? 'attribute_exists(pk) AND attribute_not_exists(rev)' : 'rev = :rev',
            ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
            ExpressionAttributeValues: values,
          },
        };
        const delta = Number(isActiveAdmin(after)) - Number(isActiveAdmin(before));
        const items: NonNullable<TransactWriteCommand['input']['TransactItems']> = [update];
        if (delta !== 0) items.push(adminCountUpdate(tenantId, delta));
        if (await transactUser(items, delta !== 0 ? 1 : -1)) return after;
      }
      throw new Error('The user changed concurrently three times; try again.');
    },

    async deleteUser(tenantId, userId) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const item = await get(`T#${tenantId}`, `USER#${userId}`);
        if (!item) return false;
        const user = toUser(item);
        const items: NonNullable<TransactWriteCommand['input']['TransactItems']> = [
          {
            Delete: {
              TableName: tableName,
              Key: userKey(tenantId, userId),
              ConditionExpression: item.rev === undefined ? 'attribute_not_exists(rev)' : 'rev = :rev',
              ...(item.rev === undefined ? {} : { ExpressionAttributeValues: { ':rev': item.rev } }),
            },
          },
          { Delete: { TableName: tableName, Key: { pk: `EMAIL#${user.email}`, sk: 'EMAIL' } } },
        ];
        const admin = isActiveAdmin(user);
        if (admin) items.push(adminCountUpdate(tenantId, -1));
        if (await transactUser(items, admin ? 2 : -1)) return true;
      }
      throw new Error('The user changed concurrently three times; try again.');
    },

    async setPendingMfaSecret(tenantId, userId, ciphertext) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: userKey(tenantId, userId),
          UpdateExpression: 'SET mfaPendingSecret = :secret',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':secret': ciphertext },
        }),
      );
    },

    async enableMfa(tenantId, userId, pendingSecret, recoveryCodeHashes) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: userKey(tenantId, userId),
            UpdateExpression:
              'SET mfaEnabled = :yes, mfaSecret = :secret, recoveryCodeHashes = :codes REMOVE mfaPendingSecret',
            ConditionExpression: 'mfaPendingSecret = :secret',
            ExpressionAttributeValues: {
              ':yes': true,
              ':secret': pendingSecret,
              ':codes': new Set(recoveryCodeHashes),
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async disableMfa(tenantId, userId) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: userKey(tenantId, userId),
          UpdateExpression: 'SET mfaEnabled = :no REMOVE mfaSecret, mfaPendingSecret, recoveryCodeHashes',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':no': false },
        }),
      );
    },

    async claimMfaStep(tenantId, userId, step) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: userKey(tenantId, userId),
            UpdateExpression: 'SET mfaLastStep = :step',
            ConditionExpression:
              'attribute_exists(pk) AND (attribute_not_exists(mfaLastStep) OR mfaLastStep < :step)',
            ExpressionAttributeValues: { ':step': step },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async setRecoveryCodes(tenantId, userId, hashes) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: userKey(tenantId, userId),
          UpdateExpression: 'SET recoveryCodeHashes = :codes',
          ConditionExpression: 'mfaEnabled = :yes',
          ExpressionAttributeValues: { ':codes': new Set(hashes), ':yes': true },
        }),
      );
    },

    async consumeRecoveryCode(tenantId, userId, hash) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: userKey(tenantId, userId),
            UpdateExpression: 'DELETE recoveryCodeHashes :code',
            ConditionExpression: 'contains(recoveryCodeHashes, :hash)',
            ExpressionAttributeValues: { ':code': new Set([hash]), ':hash': hash },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async putSession(session) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `T#${session.tenantId}`,
            sk: `SESSION#${session.id}`,
            type: 'session',
            sessionId: session.id,
            tenantId: session.tenantId,
            userId: session.userId,
            createdAt: session.createdAt,
            lastUsedAt: session.lastUsedAt,
            ...(session.ip ? { ip: session.ip } : {}),
            ...(session.userAgent ? { userAgent: session.userAgent.slice(0, 512) } : {}),
            amr: session.amr,
            expiresAt: session.expiresAt,
            ttl: session.expiresAt,
          },
        }),
      );
    },

    async touchSession(tenantId, sessionId, at, ip) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: `T#${tenantId}`, sk: `SESSION#${sessionId}` },
            UpdateExpression: 'SET lastUsedAt = :at, ip = :ip',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':at': at, ':ip': ip },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async getSession(tenantId, sessionId) {
      const item = await get(`T#${tenantId}`, `SESSION#${sessionId}`);
      return item?.sessionId ? toSession(item) : undefined;
    },

    async listSessions(tenantId, nowSeconds, userId) {
      return (await queryAll(`T#${tenantId}`, 'SESSION#'))
        .filter((item) => item.sessionId && !item.revokedAt && Number(item.expiresAt) > nowSeconds)
        .map(toSession)
        .filter((session) => userId === undefined || session.userId === userId);
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
        ...(item.amr ? { amr: stringSet(item.amr) } : {}),
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
      // Upsert: a family revoked before its session item was written stays revoked.
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `T#${tenantId}`, sk: `SESSION#${familyId}` },
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at), #ttl = if_not_exists(#ttl, :ttl)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':at': at, ':ttl': expiresAt },
        }),
      );
    },

    async isFamilyRevoked(tenantId, familyId) {
      return (await get(`T#${tenantId}`, `SESSION#${familyId}`))?.revokedAt !== undefined;
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

    async getOneTimeToken(kind, tokenHash, nowSeconds) {
      const item = await get(`OTT#${kind}#${tokenHash}`, 'OTT');
      if (!item || Number(item.expiresAt) <= nowSeconds) return undefined;
      return toOneTimeToken(tokenHash, item);
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
        return item ? toOneTimeToken(tokenHash, item) : undefined;
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

function toOneTimeToken(tokenHash: string, item: Record<string, unknown>): OneTimeTokenRecord {
  return {
    tokenHash,
    tenantId: String(item.tenantId),
    userId: String(item.userId),
    expiresAt: Number(item.expiresAt),
    ...(item.data ? { data: item.data as Record<string, string> } : {}),
  };
}
