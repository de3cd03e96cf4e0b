import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Powertools logger and metrics, one instance per Lambda. The service name comes from
 * `POWERTOOLS_SERVICE_NAME` (set per function by CDK), so log lines and metrics carry the function's
 * context. Never log secrets, tokens, passwords or whole events.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'vigil' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Vigil',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'vigil',
});
