import './polyfills';
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';
import type { ExecutionDescription, StateMachinesApi } from './aws-services';
import { localAccountId, localRegion } from './sqs-queue';

/**
 * Step Functions on the local target: the single-sourced ASL runs in `aws-local-stepfunctions`, and
 * every Task whose Resource is a Lambda ARN runs the local handler registered for that ARN. Executions
 * start in the background and are kept in memory with their status, output and error, like
 * `StartExecution` / `DescribeExecution`.
 */
export type TaskHandler = (input: unknown) => Promise<unknown>;

export function localLambdaArn(functionId: string): string {
  return `arn:aws:lambda:${localRegion}:${localAccountId}:function:${functionId}`;
}

interface Registered {
  arn: string;
  machine: StateMachine;
  overrides: Record<string, TaskHandler>;
  waitTimeOverrides: Record<string, number>;
  retryIntervalOverrides: Record<string, number>;
}

interface Execution extends ExecutionDescription {
  done: Promise<void>;
  abort: () => void;
}

export interface RegisterOptions {
  name: string;
  definition: Record<string, unknown>;
  /** Handler per Lambda ARN used as a Task Resource in the definition. */
  lambdaHandlers: Record<string, TaskHandler>;
  /** Wait state name → milliseconds (tests shorten waits). */
  waitTimeOverrides?: Record<string, number>;
  /** Retry pause in milliseconds for every Task state (tests shorten back-off). */
  retryIntervalMs?: number;
}

export class LocalStateMachines implements StateMachinesApi {
  private readonly machines = new Map<string, Registered>();
  private readonly executions = new Map<string, Execution>();

  /** Registers a definition and returns its state machine ARN. */
  register(options: RegisterOptions): string {
    const arn = `arn:aws:states:${localRegion}:${localAccountId}:stateMachine:${options.name}`;
    const overrides: Record<string, TaskHandler> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [stateName, resource] of taskStates(options.definition)) {
      const handler = options.lambdaHandlers[resource];
      if (!handler) throw new Error(`State ${stateName} uses ${resource}, which has no local handler.`);
      overrides[stateName] = handler;
      if (options.retryIntervalMs !== undefined) retryIntervalOverrides[stateName] = options.retryIntervalMs;
    }
    const machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: true } });
    this.machines.set(arn, {
      arn,
      machine,
      overrides,
      waitTimeOverrides: options.waitTimeOverrides ?? {},
      retryIntervalOverrides,
    });
    return arn;
  }

  async startExecution(input: { stateMachineArn: string; input?: string; name?: string }) {
    const registered = this.machines.get(input.stateMachineArn);
    if (!registered) throw new Error(`State machine ${input.stateMachineArn} does not exist.`);
    const name = input.name ?? randomUUID();
    const executionArn = `${registered.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    if (this.executions.has(executionArn)) throw new Error(`Execution ${name} already exists.`);
    const startDate = new Date();
    const run = registered.machine.run(JSON.parse(input.input ?? '{}'), {
      overrides: {
        taskResourceLocalHandlers: registered.overrides as never,
        waitTimeOverrides: registered.waitTimeOverrides,
        retryIntervalOverrides: registered.retryIntervalOverrides,
      },
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          StartTime: startDate.toISOString(),
          Input: input.input ?? '{}',
        },
        StateMachine: { Id: registered.arn, Name: registered.arn.split(':').pop() ?? '' },
      },
    });
    const execution: Execution = {
      executionArn,
      stateMachineArn: registered.arn,
      status: 'RUNNING',
      startDate,
      input: input.input,
      abort: () => run.abort(),
      done: Promise.resolve(),
    };
    const failure = captureFailure(run.eventLogs as AsyncGenerator<unknown>);
    execution.done = run.result
      .then(
        (output) => {
          execution.status = 'SUCCEEDED';
          execution.output = JSON.stringify(output);
        },
        async (error: unknown) => {
          const info = await failure;
          execution.status = error instanceof ExecutionAbortedError ? 'ABORTED' : 'FAILED';
          execution.error = info?.Error ?? (error as Error).name;
          execution.cause = info?.Cause ?? (error as Error).message;
        },
      )
      .finally(() => {
        execution.stopDate = new Date();
      });
    this.executions.set(executionArn, execution);
    return { executionArn, startDate };
  }

  async describeExecution(executionArn: string) {
    const execution = this.executions.get(executionArn);
    if (!execution) return undefined;
    const { done: _done, abort: _abort, ...description } = execution;
    return description;
  }

  /** Resolves with the execution's description once it has stopped. */
  async waitForExecution(executionArn: string, timeoutMs = 30_000) {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new Error(`Execution ${executionArn} does not exist.`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      execution.done,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Execution still running after ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    return this.describeExecution(executionArn);
  }

  /** Aborts every running execution (local target shutdown). */
  async stop(): Promise<void> {
    const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    for (const execution of running) execution.abort();
    await Promise.allSettled(running.map((e) => e.done));
  }
}

/** Every Task state, at any depth (Map item processors included), with its Resource. */
function taskStates(definition: Record<string, unknown>): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  const walk = (states: unknown) => {
    if (!states || typeof states !== 'object') return;
    for (const [name, state] of Object.entries(states as Record<string, Record<string, unknown>>)) {
      if (state.Type === 'Task' && typeof state.Resource === 'string') found.push([name, state.Resource]);
      const nested = (state.ItemProcessor ?? state.Iterator) as { States?: unknown } | undefined;
      if (nested) walk(nested.States);
      for (const branch of (state.Branches as Array<{ States?: unknown }> | undefined) ?? [])
        walk(branch.States);
    }
  };
  walk(definition.States);
  return found;
}

async function captureFailure(
  logs: AsyncGenerator<unknown>,
): Promise<{ Error?: string; Cause?: string } | undefined> {
  try {
    for await (const raw of logs) {
      const event = raw as { type?: string; Error?: string; Cause?: string };
      if (event.type === 'ExecutionFailed') return { Error: event.Error, Cause: event.Cause };
    }
  } catch {
    // The log ends with the execution; a failure to read it leaves the error from the result.
  }
  return undefined;
}
