/**
 * Health of the running platform: version, uptime and a real round trip to each dependency. The
 * report is `unavailable` (HTTP 503) as soon as one dependency fails, so load balancers and uptime
 * checks see the truth; failure details are limited to an error class name, never internals.
 */
export interface DependencyProbe {
  /** Resolves when the dependency answered; rejects otherwise. */
  check(): Promise<void>;
}

export interface HealthDeps {
  dynamodb: DependencyProbe;
  version: string;
  stage: string;
  startedAt: number;
  now: () => number;
  timeoutMs: number;
}

export interface CheckResult {
  status: 'ok' | 'error';
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  version: string;
  stage: string;
  uptimeSeconds: number;
  time: string;
  checks: { dynamodb: CheckResult };
}

export const checkHealth = (deps: HealthDeps) => async (): Promise<HealthReport> => {
  const dynamodb = await timed(deps.dynamodb, deps.timeoutMs, deps.now);
  const now = deps.now();
  return {
    status: dynamodb.status === 'ok' ? 'ok' : 'unavailable',
    version: deps.version,
    stage: deps.stage,
    uptimeSeconds: Math.round((now - deps.startedAt) / 1000),
    time: new Date(now).toISOString(),
    checks: { dynamodb },
  };
};

async function timed(probe: DependencyProbe, timeoutMs: number, now: () => number): Promise<CheckResult> {
  const started = now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProbeTimeoutError()), timeoutMs);
      }),
    ]);
    return { status: 'ok', latencyMs: now() - started };
  } catch (err) {
    const name = err instanceof Error ? err.name : 'Error';
    return { status: 'error', latencyMs: now() - started, error: name };
  } finally {
    clearTimeout(timer);
  }
}

class ProbeTimeoutError extends Error {
  override readonly name = 'Timeout';
}
