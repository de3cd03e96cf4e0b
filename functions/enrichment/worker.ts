import * as z from 'zod';
import { enrichmentDepsFromEnv } from '../../shared/adapters/aws/enrichment-deps';
import { BadRequestError } from '../../shared/platform/errors';
import { enrichmentQueue } from '../../shared/platform/messaging';
import { logger } from '../../shared/platform/observability';
import { sqsWholeBatchHandler } from '../../shared/platform/sqs';
import { tracer } from '../../shared/platform/tracing';

const { engine } = enrichmentDepsFromEnv(tracer);

const indicator = z.object({
  type: z.enum(['ipv4', 'ipv6', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'cve']),
  value: z.string().min(1),
});

const lookupMessage = z.object({
  tenantId: z.string().min(1),
  jobId: z.string().min(1),
  index: z.number().int().min(0),
  provider: z.string().min(1),
  indicator,
  attempt: z.number().int().min(0),
  force: z.boolean().optional(),
  notBefore: z.number().int().optional(),
});

const planMessage = z.object({
  kind: z.literal('plan'),
  tenantId: z.string().min(1),
  jobId: z.string().min(1),
  force: z.boolean(),
  delaySeconds: z.number().min(0).max(900),
  lookups: z
    .array(z.object({ index: z.number().int().min(0), provider: z.string().min(1), indicator }))
    .max(1000),
});

const queueMessage = z.union([planMessage, lookupMessage]);

/**
 * Enrichment worker: one provider lookup per message (or, for a large job, a plan: the fan-out of
 * up to a hundred lookups), a batch at a time (one breaker check and one
 * quota grant per tenant and provider); failures are reported as partial batch failures (SQS
 * retries them, then its DLQ keeps them). Provider errors never throw: the engine delays, retries
 * or settles them as failed with their reason.
 */
export const handler = sqsWholeBatchHandler(
  (record) => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch (error) {
      throw new BadRequestError('Lookup message is not JSON.', 'malformed_message', { cause: error });
    }
    return queueMessage.parse(body);
  },
  async (messages, receiveCounts) => {
    // On its last delivery before the DLQ, a lookup that still fails is settled as failed, so its
    // job (and any job waiting on the same call) completes.
    const lastDelivery = new Set(
      messages.filter((_, i) => (receiveCounts[i] ?? 1) >= enrichmentQueue.maxReceiveCount),
    );
    const outcomes = await engine.processBatch(messages, { lastDelivery });
    logger.debug('lookups processed', {
      count: messages.length,
      outcomes: outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'error')),
    });
    return outcomes;
  },
  { tracer },
);
