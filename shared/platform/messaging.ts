/**
 * The one definition of the platform's event bus, its rules and the queues behind them. CDK
 * (`infra/stacks`) and the local target (`infra/local/stack.ts`) both build from it.
 */
export interface QueueDef {
  /** Logical id and name suffix (`vigil-<stage>-<id>`). */
  id: string;
  /** Lambda (from `infra/lambdas.ts`) consuming the queue. */
  consumer: string;
  batchSize: number;
  /** Receives before a message moves to the queue's DLQ. */
  maxReceiveCount: number;
  /** Batches processed at once (Lambda's maximum concurrency for the event source; local consumer slots). */
  maxConcurrency?: number;
  description: string;
}

export const eventsQueue: QueueDef = {
  id: 'events',
  consumer: 'events-dispatcher',
  batchSize: 10,
  maxReceiveCount: 5,
  description: 'Platform events from the bus, pushed to WebSocket subscribers of the owning tenant.',
};

/** One message per (indicator, provider) lookup; senders bind `enrichmentQueue`. */
export const enrichmentQueue: QueueDef = {
  id: 'enrichment',
  consumer: 'enrichment-worker',
  batchSize: 10,
  maxReceiveCount: 5,
  maxConcurrency: 8,
  description: 'Provider lookups of enrichment jobs, one message per (indicator, provider).',
};

export const queueDefs: readonly QueueDef[] = [eventsQueue, enrichmentQueue];

/** EventBridge rule: every event a Vigil context publishes (`source` starts with `vigil.`). */
export const platformEventsRule = {
  id: 'platform-events',
  pattern: { source: [{ prefix: 'vigil.' }] },
  targetQueue: eventsQueue.id,
} as const;

export function busName(stage: string): string {
  return `vigil-${stage}`;
}

export function queueName(stage: string, def: Pick<QueueDef, 'id'>, dlq = false): string {
  return `vigil-${stage}-${def.id}${dlq ? '-dlq' : ''}`;
}

/**
 * A scheduled rule: EventBridge invokes `targetFn` with a "Scheduled Event" at each fire time, in AWS
 * (an events.Rule) and locally (`infra/local/schedules.ts`). Contexts add rows here (health checks of
 * integrations, feed polling, retention jobs).
 */
export interface ScheduleDef {
  id: string;
  /** `rate(...)` or six-field `cron(...)`, UTC. */
  expression: string;
  targetFn: string;
  description: string;
}

export const scheduleDefs: readonly ScheduleDef[] = [
  {
    id: 'integration-health',
    expression: 'rate(1 hour)',
    targetFn: 'integrations-health',
    description: 'Health check of every enabled integration (one cheap real call each)',
  },
];
