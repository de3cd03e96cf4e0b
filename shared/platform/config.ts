/**
 * Typed configuration, read once at cold start. A missing required variable fails the cold start
 * with a message naming it, instead of a confusing error on the first request.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigError(`Environment variable ${name} is required but not set.`);
  }
  return value;
}

export function optionalEnv(name: string, fallback: string, env: Env = process.env): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

export function intEnv(name: string, fallback: number, env: Env = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`Environment variable ${name} must be a non-negative integer, got '${raw}'.`);
  }
  return value;
}

export function listEnv(name: string, env: Env = process.env): string[] {
  const raw = env[name];
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Settings every Lambda shares. */
export interface PlatformConfig {
  stage: string;
  version: string;
  /** `aws` when deployed, `local` on the local target. */
  target: 'aws' | 'local';
}

export function platformConfig(env: Env = process.env): PlatformConfig {
  const target = optionalEnv('VIGIL_TARGET', 'aws', env);
  if (target !== 'aws' && target !== 'local') {
    throw new ConfigError(`VIGIL_TARGET must be 'aws' or 'local', got '${target}'.`);
  }
  return {
    stage: requireEnv('VIGIL_STAGE', env),
    version: optionalEnv('VIGIL_VERSION', '0.0.0-dev', env),
    target,
  };
}
