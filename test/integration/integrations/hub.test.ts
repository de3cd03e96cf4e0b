import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeServer, startFakeServer } from '../../../infra/local/sandbox/fake-http';
import { fakeAbuseIpdb } from '../../../infra/local/sandbox/providers/abuseipdb';
import { fakeWebhook, SANDBOX_WEBHOOK_SECRET } from '../../../infra/local/sandbox/providers/webhook';
import { dynamoAuditLog } from '../../../shared/adapters/aws/audit-store';
import { rawAesEnvelopeEncryption } from '../../../shared/adapters/aws/envelope-encryption';
import { dynamoIntegrationStore } from '../../../shared/adapters/aws/integration-store';
import { integrationAdapters } from '../../../shared/adapters/integration-registry';
import type { Permission } from '../../../shared/identity/permissions';
import type { Principal } from '../../../shared/identity/principal';
import { integrationActions } from '../../../shared/integrations/actions';
import { createOutboundClient } from '../../../shared/integrations/http/outbound';
import type { IntelAdapter } from '../../../shared/integrations/ports';
import { type IntegrationService, integrationService } from '../../../shared/integrations/service';
import { createTestTables, type TestTables } from '../../support/dynamodb';

const apiKey = `abuse-${randomBytes(16).toString('hex')}`;
const webhookSecret = SANDBOX_WEBHOOK_SECRET;

const admin = (tenantId: string): Principal => ({
  tenantId,
  id: 'u_admin',
  type: 'user',
  permissions: new Set<Permission>(['integration:manage', 'integration:read']),
});

