import { MethodNotAllowedError, RouteNotFoundError } from './errors';
import type { RouteMatcher } from './route-match';

/**
 * Decides the answer for a request no route took: 405 with `Allow` when the path exists under other
 * methods, otherwise 404. Both are problem documents, never API Gateway's bare `{"message":...}`.
 */
export const unknownRoute =
  (matcher: RouteMatcher) =>
  async (method: string, path: string): Promise<never> => {
    const result = matcher.match(method, path);
    if (result && 'allow' in result) throw new MethodNotAllowedError(method, path, result.allow);
    throw new RouteNotFoundError(method, path);
  };
