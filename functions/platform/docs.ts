import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docsAssetRoute, docsRoute, openApiRoute } from '../../shared/api/platform';
import { httpRoutes } from '../../shared/api/route-table';
import { optionalEnv, platformConfig } from '../../shared/platform/config';
import { docsPage, findDocsAsset, loadDocsAssets } from '../../shared/platform/docs';
import { HttpResponse, httpHandler, implement } from '../../shared/platform/http/handler';
import { docsPageSecurityHeaders } from '../../shared/platform/http/headers';
import { buildOpenApi } from '../../shared/platform/openapi';
import { tracer } from '../../shared/platform/tracing';

const config = platformConfig();
const document = buildOpenApi(
  httpRoutes.filter((route) => config.target === 'local' || route.target !== 'local'),
  {
    title: 'Vigil API',
    version: config.version,
    description: 'Threat-intelligence enrichment and response platform. Errors are application/problem+json.',
  },
);
// The CDK construct copies the assets into `docs-assets/` next to the bundle; locally DOCS_ASSETS_DIR
// points at the swagger-ui-dist package.
const assets = loadDocsAssets(
  optionalEnv('DOCS_ASSETS_DIR', join(dirname(fileURLToPath(import.meta.url)), 'docs-assets')),
);

export const handler = httpHandler(
  [
    implement(openApiRoute, async () => document),
    implement(
      docsRoute,
      async () =>
        new HttpResponse(
          200,
          docsPage,
          { ...docsPageSecurityHeaders, 'content-type': 'text/html; charset=utf-8' },
          'raw',
        ),
    ),
    implement(docsAssetRoute, async ({ params, headers }) => {
      const asset = findDocsAsset(assets, params.asset);
      const gzip = /\bgzip\b/.test(headers['accept-encoding'] ?? '');
      return new HttpResponse(
        200,
        gzip ? asset.gzipped : asset.body,
        {
          ...docsPageSecurityHeaders,
          'content-type': asset.contentType,
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
          vary: 'Accept-Encoding',
        },
        'raw',
      );
    }),
  ],
  { tracer },
);
