import type { AuditLog } from '../audit/chain';
import type { Principal } from '../identity/principal';
import type { EnvelopeEncryption } from '../platform/crypto/envelope';
import {
  BadRequestError,
  ConflictError,
  type FieldIssue,
  NotFoundError,
  ValidationError,
} from '../platform/errors';
import { OutboundError, OutboundRateLimitedError, SsrfBlockedError } from './http/errors';
import type { OutboundClient } from './http/outbound';
import type { AdapterBase, AdapterContext, CatalogEntry, FieldDef, QuotaPlan, TestOutcome } from './ports';
import {
  type HealthStatus,
  type IntegrationHealth,
  type IntegrationRecord,
  type IntegrationStore,
  latencyBucketsMs,
  type QuotaOverride,
  type UsageDay,
} from './store';

/**
 * Tenant configuration of integrations: the catalog joined with each tenant's state, typed
 * settings, credentials encrypted with envelope encryption (context: tenant and integration) and
 * shown only as masked hints, tests and health, usage per day, and export/import without secrets.
 * Every adapter call made on a tenant's behalf goes through `use`, which decrypts the credentials
 * for that one call and counts it.
 */
export type AnyAdapter = AdapterBase & { kind: string };

export interface IntegrationDeps {
  store: IntegrationStore;
  encryption: EnvelopeEncryption;
  adapters: readonly AnyAdapter[];
  http: OutboundClient;
  /** Base URL per integration name: the provider sandbox's local fakes. Never set in AWS. */
  baseUrls?: Readonly<Record<string, string>>;
  audit: AuditLog;
  now: () => number;
}

/** The export document's format marker and version. */
export const exportFormat = 'vigil.integrations';
export const exportVersion = 1;

export interface IntegrationExport {
  format: typeof exportFormat;
  version: number;
  exportedAt: string;
  integrations: {
    name: string;
    enabled: boolean;
    settings: Record<string, string | number>;
    secretFields: string[];
  }[];
}

export interface IntegrationView {
  name: string;
  displayName: string;
  category: CatalogEntry['category'];
  description: string;
  priority: CatalogEntry['priority'];
  configured: boolean;
  enabled: boolean;
  settings: Record<string, string | number>;
  /** Masked hints of the stored secret fields; never the secrets. */
  credentials: Record<string, string>;
  /** The tenant's plan limits, when set (otherwise the catalog's free tier applies). */
  quota?: QuotaOverride;
  health: IntegrationHealth;
  updatedAt?: string;
}

const untested: IntegrationHealth = { status: 'untested' };

/** `••••` and the last four characters of a long secret; short secrets show nothing of themselves. */
export function maskSecret(value: string): string {
  return value.length >= 12 ? `••••${value.slice(-4)}` : '••••';
}

/** What went wrong, in words a user can act on, with nothing sensitive in it. */
export function describeFailure(error: unknown): { status: HealthStatus; message: string } {
  if (error instanceof SsrfBlockedError) return { status: 'error', message: error.message };
  if (error instanceof OutboundError) {
    const what = error.message.length > 300 ? `${error.message.slice(0, 300)}…` : error.message;
    switch (error.kind) {
      case 'auth':
        return {
          status: 'error',
          message: `The service refused the credentials. Check them and save again. (${what})`,
        };
      case 'rate_limited': {
        const after =
          error instanceof OutboundRateLimitedError ? ` Retry in ${error.retryAfterSeconds} s.` : '';
        return { status: 'degraded', message: `The service is rate limiting requests.${after}` };
      }
      case 'quota_exhausted':
        return { status: 'degraded', message: `The plan's quota is used up for now. (${what})` };
      case 'timeout':
        return { status: 'degraded', message: `The service did not answer in time. (${what})` };
      case 'upstream':
        return { status: 'degraded', message: `The service failed or sent an unreadable answer. (${what})` };
      default:
        return { status: 'error', message: `The service refused the request. Check the settings. (${what})` };
    }
  }
  if (error instanceof BadRequestError || error instanceof ValidationError)
    return { status: 'error', message: error.message };
  return {
    status: 'error',
    message: 'The call failed unexpectedly. Try again; if it persists, check the platform logs.',
  };
}

