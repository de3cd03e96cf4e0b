import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NotFoundError } from './errors';

/**
 * The API reference page: Swagger UI's own assets, served from the `swagger-ui-dist` npm package
 * (copied next to the Lambda bundle at build time), pointed at `/openapi.json`. No CDN, no inline
 * script, so the page works offline and under a strict Content-Security-Policy.
 */
export interface DocsAsset {
  contentType: string;
  body: Buffer;
  gzipped: Buffer;
}

const packagedAssets: Record<string, string> = {
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

export const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/vigil-init.js"></script>
</body>
</html>
`;

const initScript = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, tryItOutEnabled: false });\n`;

/** Loads the page's assets once (cold start) from `assetsDir`, keeping plain and gzipped bodies. */
export function loadDocsAssets(assetsDir: string): Map<string, DocsAsset> {
  const assets = new Map<string, DocsAsset>();
  const add = (name: string, contentType: string, body: Buffer) =>
    assets.set(name, { contentType, body, gzipped: gzipSync(body) });
  for (const [name, contentType] of Object.entries(packagedAssets)) {
    add(name, contentType, readFileSync(join(assetsDir, name)));
  }
  add('vigil-init.js', 'application/javascript; charset=utf-8', Buffer.from(initScript));
  return assets;
}

export function findDocsAsset(assets: Map<string, DocsAsset>, name: string): DocsAsset {
  const asset = assets.get(name);
  if (!asset) throw new NotFoundError(`No documentation asset named '${name}'.`, 'asset_not_found');
  return asset;
}
