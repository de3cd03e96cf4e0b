import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Powertools Tracer (X-Ray). Injected into the shared handler stacks by the functions that want
 * handler and SDK-call subsegments. It pulls in the X-Ray SDK (~125 KB minified), so the `/health`
 * Lambda, which uptime monitors call every minute, relies on Lambda's own active tracing instead.
 */
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'vigil' });
