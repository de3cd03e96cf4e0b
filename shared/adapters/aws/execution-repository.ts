import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ExecutionRepository } from '../../playbooks/ports';

/** Execution records are kept for 90 days, then expire by TTL. */
const retentionSeconds = 90 * 24 * 60 * 60;
/** Inputs, outputs and errors are stored as JSON text of at most this many characters. */
export const maxRecordedJson = 16_384;

/**
 * Playbook execution records on the state table, inside the tenant's partition:
 * `sk = EXEC#<executionId>` for the outcome and `sk = EXEC#<executionId>#STEP#<0000>` per step, so one
 * Query lists an execution with its steps in order. Step writes are upserts: a retried step updates
 * its record and increments `attempts`.
 */
export function dynamoExecutionRepository(
  client: DynamoDBDocumentClient,
  tableName: string,
): ExecutionRepository {
  const ttl = (at: string) => Math.floor(Date.parse(at) / 1000) + retentionSeconds;
  return {
    async recordStep(record) {
      const names: Record<string, string> = { '#status': 'status', '#action': 'action', '#ttl': 'ttl' };
      const values: Record<string, unknown> = {
        ':status': record.status,
        ':stepId': record.stepId,
        ':action': record.action,
        ':input': boundedJson(record.input),
        ':at': record.at,
        ':ttl': ttl(record.at),
        ':type': 'execution-step',
      };
      const sets = [
        '#status = :status',
        'stepId = :stepId',
        '#action = :action',
        'inputJson = :input',
        'updatedAt = :at',
        '#ttl = :ttl',
        '#type = :type',
      ];
      names['#type'] = 'type';
      const adds: string[] = [];
      if (record.status === 'running') {
        sets.push('startedAt = if_not_exists(startedAt, :at)');
        adds.push('attempts :one');
        values[':one'] = 1;
      } else {
        sets.push('finishedAt = :at');
      }
      if (record.output !== undefined) {
        sets.push('outputJson = :output');
        values[':output'] = boundedJson(record.output);
      }
      if (record.error) {
        sets.push('errorName = :errorName', 'errorMessage = :errorMessage');
        values[':errorName'] = record.error.name;
        values[':errorMessage'] = record.error.message.slice(0, 2_000);
      }
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: {
            pk: `T#${record.tenantId}`,
            sk: `EXEC#${record.executionId}#STEP#${String(record.index).padStart(4, '0')}`,
          },
          UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },

    async recordOutcome(record) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `T#${record.tenantId}`, sk: `EXEC#${record.executionId}` },
          UpdateExpression:
            'SET #status = :status, finishedAt = :at, resultsJson = :results, errorJson = :error, #ttl = :ttl, #type = :type',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl', '#type': 'type' },
          ExpressionAttributeValues: {
            ':status': record.status,
            ':at': record.at,
            ':results': boundedJson(record.results ?? null),
            ':error': boundedJson(record.error ?? null),
            ':ttl': ttl(record.at),
            ':type': 'execution',
          },
        }),
      );
    },
  };
}

function boundedJson(value: unknown): string {
  const text = JSON.stringify(value ?? null);
  return text.length <= maxRecordedJson ? text : `${text.slice(0, maxRecordedJson)}…(truncated)`;
}
