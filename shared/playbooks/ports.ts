/** Ports of the playbook runner: where execution records go and what an action is. */

export interface StepRecord {
  tenantId: string;
  executionId: string;
  index: number;
  stepId: string;
  action: string;
  status: 'running' | 'succeeded' | 'failed';
  input: unknown;
  output?: unknown;
  error?: { name: string; message: string };
  at: string;
}

export interface OutcomeRecord {
  tenantId: string;
  executionId: string;
  status: 'succeeded' | 'failed';
  results?: unknown;
  error?: unknown;
  at: string;
}

export interface ExecutionRepository {
  /** Upserts the record of one step; a retried step updates the same record and counts attempts. */
  recordStep(record: StepRecord): Promise<void>;
  recordOutcome(record: OutcomeRecord): Promise<void>;
}

export interface ActionContext {
  tenantId: string;
  executionId: string;
  stepId: string;
}

/** Runs one action with its params; throws TransientActionError to be retried. */
export type ActionHandler = (params: Record<string, unknown>, context: ActionContext) => Promise<unknown>;
