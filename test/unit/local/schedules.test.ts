import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalScheduler, nextFireTime, ScheduleExpressionError } from '../../../infra/local/schedules';

const at = (iso: string) => new Date(iso);

describe('schedule expressions', () => {
  it.each([
    ['rate(5 minutes)', '2026-11-22T18:03:10Z', '2026-11-22T18:08:10.000Z'],
    ['rate(1 hour)', '2026-11-22T18:03:00Z', '2026-11-22T19:03:00.000Z'],
    ['cron(0/15 * * * ? *)', '2026-11-22T18:03:10Z', '2026-11-22T18:15:00.000Z'],
    ['cron(0 9 ? * MON-FRI *)', '2026-11-21T10:00:00Z', '2026-11-23T09:00:00.000Z'],
    ['cron(30 2 1 JAN ? *)', '2026-11-22T00:00:00Z', '2027-01-01T02:30:00.000Z'],
    ['cron(0 0 L * ? *)', '2026-02-10T00:00:00Z', '2026-02-28T00:00:00.000Z'],
    ['cron(0 12 ? * 1,7 2026)', '2026-11-22T12:00:00Z', '2026-11-28T12:00:00.000Z'],
  ])('%s after %s fires at %s', (expression, after, expected) => {
    expect(nextFireTime(expression, at(after)).toISOString()).toBe(expected);
  });

  it.each([
    'rate(0 minutes)',
    'rate(1 minutes)',
    'cron(0 9 * * MON *)',
    'cron(61 * * * ? *)',
    'cron(* * * *)',
    'every 5 minutes',
  ])('rejects %s', (expression) => {
    expect(() => nextFireTime(expression, new Date())).toThrow(ScheduleExpressionError);
  });
});

describe('local scheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a Scheduled Event at each fire time until stopped', async () => {
    vi.useFakeTimers({ now: at('2026-11-22T18:00:30Z') });
    const fired: Array<{ time: string; source: string; resources: string[] }> = [];
    const scheduler = new LocalScheduler();

    scheduler.addRule('health-checks', 'rate(1 minute)', (event) => {
      fired.push({ time: event.time, source: event.source, resources: event.resources });
    });
    await vi.advanceTimersByTimeAsync(2 * 60_000 + 1);
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(5 * 60_000);

    expect(fired.map((f) => f.time)).toEqual(['2026-11-22T18:01:30Z', '2026-11-22T18:02:30Z']);
    expect(fired[0]).toMatchObject({
      source: 'aws.events',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/health-checks'],
    });
  });
});
