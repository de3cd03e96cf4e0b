import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { json } from '../support/http';
import { type LocalStackProcess, processesMentioning, startLocalStackProcess } from '../support/local-stack';

function stateTable(stack: LocalStackProcess) {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: stack.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  return {
    tenant: () =>
      client.send(new GetCommand({ TableName: 'vigil-local-state', Key: { pk: 'T#demo', sk: 'TENANT' } })),
  };
}

describe('local target lifecycle', () => {
  it('stops every child process on SIGTERM and keeps its data across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-e2e-restart-'));
    const first = await startLocalStackProcess({ dataDir });
    const seeded = await stateTable(first).tenant();
    // An open client must not keep the stack from stopping.
    const ws = new WebSocket(first.wsUrl);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

    const exitCode = await first.stop();
    const leftovers = processesMentioning(dataDir);
    const second = await startLocalStackProcess({ dataDir });
    const reseeded = await stateTable(second).tenant();
    const health = await fetch(`${second.httpUrl}/health`).then(json);
    await second.stop();

    expect(exitCode).toBe(0);
    expect(leftovers).toEqual([]);
    expect(first.output()).toMatch(/Stopped\./);
    expect(seeded.Item?.createdAt).toBeTruthy();
    expect(reseeded.Item?.createdAt).toBe(seeded.Item?.createdAt);
    expect(health.checks.dynamodb.status).toBe('ok');
  });

  it('runs two instances side by side on different ports and data directories', async () => {
    const [a, b] = await Promise.all([startLocalStackProcess(), startLocalStackProcess()]);
    try {
      const [ha, hb] = await Promise.all([fetch(`${a.httpUrl}/health`), fetch(`${b.httpUrl}/health`)]);

      expect(a.httpUrl).not.toBe(b.httpUrl);
      expect(ha.status).toBe(200);
      expect(hb.status).toBe(200);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('recovers a data directory whose previous run was killed outright, leaving no stray DynamoDB Local', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-e2e-killed-'));
    const first = await startLocalStackProcess({ dataDir });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const orphaned = processesMentioning(dataDir).length;

    const second = await startLocalStackProcess({ dataDir });
    const health = await fetch(`${second.httpUrl}/health`).then(json);
    await second.stop();

    expect(orphaned).toBe(1);
    expect(health.checks.dynamodb.status).toBe('ok');
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});
