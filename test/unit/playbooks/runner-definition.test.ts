import { describe, expect, it } from 'vitest';
import { LocalStateMachines, localLambdaArn } from '../../../infra/local/state-machines';
import { TransientActionError } from '../../../shared/playbooks/errors';
import type { ActionHandler } from '../../../shared/playbooks/ports';
import { playbookRunnerDefinition } from '../../../shared/playbooks/runner-definition';
import { runPlaybookTask } from '../../../shared/playbooks/step-runner';
import { memoryExecutions } from '../../support/playbooks';

const stepArn = localLambdaArn('playbook-step');

function runner(actions: Record<string, ActionHandler>) {
  const executions = memoryExecutions();
  const machines = new LocalStateMachines();
  const arn = machines.register({
    name: 'playbook-runner',
    definition: playbookRunnerDefinition({ stepFunctionArn: stepArn }),
    lambdaHandlers: { [stepArn]: runPlaybookTask({ actions, executions, now: () => new Date() }) },
    waitTimeOverrides: { WaitStep: 1 },
    retryIntervalMs: 1,
  });
  const start = async (steps: unknown[]) => {
    const { executionArn } = await machines.startExecution({
      stateMachineArn: arn,
      input: JSON.stringify({ tenantId: 't1', executionId: 'exec-1', playbookId: 'pb-1', steps }),
    });
    return machines.waitForExecution(executionArn);
  };
  return { executions, start };
}

describe('playbook runner state machine (single-sourced ASL, run locally)', () => {
  it('runs steps in order through Map, routing wait steps through Choice to a Wait state', async () => {
    const order: string[] = [];
    const { start, executions } = runner({
      log: async (params) => {
        order.push(String(params.message));
        return { ok: true };
      },
    });

    const result = await start([
      { id: 'a', action: 'log', params: { message: 'first' } },
      { id: 'pause', action: 'wait', params: { seconds: 30 } },
      { id: 'b', action: 'log', params: { message: 'second' } },
    ]);

    expect(result?.status).toBe('SUCCEEDED');
    expect(order).toEqual(['first', 'second']);
    expect(JSON.parse(result?.output ?? '{}')).toEqual({ recorded: true });
    expect(executions.outcomes).toEqual([
      expect.objectContaining({
        status: 'succeeded',
        results: [
          { stepId: 'a', status: 'succeeded', output: { ok: true } },
          { stepId: 'pause', status: 'succeeded' },
          { stepId: 'b', status: 'succeeded', output: { ok: true } },
        ],
      }),
    ]);
  });

  it('retries a step that throws TransientActionError until it succeeds', async () => {
    let attempts = 0;
    const { start, executions } = runner({
      flaky: async () => {
        attempts += 1;
        if (attempts < 3) throw new TransientActionError('upstream busy');
        return { attempts };
      },
    });

    const result = await start([{ id: 'f', action: 'flaky', params: {} }]);

    expect(result?.status).toBe('SUCCEEDED');
    expect(attempts).toBe(3);
    expect(executions.steps.filter((s) => s.status === 'failed').map((s) => s.error?.name)).toEqual([
      'TransientActionError',
      'TransientActionError',
    ]);
  });

  it('catches a failed step and continues when its policy is continue', async () => {
    const { start, executions } = runner({
      broken: async () => {
        throw new Error('no such host');
      },
      log: async () => ({ ok: true }),
    });

    const result = await start([
      { id: 'x', action: 'broken', params: {}, onError: 'continue' },
      { id: 'y', action: 'log', params: { message: 'still runs' } },
    ]);

    expect(result?.status).toBe('SUCCEEDED');
    const outcome = executions.outcomes[0];
    expect(outcome?.results).toEqual([
      expect.objectContaining({
        stepId: 'x',
        status: 'failed',
        error: expect.objectContaining({ Error: 'Error' }),
      }),
      expect.objectContaining({ stepId: 'y', status: 'succeeded' }),
    ]);
  });

  it('aborts on a failed step by default: records the failure and fails the execution', async () => {
    const ran: string[] = [];
    const { start, executions } = runner({
      broken: async () => {
        throw new Error('denied');
      },
      log: async (params) => {
        ran.push(String(params.message));
        return {};
      },
    });

    const result = await start([
      { id: 'x', action: 'broken', params: {} },
      { id: 'y', action: 'log', params: { message: 'never' } },
    ]);

    expect(result?.status).toBe('FAILED');
    expect(result?.error).toBe('PlaybookFailed');
    expect(ran).toEqual([]);
    expect(executions.outcomes).toEqual([
      expect.objectContaining({ status: 'failed', error: expect.objectContaining({ Error: 'StepFailed' }) }),
    ]);
  });
});
