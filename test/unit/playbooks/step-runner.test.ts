import { describe, expect, it } from 'vitest';
import type { EventBus, PlatformEvent } from '../../../shared/events/ports';
import { builtInActions } from '../../../shared/playbooks/actions';
import { ActionFailedError, TransientActionError } from '../../../shared/playbooks/errors';
import { runPlaybookTask } from '../../../shared/playbooks/step-runner';
import { memoryExecutions } from '../../support/playbooks';

const now = () => new Date('2026-11-22T18:00:00Z');
const stepInput = (action: string, params: Record<string, unknown>) => ({
  kind: 'step',
  tenantId: 't1',
  executionId: 'e1',
  index: 0,
  step: { id: 's1', action, params },
});

function deps(bus: EventBus = { put: async () => ({ eventIds: ['ev-1'] }) }) {
  const pushed: Array<[string, string, unknown]> = [];
  const executions = memoryExecutions();
  const actions = builtInActions({
    bus,
    publishToTopic: async (tenantId, topic, message) => {
      pushed.push([tenantId, topic, message]);
      return { delivered: 1 };
    },
  });
  return { pushed, executions, run: runPlaybookTask({ actions, executions, now }) };
}

describe('playbook step runner', () => {
  it('publishes an event for the execution’s tenant and records the step', async () => {
    const put: PlatformEvent[] = [];
    const { run, executions } = deps({
      put: async (events) => {
        put.push(...events);
        return { eventIds: ['ev-9'] };
      },
    });

    const result = await run(
      stepInput('event.publish', { detailType: 'Case Opened', detail: { tenantId: 'spoofed' } }),
    );

    expect(result).toEqual({ output: { eventId: 'ev-9' } });
    expect(put).toEqual([
      {
        source: 'vigil.playbooks',
        detailType: 'Case Opened',
        detail: { tenantId: 't1', executionId: 'e1', stepId: 's1' },
      },
    ]);
    expect(executions.steps.map((s) => s.status)).toEqual(['running', 'succeeded']);
  });

  it('pushes to the tenant’s topic', async () => {
    const { run, pushed } = deps();

    await run(stepInput('realtime.push', { topic: 'alerts', message: { text: 'hi' } }));

    expect(pushed).toEqual([['t1', 'alerts', { text: 'hi' }]]);
  });

  it('fails permanently on unknown actions and invalid params, and records why', async () => {
    const { run, executions } = deps();

    await expect(run(stepInput('teleport', {}))).rejects.toBeInstanceOf(ActionFailedError);
    await expect(run(stepInput('log', { message: '' }))).rejects.toThrow(/Invalid params for log: message/);
    expect(executions.steps.filter((s) => s.status === 'failed').map((s) => s.error?.name)).toEqual([
      'ActionFailedError',
      'ActionFailedError',
    ]);
  });

  it('turns a failing dependency into a retryable TransientActionError', async () => {
    const { run } = deps({
      put: async () => {
        throw new Error('ThrottlingException');
      },
    });

    await expect(run(stepInput('event.publish', { detailType: 'X' }))).rejects.toBeInstanceOf(
      TransientActionError,
    );
  });

  it('records the outcome of an execution', async () => {
    const { run, executions } = deps();

    await run({
      kind: 'outcome',
      tenantId: 't1',
      executionId: 'e1',
      status: 'failed',
      error: { Error: 'StepFailed' },
    });

    expect(executions.outcomes).toEqual([
      {
        kind: 'outcome',
        tenantId: 't1',
        executionId: 'e1',
        status: 'failed',
        error: { Error: 'StepFailed' },
        at: '2026-11-22T18:00:00.000Z',
      },
    ]);
  });

  it('rejects malformed task input', async () => {
    const { run } = deps();

    await expect(run({ kind: 'step', tenantId: '' })).rejects.toBeInstanceOf(ActionFailedError);
  });
});
