import { describe, expect, it } from 'vitest';
import { checkHealth, type DependencyProbe } from '../../../shared/platform/health';

const clock = (start: number) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

describe('health check', () => {
  it('is ok with version, stage, uptime and the probe latency when DynamoDB answers', async () => {
    const time = clock(Date.parse('2026-11-22T18:00:00Z'));
    const probe: DependencyProbe = { check: async () => void time.advance(12) };
    const started = time.now() - 90_000;

    const report = await checkHealth({
      dynamodb: probe,
      version: '1.2.3',
      stage: 'prod',
      startedAt: started,
      now: time.now,
      timeoutMs: 1000,
    })();

    expect(report).toEqual({
      status: 'ok',
      version: '1.2.3',
      stage: 'prod',
      uptimeSeconds: 90,
      time: '2026-11-22T18:00:00.012Z',
      checks: { dynamodb: { status: 'ok', latencyMs: 12 } },
    });
  });

  it('is unavailable and names only the error class when DynamoDB fails', async () => {
    class ResourceNotFoundException extends Error {
      override name = 'ResourceNotFoundException';
    }
    const probe: DependencyProbe = {
      check: async () => {
        throw new ResourceNotFoundException(
          'Requested resource not found: Table: vigil-prod-state not found',
        );
      },
    };

    const report = await checkHealth({
      dynamodb: probe,
      version: '1',
      stage: 's',
      startedAt: 0,
      now: Date.now,
      timeoutMs: 1000,
    })();

    expect(report.status).toBe('unavailable');
    expect(report.checks.dynamodb).toMatchObject({ status: 'error', error: 'ResourceNotFoundException' });
    expect(JSON.stringify(report)).not.toContain('vigil-prod-state');
  });

  it('gives up on a dependency that does not answer within the timeout', async () => {
    const probe: DependencyProbe = { check: () => new Promise(() => undefined) };

    const report = await checkHealth({
      dynamodb: probe,
      version: '1',
      stage: 's',
      startedAt: 0,
      now: Date.now,
      timeoutMs: 50,
    })();

    expect(report.checks.dynamodb).toMatchObject({ status: 'error', error: 'Timeout' });
  });
});
