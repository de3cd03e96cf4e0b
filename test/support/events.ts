import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', 'events');

/**
 * Loads a real-shaped trigger sample from `events/` (e.g. `apigw-http/get-health`) as a fresh copy,
 * so a test can mutate it without affecting others.
 */
export function loadEvent<T = Record<string, unknown>>(name: string): T {
  return structuredClone(JSON.parse(readFileSync(join(root, `${name}.json`), 'utf8')) as T);
}
