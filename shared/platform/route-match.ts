import type { HttpMethod, RouteDef } from './http/route';

/**
 * Matches a concrete request path against the route table's `{param}` templates, the way API Gateway
 * does: literal segments win over parameters, and a parameter spans exactly one segment.
 */
export interface RouteMatch {
  route: RouteDef;
  params: Record<string, string>;
}

interface Compiled {
  route: RouteDef;
  regex: RegExp;
  names: string[];
  literalSegments: number;
}

export class RouteMatcher {
  private readonly compiled: Compiled[];

  constructor(routes: readonly RouteDef[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      let literalSegments = 0;
      const pattern = route.path
        .split('/')
        .map((segment) => {
          const param = /^\{([A-Za-z0-9_]+)\+?\}$/.exec(segment);
          if (param?.[1]) {
            names.push(param[1]);
            return segment.endsWith('+}') ? '(.+)' : '([^/]+)';
          }
          literalSegments += 1;
          return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        })
        .join('/');
      return { route, regex: new RegExp(`^${pattern}$`), names, literalSegments };
    });
    this.compiled.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  /** The route for `method path`, or the methods the path allows when only the method is wrong. */
  match(method: string, path: string): { found: RouteMatch } | { allow: HttpMethod[] } | undefined {
    const allow = new Set<HttpMethod>();
    for (const entry of this.compiled) {
      const m = entry.regex.exec(path);
      if (!m) continue;
      if (entry.route.method === method) {
        const params: Record<string, string> = {};
        entry.names.forEach((name, i) => {
          params[name] = safeDecode(m[i + 1] ?? '');
        });
        return { found: { route: entry.route, params } };
      }
      allow.add(entry.route.method);
    }
    return allow.size ? { allow: [...allow] } : undefined;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
