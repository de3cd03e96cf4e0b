/**
 * esbuild options for Lambda bundles, shared by the CDK function construct and the bundle benchmark
 * so the benchmark measures exactly what is deployed.
 */
export const lambdaNodeTarget = 'node22';

/** ESM output needs a `require` for the few CommonJS dependencies that call it. */
export const esmRequireBanner =
  "import { createRequire as __vigilCreateRequire } from 'node:module';const require = __vigilCreateRequire(import.meta.url);";

export const bundlingOptions = {
  bundle: true,
  platform: 'node' as const,
  format: 'esm' as const,
  target: lambdaNodeTarget,
  minify: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  banner: { js: esmRequireBanner },
  /** The Node 22 Lambda runtime ships AWS SDK v3; bundling it would only add cold-start weight. */
  external: ['@aws-sdk/*'],
  legalComments: 'none' as const,
};
