import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** A Lambda `Context` for handlers invoked by the local target, with a real remaining-time clock. */
export function localLambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A Lambda handler as the local target calls it. */
export type LocalHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Imports a Lambda entry file and returns its `handler` export. */
export async function loadHandler(entryPath: string): Promise<LocalHandler> {
  const mod = (await import(entryPath)) as { handler?: unknown };
  if (typeof mod.handler !== 'function') throw new Error(`${entryPath} does not export a handler function`);
  return mod.handler as LocalHandler;
}
