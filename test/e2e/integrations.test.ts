import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeServer } from '../../infra/local/sandbox/fake-http';
import { type Json, json } from '../support/http';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-stack';

const password = 'correct horse battery staple';

function client(stack: () => LocalStackProcess) {
  const call = async (method: string, path: string, token?: string, body?: unknown) =>
    fetch(`${stack().httpUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const register = async (email: string): Promise<Json> => {
    const res = await call('POST', '/v1/auth/register', undefined, {
      tenantName: email,
      email,
      password,
      name: 'A',
    });
    expect(res.status).toBe(201);
    return json(res);
  };
  return { call, register };
}

describe('local target: integration hub with the provider sandbox', () => {
  let stack: LocalStackProcess;
  const { call, register } = client(() => stack);
  const abuseKey = 'sandbox-abuseipdb-key-6f1d2c9a';
  const githubToken = 'ghp_sandboxTokenValue0123456789abcdef';
  const slackUrl = 'https://hooks.slack.com/services/T0SANDBOX/B0SANDBOX/sandboxSecretPart42';

  beforeAll(async () => {
    stack = await startLocalStackProcess({ env: { VIGIL_PROVIDER_SANDBOX: '1', VIGIL_LOG_LEVEL: 'DEBUG' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('configures, tests, uses and exports integrations without a secret in any response or log', async () => {
    const a = await register('admin@hub-a.test');
    const b = await register('admin@hub-b.test');
    const responses: string[] = [];
    const keep = async (res: Response) => {
      const text = await res.text();
      responses.push(text);
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };

    const catalog = await keep(await call('GET', '/v1/integrations/catalog', a.accessToken));
    const configured = await keep(
      await call('PUT', '/v1/integrations/abuseipdb', a.accessToken, { credentials: { apiKey: abuseKey } }),
    );
    const tested = await keep(await call('POST', '/v1/integrations/abuseipdb/test', a.accessToken));
    await keep(
      await call('PUT', '/v1/integrations/slack', a.accessToken, { credentials: { webhookUrl: slackUrl } }),
    );
    await keep(
      await call('PUT', '/v1/integrations/github', a.accessToken, {
        settings: { owner: 'acme', repo: 'soc' },
        credentials: { token: githubToken },
      }),
    );
    const notified = await keep(
      await call('POST', '/v1/notify', a.accessToken, { message: 'Malicious IP seen', severity: 'high' }),
    );
    const ticket = await keep(
      await call('POST', '/v1/tickets', a.accessToken, {
        integration: 'github',
        title: 'Investigate 185.220.101.34',
      }),
    );
    const usage = await keep(await call('GET', '/v1/integrations/abuseipdb/usage?days=7', a.accessToken));
    const exported = await keep(await call('GET', '/v1/integrations/export', a.accessToken));
    const imported = await keep(
      await call('POST', '/v1/integrations/import', b.accessToken, { ...exported.body, dryRun: false }),
    );
    const listedB = await keep(await call('GET', '/v1/integrations', b.accessToken));
    const usageB = await keep(await call('GET', '/v1/integrations/abuseipdb/usage?days=7', b.accessToken));
    const audit = await keep(await call('GET', '/v1/audit?resourceType=integration', a.accessToken));

    expect(catalog.body.items.length).toBeGreaterThanOrEqual(29);
    expect(configured.body.credentials).toEqual({ apiKey: `••••${abuseKey.slice(-4)}` });
    expect(tested.body).toMatchObject({ ok: true, health: { status: 'healthy' } });
    expect(notified.body.results).toEqual([{ integration: 'slack', ok: true }]);
    expect(ticket.status).toBe(201);
    expect(ticket.body.url).toMatch(/^https?:\/\//);
    expect(usage.body.days.at(-1)).toMatchObject({ requests: 1, successes: 1 });
    expect(exported.body.integrations.map((i: Json) => i.name).sort()).toEqual([
      'abuseipdb',
      'github',
      'slack',
    ]);
    expect(imported.body.integrations.every((i: Json) => i.needsCredentials.length > 0)).toBe(true);
    const bAbuse = listedB.body.items.find((i: Json) => i.name === 'abuseipdb');
    expect(bAbuse).toMatchObject({
      configured: true,
      enabled: false,
      credentials: {},
      health: { status: 'untested' },
    });
    expect(usageB.body.days.every((d: Json) => d.requests === 0)).toBe(true);
    expect(audit.body.items.map((e: Json) => e.action)).toEqual(
      expect.arrayContaining(['integration.configured', 'integration.tested']),
    );
    const seen = `${responses.join('\n')}\n${stack.output()}`;
    for (const secret of [abuseKey, githubToken, slackUrl, 'sandboxSecretPart42'])
      expect(seen).not.toContain(secret);
  });

  it('refuses a webhook URL that redirects to an internal address, even when its host is allowed', async () => {
    const admin = await register('admin@hub-redirect.test');
    const redirector = await startFakeServer(() => ({
      status: 302,
      headers: { location: 'http://169.254.169.254/latest/meta-data/iam/' },
    }));
    try {
      await call('PUT', '/v1/integrations/webhook', admin.accessToken, {
        settings: { url: `${redirector.url}/hook` },
        credentials: { secret: 'whsec_dmlnaWwtc2FuZGJveC13ZWJob29rLXNpZ25pbmcta2V5' },
      });
      const delivered = await call('POST', '/v1/webhooks/webhook/deliver', admin.accessToken, {
        payload: { x: 1 },
      });

      expect(delivered.status).toBe(400);
      expect(await json(delivered)).toMatchObject({ code: 'ssrf_blocked', reason: 'redirect' });
      expect(redirector.requests).toHaveLength(1);
    } finally {
      await redirector.close();
    }
  });

  it('drives a Velociraptor server over gRPC with mutual TLS', async () => {
    const admin = await register('admin@hub-vr.test');
    const yaml = readFileSync(join(stack.dataDir, 'sandbox', 'velociraptor-api_client.yaml'), 'utf8');
    await call('PUT', '/v1/integrations/velociraptor', admin.accessToken, {
      credentials: { api_client_yaml: yaml },
    });

    const tested = await json(await call('POST', '/v1/integrations/velociraptor/test', admin.accessToken));
    const clients = await json(await call('GET', '/v1/velociraptor/clients?limit=10', admin.accessToken));
    const [first] = clients.items;
    const collected = await call('POST', '/v1/velociraptor/collect', admin.accessToken, {
      clientId: first.clientId,
      artifacts: ['Generic.Client.Info'],
    });
    const unknown = await call('GET', '/v1/velociraptor/clients/C.0000000000000000', admin.accessToken);

    expect(tested.ok).toBe(true);
    expect(clients.items.length).toBeGreaterThan(0);
    expect(collected.status).toBe(202);
    expect((await json(collected)).flowId).toMatch(/^F\./);
    expect(unknown.status).toBe(404);
  });
});

describe('local target: webhook SSRF protection (no allow-list)', () => {
  let stack: LocalStackProcess;
  const { call, register } = client(() => stack);

  beforeAll(async () => {
    stack = await startLocalStackProcess();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    'https://127.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:169.254.169.254]/latest/meta-data/',
    'https://10.0.0.1/hook',
    'https://[fd00:ec2::254]/latest/meta-data/',
    'https://localhost/hook',
    'https://2130706433/hook',
  ])('refuses delivery to %s with ssrf_blocked', async (url) => {
    const admin = await register(`ssrf-${Math.random().toString(36).slice(2)}@t.test`);
    const saved = await call('PUT', '/v1/integrations/webhook', admin.accessToken, {
      settings: { url },
      credentials: { secret: 'whsec_dmlnaWwtc2FuZGJveC13ZWJob29rLXNpZ25pbmcta2V5' },
    });
    const delivered = await call('POST', '/v1/webhooks/webhook/deliver', admin.accessToken, {
      payload: { x: 1 },
    });
    const problem = await json(delivered);

    expect(saved.status).toBe(200);
    expect(delivered.status).toBe(400);
    expect(delivered.headers.get('content-type')).toBe('application/problem+json');
    expect(problem.code).toBe('ssrf_blocked');
  });
});