function checkField(
  field: FieldDef,
  value: unknown,
  issues: FieldIssue[],
  prefix: string,
): string | number | undefined {
  const path = `${prefix}.${field.name}`;
  if (value === undefined || value === null || value === '') return undefined;
  switch (field.type) {
    case 'number': {
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(n)) issues.push({ path, message: 'Must be a number.', code: 'invalid_type' });
      return n;
    }
    case 'select':
      if (typeof value !== 'string' || !field.options?.includes(value)) {
        issues.push({
          path,
          message: `Must be one of: ${field.options?.join(', ')}.`,
          code: 'invalid_value',
        });
      }
      return String(value);
    case 'url': {
      if (typeof value !== 'string') {
        issues.push({ path, message: 'Must be a URL.', code: 'invalid_type' });
        return undefined;
      }
      let parsed: URL | undefined;
      try {
        parsed = new URL(value);
      } catch {
        // reported below
      }
      if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
        issues.push({ path, message: 'Must be an http(s) URL.', code: 'invalid_format' });
      }
      return value;
    }
    default:
      if (typeof value !== 'string') issues.push({ path, message: 'Must be text.', code: 'invalid_type' });
      else if (value.length > 8192) issues.push({ path, message: 'Too long.', code: 'too_big' });
      return String(value);
  }
}

const overflowBoundMs = 2 * (latencyBucketsMs.at(-1) ?? 0);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function percentile(histogram: number[], fraction: number): number | undefined {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  let seen = 0;
  for (let i = 0; i < histogram.length; i += 1) {
    seen += histogram[i] ?? 0;
    // The bucket's upper bound; the overflow bucket reports twice the last bound.
    if (seen >= total * fraction) return latencyBucketsMs[i] ?? overflowBoundMs;
  }
  return undefined;
}

