/**
 * Fixed-window rate limiting shared by every Lambda: a counter per (key, window) in DynamoDB, so all
 * concurrent containers see the same count. Over the limit the caller gets 429 with `Retry-After`.
 */
export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until the current window ends. */
  retryAfterSeconds: number;
  count: number;
}

export interface RateLimiter {
  /** Counts one hit for `key` in the current window of `windowSeconds` and decides against `limit`. */
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision>;
}
