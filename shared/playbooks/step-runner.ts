import * as z from 'zod';
import { ActionFailedError } from './errors';
import type { ActionHandler, ExecutionRepository } from './ports';

/**
 * The use case behind the `playbook-step` Lambda, called by the runner state machine in two ways:
 * `kind: 'step'` runs one step's action and records its status, input, output or error;
 * `kind: 'outcome'` records how the whole execution ended. Errors are rethrown after recording so
 * that the state machine's Retry and Catch see them by name.
 */
export const stepSchema = z.object({
  id: z.string().min(1).max(64),
  action: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()).default({}),
  onError: z.enum(['continue', 'abort']).optional(),
});

export const taskInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('step'),
    tenantId: z.string().min(1),
    executionId: z.string().min(1),
    index: z.number().int().min(0),
    step: stepSchema,
  }),
  z.object({
    kind: z.literal('outcome'),
    tenantId: z.string().min(1),
    executionId: z.string().min(1),
    status: z.enum(['succeeded', 'failed']),
    results: z.unknown().optional(),
    error: z.unknown().optional(),
  }),
]);

export interface StepRunnerDeps {
  actions: Record<string, ActionHandler>;
  executions: ExecutionRepository;
  now: () => Date;
}

export const runPlaybookTask =
  (deps: StepRunnerDeps) =>
  async (raw: unknown): Promise<{ output?: unknown; recorded?: true }> => {
    const parsed = taskInput.safeParse(raw);
    if (!parsed.success)
      throw new ActionFailedError(`Invalid task input: ${parsed.error.issues[0]?.message ?? ''}`);
    const input = parsed.data;
    if (input.kind === 'outcome') {
      await deps.executions.recordOutcome({ ...input, at: deps.now().toISOString() });
      return { recorded: true };
    }
    const { step } = input;
    const base = {
      tenantId: input.tenantId,
      executionId: input.executionId,
      index: input.index,
      stepId: step.id,
      action: step.action,
      input: step.params,
    };
    await deps.executions.recordStep({ ...base, status: 'running', at: deps.now().toISOString() });
    try {
      const action = deps.actions[step.action];
      if (!action) throw new ActionFailedError(`Unknown action '${step.action}'.`);
      const output = await action(step.params, {
        tenantId: input.tenantId,
        executionId: input.executionId,
        stepId: step.id,
      });
      await deps.executions.recordStep({
        ...base,
        status: 'succeeded',
        output,
        at: deps.now().toISOString(),
      });
      return { output: output ?? null };
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      await deps.executions.recordStep({
        ...base,
        status: 'failed',
        error: { name: err.name, message: err.message },
        at: deps.now().toISOString(),
      });
      throw error;
    }
  };