export function integrationService(deps: IntegrationDeps) {
  const byName = new Map(deps.adapters.map((a) => [a.catalog.name, a]));
  const nowIso = () => new Date(deps.now()).toISOString();

  const adapterOf = (name: string): AnyAdapter => {
    const adapter = byName.get(name);
    if (!adapter)
      throw new NotFoundError(`There is no integration named '${name}'.`, 'integration_not_found');
    return adapter;
  };
  const context = (tenantId: string, name: string) => ({ tenantId, purpose: `integration:${name}` });
  const decrypt = async (record: IntegrationRecord): Promise<Record<string, string>> =>
    record.credentialsCiphertext
      ? JSON.parse(
          (
            await deps.encryption.decrypt(record.credentialsCiphertext, context(record.tenantId, record.name))
          ).toString('utf8'),
        )
      : {};

  const view = (adapter: AnyAdapter, record?: IntegrationRecord): IntegrationView => ({
    name: adapter.catalog.name,
    displayName: adapter.catalog.displayName,
    category: adapter.catalog.category,
    description: adapter.catalog.description,
    priority: adapter.catalog.priority,
    configured: record !== undefined,
    enabled: record?.enabled ?? false,
    settings: record?.settings ?? {},
    credentials: record?.credentialHints ?? {},
    ...(record?.quota ? { quota: record.quota } : {}),
    health: record?.health ?? untested,
    ...(record ? { updatedAt: record.updatedAt } : {}),
  });

  const audit = (
    principal: Principal,
    action: string,
    name: string,
    details?: Record<string, unknown>,
    outcome: 'success' | 'failure' = 'success',
  ) =>
    deps.audit.append({
      tenantId: principal.tenantId,
      actor: { type: principal.type, id: principal.id },
      action,
      resourceType: 'integration',
      resourceId: name,
      outcome,
      details,
    });

  const required = async (tenantId: string, name: string): Promise<IntegrationRecord> => {
    adapterOf(name);
    const record = await deps.store.get(tenantId, name);
    if (!record)
      throw new NotFoundError(`The integration '${name}' is not configured.`, 'integration_not_configured');
    return record;
  };

  /** Writes with optimistic concurrency; a concurrent change is a 409 the client can retry. */
  const save = async (record: IntegrationRecord, expected: number) => {
    if (!(await deps.store.put({ ...record, revision: expected + 1 }, expected))) {
      throw new ConflictError(
        'The integration changed meanwhile. Reload and try again.',
        'integration_conflict',
      );
    }
  };

  /** Validates settings and credentials against the catalog and merges them over what is stored. */
  const merge = (
    adapter: AnyAdapter,
    input: { settings?: Record<string, unknown>; credentials?: Record<string, unknown> },
    existing: { settings: Record<string, string | number>; credentials: Record<string, string> },
    requireAll = true,
  ) => {
    const issues: FieldIssue[] = [];
    const fields = new Map(adapter.catalog.fields.map((f) => [f.name, f]));
    const settings = { ...existing.settings };
    const credentials = { ...existing.credentials };
    for (const [key, value] of Object.entries(input.settings ?? {})) {
      const field = fields.get(key);
      if (!field || field.type === 'secret') {
        issues.push({
          path: `body.settings.${key}`,
          message: field ? 'A secret goes in `credentials`.' : 'Unknown setting.',
          code: 'unrecognized_keys',
        });
        continue;
      }
      const checked = checkField(field, value, issues, 'body.settings');
      if (checked === undefined) delete settings[key];
      else settings[key] = checked;
    }
    for (const [key, value] of Object.entries(input.credentials ?? {})) {
      const field = fields.get(key);
      if (field?.type !== 'secret') {
        issues.push({
          path: `body.credentials.${key}`,
          message: 'Unknown credential.',
          code: 'unrecognized_keys',
        });
        continue;
      }
      if (typeof value !== 'string' || value.length === 0 || value.length > 16_384) {
        issues.push({
          path: `body.credentials.${key}`,
          message: 'Must be non-empty text.',
          code: 'invalid_type',
        });
        continue;
      }
      credentials[key] = value;
    }
    for (const field of adapter.catalog.fields) {
      if (!field.required || (!requireAll && field.type === 'secret')) continue;
      const present = field.type === 'secret' ? credentials[field.name] : settings[field.name];
      if (present === undefined || present === '') {
        const part = field.type === 'secret' ? 'credentials' : 'settings';
        issues.push({
          path: `body.${part}.${field.name}`,
          message: `${field.label} is required.`,
          code: 'invalid_type',
        });
      }
    }
    if (issues.length > 0) throw new ValidationError(issues);
    return { settings, credentials };
  };

  const contextFor = (record: IntegrationRecord, credentials: Record<string, string>): AdapterContext => ({
    tenantId: record.tenantId,
    http: deps.http,
    credentials,
    settings: record.settings,
    baseUrl: deps.baseUrls?.[record.name],
    now: deps.now,
  });

  const enabledIn = async (tenantId: string, categories: readonly string[]): Promise<string[]> =>
    (await deps.store.list(tenantId))
      .filter((r) => {
        const category = byName.get(r.name)?.catalog.category;
        return r.enabled && category !== undefined && categories.includes(category);
      })
      .map((r) => r.name);

  const planOf = (name: string, override: IntegrationRecord['quota']): QuotaPlan => {
    const base = adapterOf(name).catalog.freeTier;
    if (!override) return base;
    return { ...base, ...override, summary: `${base.summary} (tenant plan: ${JSON.stringify(override)})` };
  };

  /** Runs one adapter call for a tenant, counting it (and its latency) in the usage of the day. */
  const measured = async <T>(
    record: IntegrationRecord,
    call: () => Promise<T>,
    succeeded: (result: T) => boolean = () => true,
  ): Promise<T> => {
    const started = deps.now();
    try {
      const result = await call();
      await deps.store.recordCalls(record.tenantId, record.name, [
        { date: dayOf(started), ok: succeeded(result), latencyMs: deps.now() - started },
      ]);
      return result;
    } catch (error) {
      await deps.store.recordCalls(record.tenantId, record.name, [
        { date: dayOf(started), ok: false, latencyMs: deps.now() - started },
      ]);
      throw error;
    }
  };

  const checkHealth = async (
    record: IntegrationRecord,
  ): Promise<{ outcome: TestOutcome; health: IntegrationHealth }> => {
    const adapter = adapterOf(record.name);
    let outcome: TestOutcome;
    let health: IntegrationHealth;
    try {
      outcome = await measured(
        record,
        async () => adapter.test(contextFor(record, await decrypt(record))),
        (result) => result.ok,
      );
      health = outcome.ok
        ? { status: 'healthy', checkedAt: nowIso() }
        : { status: 'error', checkedAt: nowIso(), lastError: outcome.message };
    } catch (error) {
      const failure = describeFailure(error);
      outcome = { ok: false, message: failure.message };
      health = { status: failure.status, checkedAt: nowIso(), lastError: failure.message };
    }
    await deps.store.setHealth(record.tenantId, record.name, health);
    return { outcome, health };
  };

  return {
    catalog: (): CatalogEntry[] => deps.adapters.map((a) => a.catalog),

    async list(tenantId: string): Promise<IntegrationView[]> {
      const records = new Map((await deps.store.list(tenantId)).map((r) => [r.name, r]));
      return deps.adapters.map((adapter) => view(adapter, records.get(adapter.catalog.name)));
    },

    /**
     * One integration with its catalog entry; adapters that can describe their configuration (Picus:
     * token state, refresh-token age) add a `summary` computed from the decrypted credentials.
     */
    async get(
      tenantId: string,
      name: string,
    ): Promise<IntegrationView & { catalog: CatalogEntry; summary?: unknown }> {
      const adapter = adapterOf(name);
      const record = await deps.store.get(tenantId, name);
      const describe = (adapter as { summary?: (ctx: AdapterContext & { enabled: boolean }) => unknown })
        .summary;
      const summary =
        record && typeof describe === 'function'
          ? describe.call(adapter, { ...contextFor(record, await decrypt(record)), enabled: record.enabled })
          : undefined;
      return { ...view(adapter, record), catalog: adapter.catalog, ...(summary ? { summary } : {}) };
    },

    /** Creates or updates the configuration; new credentials are encrypted and reset health to untested. */
    async configure(
      principal: Principal,
      name: string,
      input: {
        settings?: Record<string, unknown>;
        credentials?: Record<string, unknown>;
        quota?: QuotaOverride | null;
      },
    ): Promise<IntegrationView> {
      const adapter = adapterOf(name);
      const existing = await deps.store.get(principal.tenantId, name);
      const stored = existing ? await decrypt(existing) : {};
      const merged = merge(adapter, input, { settings: existing?.settings ?? {}, credentials: stored });
      const credentialsChanged = Object.keys(input.credentials ?? {}).length > 0;
      const record: IntegrationRecord = {
        tenantId: principal.tenantId,
        name,
        enabled: existing?.enabled ?? true,
        settings: merged.settings,
        credentialsCiphertext:
          Object.keys(merged.credentials).length === 0
            ? undefined
            : credentialsChanged || !existing?.credentialsCiphertext
              ? await deps.encryption.encrypt(
                  JSON.stringify(merged.credentials),
                  context(principal.tenantId, name),
                )
              : existing.credentialsCiphertext,
        credentialHints: Object.fromEntries(
          Object.entries(merged.credentials).map(([k, v]) => [k, maskSecret(v)]),
        ),
        ...(input.quota === null
          ? {}
          : input.quota
            ? { quota: input.quota }
            : existing?.quota
              ? { quota: existing.quota }
              : {}),
        health: credentialsChanged || !existing ? untested : existing.health,
        createdAt: existing?.createdAt ?? nowIso(),
        updatedAt: nowIso(),
        updatedBy: principal.id,
        revision: existing?.revision ?? 0,
      };
      await save(record, existing?.revision ?? 0);
      await audit(principal, existing ? 'integration.updated' : 'integration.configured', name, {
        settings: Object.keys(merged.settings),
        credentialsChanged: Object.keys(input.credentials ?? {}),
      });
      return view(adapter, record);
    },

    async setEnabled(principal: Principal, name: string, enabled: boolean): Promise<IntegrationView> {
      const record = await required(principal.tenantId, name);
      const updated = { ...record, enabled, updatedAt: nowIso(), updatedBy: principal.id };
      await save(updated, record.revision);
      await audit(principal, enabled ? 'integration.enabled' : 'integration.disabled', name);
      return view(adapterOf(name), updated);
    },

    async remove(principal: Principal, name: string): Promise<void> {
      adapterOf(name);
      if (!(await deps.store.delete(principal.tenantId, name))) {
        throw new NotFoundError(`The integration '${name}' is not configured.`, 'integration_not_configured');
      }
      await audit(principal, 'integration.deleted', name);
    },

    /** A real, cheap call; the answer says what happened and health follows it. */
    async test(principal: Principal, name: string): Promise<TestOutcome & { health: IntegrationHealth }> {
      const record = await required(principal.tenantId, name);
      const { outcome, health } = await checkHealth(record);
      await audit(
        principal,
        'integration.tested',
        name,
        { ok: outcome.ok },
        outcome.ok ? 'success' : 'failure',
      );
      return { ...outcome, health };
    },

    /** Scheduled health check of every enabled integration of a tenant. */
    async checkAll(tenantId: string): Promise<{ name: string; status: HealthStatus }[]> {
      const results: { name: string; status: HealthStatus }[] = [];
      for (const record of await deps.store.list(tenantId)) {
        if (!record.enabled || !byName.has(record.name)) continue;
        results.push({ name: record.name, status: (await checkHealth(record)).health.status });
      }
      return results;
    },

    /** Per-day requests, successes, failures and latency percentiles, and quota against the plan. */
    async usage(tenantId: string, name: string, days: number) {
      adapterOf(name);
      const today = deps.now();
      const from = dayOf(today - (days - 1) * 86_400_000);
      const stored = new Map(
        (await deps.store.usage(tenantId, name, from, dayOf(today))).map((d) => [d.date, d]),
      );
      const series: (Omit<UsageDay, 'latency'> & { p50Ms?: number; p95Ms?: number })[] = [];
      for (let i = days - 1; i >= 0; i -= 1) {
        const date = dayOf(today - i * 86_400_000);
        const day = stored.get(date);
        series.push({
          date,
          requests: day?.requests ?? 0,
          successes: day?.successes ?? 0,
          failures: day?.failures ?? 0,
          ...(day ? { p50Ms: percentile(day.latency, 0.5), p95Ms: percentile(day.latency, 0.95) } : {}),
        });
      }
      const plan = await this.plan(tenantId, name);
      const usedToday = series.at(-1)?.requests ?? 0;
      const usedMonth = series
        .filter((d) => d.date.slice(0, 7) === dayOf(today).slice(0, 7))
        .reduce((a, d) => a + d.requests, 0);
      const quota = plan.perDay
        ? {
            period: 'day' as const,
            limit: plan.perDay,
            used: usedToday,
            remaining: Math.max(0, plan.perDay - usedToday),
          }
        : plan.perMonth
          ? {
              period: 'month' as const,
              limit: plan.perMonth,
              used: usedMonth,
              remaining: Math.max(0, plan.perMonth - usedMonth),
            }
          : undefined;
      return { name, days: series, plan: plan.summary, ...(quota ? { quota } : {}) };
    },

    /** Versioned JSON of every configured integration, without secrets (their field names only). */
    async exportAll(tenantId: string): Promise<IntegrationExport> {
      const records = await deps.store.list(tenantId);
      return {
        format: exportFormat,
        version: exportVersion,
        exportedAt: nowIso(),
        integrations: records
          .filter((r) => byName.has(r.name))
          .map((r) => ({
            name: r.name,
            enabled: r.enabled,
            settings: r.settings,
            secretFields: Object.keys(r.credentialHints),
          })),
      };
    },

    /**
     * Applies an export: settings and enabled state; secrets are never in an export, so an integration
     * whose required secrets are not stored here is imported disabled, listed under `needsCredentials`.
     */
    async importAll(principal: Principal, document: IntegrationExport, dryRun: boolean) {
      const issues: FieldIssue[] = [];
      document.integrations.forEach((item, index) => {
        if (!byName.has(item.name))
          issues.push({
            path: `body.integrations.${index}.name`,
            message: `Unknown integration '${item.name}'.`,
            code: 'invalid_value',
          });
      });
      if (issues.length > 0) throw new ValidationError(issues);
      const plan: { name: string; action: 'create' | 'update' | 'unchanged'; needsCredentials: string[] }[] =
        [];
      const writes: { record: IntegrationRecord; expected: number }[] = [];
      for (const [index, item] of document.integrations.entries()) {
        const adapter = adapterOf(item.name);
        const existing = await deps.store.get(principal.tenantId, item.name);
        let merged: { settings: Record<string, string | number> };
        try {
          // Secrets are never in an export: only the settings are checked here.
          merged = merge(adapter, { settings: item.settings }, { settings: {}, credentials: {} }, false);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          issues.push(
            ...error.extensions.errors.map((e) => ({
              ...e,
              path: e.path.replace('body.settings', `body.integrations.${index}.settings`),
            })),
          );
          continue;
        }
        const stored = existing ? Object.keys(existing.credentialHints) : [];
        const needsCredentials = adapter.catalog.fields
          .filter((f) => f.type === 'secret' && f.required && !stored.includes(f.name))
          .map((f) => f.name);
        const same =
          existing !== undefined &&
          JSON.stringify(existing.settings) === JSON.stringify(merged.settings) &&
          existing.enabled === (item.enabled && needsCredentials.length === 0);
        plan.push({
          name: item.name,
          action: !existing ? 'create' : same ? 'unchanged' : 'update',
          needsCredentials,
        });
        if (same) continue;
        writes.push({
          expected: existing?.revision ?? 0,
          record: {
            tenantId: principal.tenantId,
            name: item.name,
            enabled: item.enabled && needsCredentials.length === 0,
            settings: merged.settings,
            credentialsCiphertext: existing?.credentialsCiphertext,
            credentialHints: existing?.credentialHints ?? {},
            health: existing?.health ?? untested,
            createdAt: existing?.createdAt ?? nowIso(),
            updatedAt: nowIso(),
            updatedBy: principal.id,
            revision: existing?.revision ?? 0,
          },
        });
      }
      if (issues.length > 0) throw new ValidationError(issues);
      if (!dryRun) {
        for (const { record, expected } of writes) await save(record, expected);
        await audit(principal, 'integration.imported', '*', {
          integrations: plan.map((p) => `${p.name}:${p.action}`),
        });
      }
      return { dryRun, integrations: plan };
    },

    /** Re-encrypts every stored credential under the current key (after a key change or rotation). */
    async reencrypt(principal: Principal): Promise<{ reencrypted: number }> {
      let count = 0;
      for (const record of await deps.store.list(principal.tenantId)) {
        if (!record.credentialsCiphertext) continue;
        const plain = (
          await deps.encryption.decrypt(record.credentialsCiphertext, context(record.tenantId, record.name))
        ).toString('utf8');
        const credentialsCiphertext = await deps.encryption.encrypt(
          plain,
          context(record.tenantId, record.name),
        );
        await save(
          { ...record, credentialsCiphertext, updatedAt: nowIso(), updatedBy: principal.id },
          record.revision,
        );
        count += 1;
      }
      await audit(principal, 'integration.reencrypted', '*', { count });
      return { reencrypted: count };
    },

    /**
     * Runs `call` with the adapter and a context holding the tenant's decrypted credentials, counted
     * in usage. Refuses integrations that are not configured or disabled.
     */
    async use<A extends AnyAdapter, T>(
      tenantId: string,
      name: string,
      call: (adapter: A, ctx: AdapterContext) => Promise<T>,
    ): Promise<T> {
      const record = await required(tenantId, name);
      if (!record.enabled)
        throw new ConflictError(`The integration '${name}' is disabled.`, 'integration_disabled');
      const adapter = adapterOf(name) as A;
      const credentials = await decrypt(record);
      return measured(record, () => call(adapter, contextFor(record, credentials)));
    },

    /** The request budget for a tenant's integration: the catalog's free tier, overridden by the tenant's plan. */
    async plan(tenantId: string, name: string): Promise<QuotaPlan> {
      return planOf(name, (await deps.store.get(tenantId, name))?.quota);
    },

    /**
     * `use` for a batch of calls to one integration: the record is read and the credentials are
     * decrypted once, and the calls' usage is written together by `flush`. Refuses integrations
     * that are not configured or disabled, as `use` does.
     */
    async session<A extends AnyAdapter>(tenantId: string, name: string) {
      const record = await required(tenantId, name);
      if (!record.enabled)
        throw new ConflictError(`The integration '${name}' is disabled.`, 'integration_disabled');
      const adapter = adapterOf(name) as A;
      const ctx = contextFor(record, await decrypt(record));
      const calls: { date: string; ok: boolean; latencyMs: number }[] = [];
      return {
        plan: planOf(name, record.quota),
        async run<T>(call: (adapter: A, ctx: AdapterContext) => Promise<T>): Promise<T> {
          const started = deps.now();
          try {
            const result = await call(adapter, ctx);
            calls.push({ date: dayOf(started), ok: true, latencyMs: deps.now() - started });
            return result;
          } catch (error) {
            calls.push({ date: dayOf(started), ok: false, latencyMs: deps.now() - started });
            throw error;
          }
        },
        async flush() {
          const batch = calls.splice(0);
          if (batch.length > 0) await deps.store.recordCalls(tenantId, name, batch);
        },
      };
    },

    /** Configured and enabled integrations of a category, for fan-out (notify everything enabled). */
    enabledOf: (tenantId: string, category: CatalogEntry['category']): Promise<string[]> =>
      enabledIn(tenantId, [category]),

    /** Configured and enabled integrations of any of the categories, in one read. */
    enabledIn,
  };
}

export type IntegrationService = ReturnType<typeof integrationService>;
