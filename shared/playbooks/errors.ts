import { VigilError } from '../platform/errors';

/**
 * Errors a playbook action throws. Step Functions matches Retry and Catch on the error name, so the
 * names are part of the contract with `runner-definition.ts`: `TransientActionError` is retried with
 * back-off, `ActionFailedError` goes straight to the step's error policy.
 */
export class TransientActionError extends VigilError {
  override readonly name = 'TransientActionError';
  override readonly status = 503;
  override readonly code = 'action_transient_failure';
}

export class ActionFailedError extends VigilError {
  override readonly name = 'ActionFailedError';
  override readonly status = 422;
  override readonly code = 'action_failed';
}
