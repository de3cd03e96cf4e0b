/**
 * The playbook runner state machine, as Amazon States Language built in TypeScript. The same
 * definition is deployed by CDK (`infra/stacks/workflow-stack.ts`, with the Lambda ARN substituted)
 * and executed locally by `aws-local-stepfunctions` (`infra/local/step-functions.ts`).
 *
 * Input: `{ tenantId, executionId, playbookId, steps: [{ id, action, params, onError? }] }`.
 * Steps run in order (a Map with concurrency 1). `wait` steps are Wait states; every other action is
 * a Task on the step Lambda with retries for transient errors. A failed step either continues
 * (`onError: 'continue'`) or aborts the run; either way the outcome is recorded by the same Lambda.
 */
export interface RunnerResources {
  /** ARN (or a `${...}` substitution placeholder) of the `playbook-step` Lambda. */
  stepFunctionArn: string;
}

/** Errors a step action throws to ask for a retry (see `shared/playbooks/errors.ts`). */
export const retryableErrors = [
  'TransientActionError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

export function playbookRunnerDefinition(resources: RunnerResources): Record<string, unknown> {
  const recordRetry = [{ ErrorEquals: retryableErrors, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }];
  return {
    Comment: 'Vigil playbook runner: ordered steps, per-step retry and error policy, recorded outcome',
    StartAt: 'RunSteps',
    States: {
      RunSteps: {
        Type: 'Map',
        ItemsPath: '$.steps',
        MaxConcurrency: 1,
        ItemSelector: {
          'tenantId.$': '$.tenantId',
          'executionId.$': '$.executionId',
          'index.$': '$$.Map.Item.Index',
          'step.$': '$$.Map.Item.Value',
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'StepKind',
          States: {
            StepKind: {
              Type: 'Choice',
              Choices: [{ Variable: '$.step.action', StringEquals: 'wait', Next: 'WaitStep' }],
              Default: 'RunAction',
            },
            WaitStep: { Type: 'Wait', SecondsPath: '$.step.params.seconds', Next: 'WaitDone' },
            WaitDone: {
              Type: 'Pass',
              Parameters: { 'stepId.$': '$.step.id', status: 'succeeded' },
              End: true,
            },
            RunAction: {
              Type: 'Task',
              Resource: resources.stepFunctionArn,
              Parameters: {
                kind: 'step',
                'tenantId.$': '$.tenantId',
                'executionId.$': '$.executionId',
                'index.$': '$.index',
                'step.$': '$.step',
              },
              ResultPath: '$.result',
              Retry: [{ ErrorEquals: retryableErrors, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }],
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'OnError' }],
              Next: 'StepSucceeded',
            },
            StepSucceeded: {
              Type: 'Pass',
              Parameters: { 'stepId.$': '$.step.id', status: 'succeeded', 'output.$': '$.result.output' },
              End: true,
            },
            OnError: {
              Type: 'Choice',
              Choices: [
                {
                  And: [
                    { Variable: '$.step.onError', IsPresent: true },
                    { Variable: '$.step.onError', StringEquals: 'continue' },
                  ],
                  Next: 'StepFailedContinue',
                },
              ],
              Default: 'StepFailedAbort',
            },
            StepFailedContinue: {
              Type: 'Pass',
              Parameters: { 'stepId.$': '$.step.id', status: 'failed', 'error.$': '$.error' },
              End: true,
            },
            StepFailedAbort: {
              Type: 'Fail',
              Error: 'StepFailed',
              Cause: 'A step failed and its policy is abort.',
            },
          },
        },
        ResultPath: '$.results',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }],
        Next: 'RecordSuccess',
      },
      RecordSuccess: {
        Type: 'Task',
        Resource: resources.stepFunctionArn,
        Parameters: {
          kind: 'outcome',
          status: 'succeeded',
          'tenantId.$': '$.tenantId',
          'executionId.$': '$.executionId',
          'results.$': '$.results',
        },
        Retry: recordRetry,
        End: true,
      },
      RecordFailure: {
        Type: 'Task',
        Resource: resources.stepFunctionArn,
        Parameters: {
          kind: 'outcome',
          status: 'failed',
          'tenantId.$': '$.tenantId',
          'executionId.$': '$.executionId',
          'error.$': '$.error',
        },
        ResultPath: null,
        Retry: recordRetry,
        Next: 'PlaybookFailed',
      },
      PlaybookFailed: {
        Type: 'Fail',
        Error: 'PlaybookFailed',
        Cause: 'A step failed and aborted the playbook.',
      },
    },
  };
}
