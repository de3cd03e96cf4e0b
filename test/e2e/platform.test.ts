import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '../support/http';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-stack';

describe('local target: platform endpoints', () => {
  let stack: LocalStackProcess;

  beforeAll(async () => {
    stack = await startLocalStackProcess();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('reports health with a real DynamoDB round trip', async () => {
    const res = await fetch(`${stack.httpUrl}/health`);
    const body = await json(res);

    expect(res.status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', stage: 'local', checks: { dynamodb: { status: 'ok' } } });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('serves an OpenAPI 3.1 document that validates', async () => {
    const res = await fetch(`${stack.httpUrl}/openapi.json`);
    const document = await json(res);
    const validator = new Validator();

    const result = await validator.validate(document);

    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(Object.keys(document.paths)).toContain('/health');
  });

  it('serves the API reference page and its assets from the npm package', async () => {
    const page = await fetch(`${stack.httpUrl}/docs`);
    const html = await page.text();
    const script = await fetch(`${stack.httpUrl}/docs/swagger-ui-bundle.js`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    const missing = await fetch(`${stack.httpUrl}/docs/..%2Fpackage.json`);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('/docs/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100_000);
    expect(missing.status).toBe(404);
  });

  it('answers unknown routes with 404 and wrong methods with 405, as problem+json', async () => {
    const notFound = await fetch(`${stack.httpUrl}/v1/nothing-here`);
    const wrongMethod = await fetch(`${stack.httpUrl}/health`, { method: 'DELETE' });

    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('content-type')).toBe('application/problem+json');
    expect((await json(notFound)).code).toBe('route_not_found');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect((await json(wrongMethod)).code).toBe('method_not_allowed');
  });

  it('answers malformed JSON with 400 and an oversized body with 413, without internals', async () => {
    const malformed = await fetch(`${stack.httpUrl}/dev/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"source": "vigil.test",',
    });
    const oversized = await fetch(`${stack.httpUrl}/dev/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        source: 'vigil.test',
        detailType: 'x',
        detail: { blob: 'x'.repeat(2 * 1024 * 1024) },
      }),
    });
    const malformedBody = await malformed.text();

    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.parse(malformedBody).code).toBe('malformed_json');
    expect(malformedBody).not.toMatch(/SyntaxError|at .*\.(ts|js):\d+/);
    expect(oversized.status).toBe(413);
    expect((await json(oversized)).code).toBe('payload_too_large');
  });
});
