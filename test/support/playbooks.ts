import type { ExecutionRepository, OutcomeRecord, StepRecord } from '../../shared/playbooks/ports';

/** In-memory execution repository (the DynamoDB one is tested against DynamoDB Local). */
export function memoryExecutions(): ExecutionRepository & { steps: StepRecord[]; outcomes: OutcomeRecord[] } {
  const steps: StepRecord[] = [];
  const outcomes: OutcomeRecord[] = [];
  return {
    steps,
    outcomes,
    async recordStep(record) {
      steps.push(record);
    },
    async recordOutcome(record) {
      outcomes.push(record);
    },
  };
}
