import type { OutboundClient } from './http/outbound';

/**
 * What every integration adapter implements, and what the platform hands it. One module per service
 * under `shared/integrations/adapters/`, each exporting its catalog entry and its adapter; the
 * catalog, configuration, test, health and usage code and the enrichment workers use only these
 * types. Adapters never read configuration themselves and never log credentials.
 */

export type IndicatorType = 'ipv4' | 'ipv6' | 'domain' | 'url' | 'email' | 'md5' | 'sha1' | 'sha256' | 'cve';

/** A normalized indicator (refanged, validated, canonical) that may be sent to third parties. */
export interface Indicator {
  type: IndicatorType;
  value: string;
}

export type Verdict = 'malicious' | 'suspicious' | 'benign' | 'unknown';

/**
 * A provider's answer about one indicator. Absence of data is `unknown` (score 0, confidence ≤ 30),
 * never `benign`. Clamps: malicious ⇒ score ≥ 70; suspicious ⇒ 30–69; benign ⇒ ≤ 20.
 */
export interface IntelResult {
  verdict: Verdict;
  /** 0–100, how bad: 0 clearly benign, 100 clearly malicious. */
  score: number;
  /** 0–100, how much evidence the provider has. */
  confidence: number;
  /** Lower-case, de-duplicated. */
  tags: string[];
  /** Small, stable, provider-specific keys (never the raw body, never credentials). */
  details: Record<string, unknown>;
}

export type IntegrationCategory =
  | 'threat-intel'
  | 'geolocation'
  | 'notification'
  | 'ticketing'
  | 'webhook'
  | 'endpoint-response';

export type FieldType = 'text' | 'secret' | 'url' | 'number' | 'select';

/** A configuration field. `secret` fields are credentials: encrypted at rest, never returned. */
export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  required: boolean;
  help?: string;
  /** For `select`. */
  options?: readonly string[];
  default?: string | number;
  placeholder?: string;
}

/** A provider's request budget as it counts it; the quota governor enforces the tightest. */
export interface QuotaPlan {
  perSecond?: number;
  perMinute?: number;
  perDay?: number;
  perMonth?: number;
  /** Human-readable free-tier summary, e.g. "1,000 checks/day". */
  summary: string;
}

export interface CatalogEntry {
  /** Stable id used in paths: `/v1/integrations/{name}`. */
  name: string;
  displayName: string;
  category: IntegrationCategory;
  description: string;
  fields: readonly FieldDef[];
  freeTier: QuotaPlan;
  /** Guidance on how much it is worth setting up. */
  priority: 'high' | 'medium' | 'low';
  /** Numbered steps a user can follow to get credentials and configure the integration. */
  setupGuide: readonly string[];
  docsUrl: string;
  /** Indicator types the service can look up (intel and geolocation only). */
  supports?: readonly IndicatorType[];
  /** True when the service URL is user-supplied (self-hosted): the SSRF policy applies. */
  userSuppliedUrl?: boolean;
}

/** What the platform passes to every adapter call. */
export interface AdapterContext {
  /** The tenant the call is made for (per-tenant caches such as Picus access tokens key on it). */
  tenantId?: string;
  http: OutboundClient;
  /** Decrypted credentials, by field name (only `secret` fields). */
  credentials: Readonly<Record<string, string>>;
  /** Non-secret settings, by field name. */
  settings: Readonly<Record<string, string | number | undefined>>;
  /**
   * Overrides the service's public base URL: the provider sandbox and tests point adapters at local
   * fakes with it. Adapters of self-hosted services use their `url` setting instead.
   */
  baseUrl?: string;
  now: () => number;
}

/** The result of `POST /v1/integrations/{name}/test`, in words a user can act on. */
export interface TestOutcome {
  ok: boolean;
  message: string;
  details?: Record<string, unknown>;
}

export interface AdapterBase {
  catalog: CatalogEntry;
  /** A real, cheap call: a lookup of a known-benign indicator, a test message, a permission check. */
  test(ctx: AdapterContext): Promise<TestOutcome>;
}

export interface IntelAdapter extends AdapterBase {
  kind: 'intel';
  /** Only called for types in `catalog.supports`. Errors are the outbound client's typed errors. */
  lookup(ctx: AdapterContext, indicator: Indicator): Promise<IntelResult>;
  /**
   * Optional: the same lookups for many indicators in one go (results in input order), for
   * built-in providers whose store answers a whole job in a few round trips.
   */
  lookupMany?(ctx: AdapterContext, indicators: readonly Indicator[]): Promise<IntelResult[]>;
}

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export interface OutboundMessage {
  title: string;
  text: string;
  severity: Severity;
  /** Optional key/value facts shown as fields where the service supports them. */
  fields?: Readonly<Record<string, string>>;
  /** A link back to Vigil (case, job, execution). */
  url?: string;
}

export interface NotificationAdapter extends AdapterBase {
  kind: 'notification';
  send(ctx: AdapterContext, message: OutboundMessage): Promise<{ id?: string }>;
}

export interface TicketInput {
  title: string;
  body: string;
  labels?: readonly string[];
}

export interface TicketAdapter extends AdapterBase {
  kind: 'ticketing';
  create(
    ctx: AdapterContext,
    ticket: TicketInput,
  ): Promise<{ id: string; number?: number | string; url: string }>;
}

export interface WebhookAdapter extends AdapterBase {
  kind: 'webhook';
  deliver(
    ctx: AdapterContext,
    payload: Readonly<Record<string, unknown>>,
  ): Promise<{ status: number; id: string }>;
}

export type IntegrationAdapter = IntelAdapter | NotificationAdapter | TicketAdapter | WebhookAdapter;
