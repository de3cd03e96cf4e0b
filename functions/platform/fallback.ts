import { httpRoutes } from '../../shared/api/route-table';
import { unknownRoute } from '../../shared/platform/fallback';
import { httpHandler, implementDefault } from '../../shared/platform/http/handler';
import { RouteMatcher } from '../../shared/platform/route-match';
import { tracer } from '../../shared/platform/tracing';

const decide = unknownRoute(new RouteMatcher(httpRoutes));

export const handler = httpHandler([implementDefault((request) => decide(request.method, request.path))], {
  tracer,
});