describe('integration hub', () => {
  let tables: TestTables;
  let abuse: FakeServer;
  let hook: FakeServer;
  const logs: string[] = [];
  let hub: IntegrationService;
  let strictHub: IntegrationService;
  const a = admin('t_hub_a');
  const b = admin('t_hub_b');

  const build = (allowList: string[]) => {
    const logger = {
      info: (message: string, attributes: Record<string, unknown>) =>
        logs.push(`${message} ${JSON.stringify(attributes)}`),
      warn: (message: string, attributes: Record<string, unknown>) =>
        logs.push(`${message} ${JSON.stringify(attributes)}`),
    };
    return integrationService({
      store: dynamoIntegrationStore(tables.doc, tables.names.state),
      encryption: rawAesEnvelopeEncryption({ keyName: 'hub-test', key: randomBytes(32) }),
      adapters: integrationAdapters(allowList.length > 0 ? { ssrf: { allowHttp: true, allowList } } : {}),
      http: createOutboundClient({
        logger,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
        ...(allowList.length > 0 ? { ssrf: { allowHttp: true, allowList } } : {}),
      }),
      baseUrls: { abuseipdb: abuse.url },
      audit: dynamoAuditLog(tables.doc, {
        stateTable: tables.names.state,
        auditTable: tables.names.audit,
        retentionDays: 90,
      }),
      now: Date.now,
    });
  };

  beforeAll(async () => {
    tables = await createTestTables();
    abuse = await startFakeServer(fakeAbuseIpdb());
    hook = await startFakeServer(fakeWebhook());
    hub = build(['127.0.0.1']);
    strictHub = build([]);
  });

  afterAll(async () => {
    await abuse?.close();
    await hook?.close();
  });

  it('lists the whole catalog with typed fields, free tiers and setup guides', () => {
    const catalog = hub.catalog();
    const names = catalog.map((c) => c.name);

    expect(names).toEqual(
      expect.arrayContaining(['abuseipdb', 'virustotal', 'slack', 'github', 'webhook', 'velociraptor']),
    );
    for (const entry of catalog) {
      expect(entry.setupGuide.length, entry.name).toBeGreaterThan(1);
      expect(entry.freeTier.summary, entry.name).not.toBe('');
      expect(
        entry.fields.every((f) => ['text', 'secret', 'url', 'number', 'select'].includes(f.type)),
        entry.name,
      ).toBe(true);
    }
  });

  it('configures, tests, uses and exports an integration without ever revealing the key', async () => {
    const configured = await hub.configure(a, 'abuseipdb', {
      credentials: { apiKey },
      settings: { maxAgeInDays: 30 },
    });
    const tested = await hub.test(a, 'abuseipdb');
    const result = await hub.use<IntelAdapter, unknown>(a.tenantId, 'abuseipdb', (adapter, ctx) =>
      adapter.lookup(ctx, { type: 'ipv4', value: '185.220.101.34' }),
    );
    const exported = await hub.exportAll(a.tenantId);
    const listed = await hub.list(a.tenantId);
    const usage = await hub.usage(a.tenantId, 'abuseipdb', 30);
    const everything = JSON.stringify({ configured, tested, result, exported, listed, usage, logs });

    expect(configured).toMatchObject({ configured: true, enabled: true, health: { status: 'untested' } });
    expect(configured.credentials.apiKey).toBe(`••••${apiKey.slice(-4)}`);
    expect(tested).toMatchObject({ ok: true, health: { status: 'healthy' } });
    expect(result).toMatchObject({ verdict: 'malicious' });
    expect(exported.integrations).toEqual([
      { name: 'abuseipdb', enabled: true, settings: { maxAgeInDays: 30 }, secretFields: ['apiKey'] },
    ]);
    expect(usage.days.at(-1)).toMatchObject({ requests: 2, successes: 2, failures: 0 });
    expect(usage.quota).toMatchObject({ period: 'day', used: 2 });
    expect(abuse.requests.at(-1)?.headers.key).toBe(apiKey);
    expect(everything).not.toContain(apiKey);
  });

  it('moves health and usage as calls fail, and resets health when credentials change', async () => {
    await hub.configure(a, 'abuseipdb', { credentials: { apiKey: 'invalid-key' } });
    const failed = await hub.test(a, 'abuseipdb');
    const usage = await hub.usage(a.tenantId, 'abuseipdb', 1);
    const changed = await hub.configure(a, 'abuseipdb', { credentials: { apiKey } });

    expect(failed.ok).toBe(false);
    expect(failed.health.status).toBe('error');
    expect(failed.message).toMatch(/API key/);
    expect(usage.days[0]?.failures).toBeGreaterThanOrEqual(1);
    expect(changed.health.status).toBe('untested');
  });

  it('refuses unknown fields, missing required ones and bad values with field paths', async () => {
    const attempt = hub.configure(b, 'abuseipdb', { settings: { nope: 1 }, credentials: {} });

    await expect(attempt).rejects.toMatchObject({
      code: 'validation_failed',
      extensions: {
        errors: expect.arrayContaining([
          expect.objectContaining({ path: 'body.settings.nope' }),
          expect.objectContaining({ path: 'body.credentials.apiKey' }),
        ]),
      },
    });
    expect(await hub.list(b.tenantId)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'abuseipdb', configured: false })]),
    );
  });

  it('round-trips an export into another tenant except secrets, which must be re-entered', async () => {
    const exported = await hub.exportAll(a.tenantId);

    const plan = await hub.importAll(b, exported, true);
    const beforeApply = await hub.get(b.tenantId, 'abuseipdb');
    const applied = await hub.importAll(b, exported, false);
    const imported = await hub.get(b.tenantId, 'abuseipdb');

    expect(plan.integrations).toEqual([
      { name: 'abuseipdb', action: 'create', needsCredentials: ['apiKey'] },
    ]);
    expect(beforeApply.configured).toBe(false);
    expect(applied.dryRun).toBe(false);
    expect(imported).toMatchObject({
      configured: true,
      enabled: false,
      settings: { maxAgeInDays: 30 },
      credentials: {},
    });
    await expect(hub.use(b.tenantId, 'abuseipdb', async () => 'never')).rejects.toMatchObject({
      code: 'integration_disabled',
    });
  });

  it('shows Picus a configuration summary built from the stored refresh token, never the token', async () => {
    const refreshToken = `picus-refresh-${randomBytes(12).toString('hex')}`;
    await hub.configure(a, 'picus', { credentials: { refreshToken } });

    const picus = await hub.get(a.tenantId, 'picus');

    expect(picus.summary).toMatchObject({ enabled: true, hasRefreshToken: true, hasAccessToken: false });
    expect(JSON.stringify(picus)).not.toContain(refreshToken);
  });

  it('re-encrypts every credential and keeps it usable', async () => {
    const { reencrypted } = await hub.reencrypt(a);
    const tested = await hub.test(a, 'abuseipdb');

    expect(reencrypted).toBe(2);
    expect(tested.ok).toBe(true);
  });

  it('delivers a signed webhook to an allowed local receiver, and refuses loopback without the allow-list', async () => {
    const settings = { url: `${hook.url}/hooks/vigil` };
    await hub.configure(a, 'webhook', { settings, credentials: { secret: webhookSecret } });
    await strictHub.configure(b, 'webhook', { settings, credentials: { secret: webhookSecret } });
    const before = hook.requests.length;

    const delivered = await integrationActions(hub).deliverWebhook(a.tenantId, 'webhook', { event: 'test' });
    const blocked = integrationActions(strictHub).deliverWebhook(b.tenantId, 'webhook', { event: 'test' });

    expect(delivered.status).toBe(200);
    await expect(blocked).rejects.toMatchObject({ code: 'ssrf_blocked', status: 400 });
    expect(hook.requests.length).toBe(before + 1);
  });
});
