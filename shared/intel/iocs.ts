import * as z from 'zod';
import {
  canonicalHost,
  type IndicatorType,
  normalizeIndicator,
  refang,
  splitUrl,
} from '../enrichment/indicators';
import { finalizeResult } from '../integrations/adapters/intel-normalize';
import type {
  AdapterContext,
  CatalogEntry,
  Indicator,
  IntelAdapter,
  IntelResult,
} from '../integrations/ports';
import { BadRequestError, NotFoundError } from '../platform/errors';

/**
 * The tenant's own intelligence: IOCs it has collected (from cases, feeds, analysts) and an
 * allow-list of indicators it vouches for. Values are stored canonical (`normalizeIndicator`), so a
 * lookup is an exact key match. The `intel-store` provider reports store hits to the enrichment
 * engine: a match is malicious or suspicious by the IOC's confidence, and an allow-list hit is
 * reported with `details.allowListed`, which the aggregate verdict turns into `benign`.
 */

export interface IocRecord {
  id: string;
  tenantId: string;
  type: IndicatorType;
  /** Canonical value. */
  value: string;
  /** Where it came from: a feed name, a case id, `manual`. */
  source: string;
  /** 0–100: how sure the tenant is that it is bad. */
  confidence: number;
  tags: string[];
  createdAt: string;
  createdBy: string;
  updatedAt?: string;
  /** ISO-8601; the IOC stops matching then, and the item is deleted by TTL soon after. */
  expiresAt?: string;
}

export interface AllowListEntry {
  id: string;
  tenantId: string;
  type: IndicatorType;
  value: string;
  reason: string;
  createdAt: string;
  createdBy: string;
}

/** One page of a listing; `cursor` is opaque and present when there is more. */
export interface Page<T> {
  items: T[];
  cursor?: string;
}

export interface IocQuery {
  type?: IndicatorType;
  /** Prefix of the canonical value (needs `type` to be an index query; otherwise a filter). */
  q?: string;
  limit: number;
  cursor?: string;
}

export interface IndicatorKey {
  type: IndicatorType;
  value: string;
}

/**
 * Storage of IOCs and allow-list entries, all inside the tenant's partition. `putIoc` upserts on
 * (type, value): a new IOC is stored as given; an existing one keeps its id, `createdAt` and
 * `createdBy` and takes the other fields from the new record, with the tags merged. Expired IOCs
 * (`expiresAt` ≤ `nowMs`) are treated as absent everywhere.
 */
export interface IocRepository {
  /**
   * Whether the tenant has ever stored IOCs / allow-list entries (false means certainly none), so a
   * lookup can skip reading a store that is empty.
   */
  holdings(tenantId: string): Promise<{ iocs: boolean; allowList: boolean }>;
  putIoc(ioc: IocRecord, nowMs: number): Promise<{ ioc: IocRecord; created: boolean }>;
  listIocs(tenantId: string, query: IocQuery, nowMs: number): Promise<Page<IocRecord>>;
  getIocs(tenantId: string, keys: readonly IndicatorKey[], nowMs: number): Promise<IocRecord[]>;
  /** False when no IOC of this tenant has that id. */
  deleteIoc(tenantId: string, id: string): Promise<boolean>;
  putAllowEntry(entry: AllowListEntry): Promise<{ entry: AllowListEntry; created: boolean }>;
  listAllowEntries(tenantId: string, query: Omit<IocQuery, 'q'>): Promise<Page<AllowListEntry>>;
  getAllowEntries(tenantId: string, keys: readonly IndicatorKey[]): Promise<AllowListEntry[]>;
  deleteAllowEntry(tenantId: string, id: string): Promise<boolean>;
}

/** A cursor that does not belong to this listing. */
export class InvalidCursorError extends BadRequestError {
  constructor() {
    super('The cursor is not valid for this listing.', 'invalid_cursor');
  }
}

const tagSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .transform((tag) => tag.toLowerCase());

/** Body of `POST` an IOC: the value is normalized (and its type detected when omitted). */
export const iocInputSchema = z.strictObject({
  type: z.string().min(1).max(32).optional(),
  value: z.string().min(1).max(8192),
  source: z.string().trim().min(1).max(200).default('manual'),
  confidence: z.number().int().min(0).max(100).default(80),
  tags: z.array(tagSchema).max(25).default([]),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type IocInput = z.input<typeof iocInputSchema>;

/** Body of `POST` an allow-list entry. */
export const allowEntryInputSchema = z.strictObject({
  type: z.string().min(1).max(32).optional(),
  value: z.string().min(1).max(8192),
  reason: z.string().trim().min(1).max(500),
});
export type AllowEntryInput = z.input<typeof allowEntryInputSchema>;

/** How an IOC matched a checked indicator: itself, or the host of a URL / the domain of an email. */
export type IocMatchKind = 'exact' | 'host' | 'domain';

export interface IocMatch {
  ioc: IocRecord;
  matchedOn: IocMatchKind;
}

/** The keys an indicator matches IOCs on: itself; a URL also its host, an email also its domain. */
export function iocCandidates(
  type: IndicatorType,
  value: string,
): { key: IndicatorKey; kind: IocMatchKind }[] {
  const keys: { key: IndicatorKey; kind: IocMatchKind }[] = [{ key: { type, value }, kind: 'exact' }];
  if (type === 'url') {
    const parts = splitUrl(value);
    const host = parts ? canonicalHost(parts.host) : undefined;
    if (host) keys.push({ key: { type: host.type, value: host.value }, kind: 'host' });
  } else if (type === 'email') {
    keys.push({ key: { type: 'domain', value: value.slice(value.lastIndexOf('@') + 1) }, kind: 'domain' });
  }
  return keys;
}

/**
 * The keys an indicator is allow-listed by: itself (exact), and for a domain every parent domain of
 * at least two labels, so an entry for `example.com` covers `mail.example.com`. URLs and emails match
 * exactly only: a trusted domain does not vouch for every page or sender on it.
 */
export function allowCandidates(type: IndicatorType, value: string): IndicatorKey[] {
  const keys: IndicatorKey[] = [{ type, value }];
  if (type === 'domain') {
    const labels = value.split('.');
    for (let i = 1; i < labels.length - 1; i += 1) keys.push({ type, value: labels.slice(i).join('.') });
  }
  return keys;
}

/** The tenant's IOCs matching an indicator (canonical), exact matches first. */
export async function matchIocs(
  repo: IocRepository,
  tenantId: string,
  indicator: IndicatorKey,
  nowMs: number,
): Promise<IocMatch[]> {
  return (await matchIocsOfMany(repo, tenantId, [indicator], nowMs))[0] ?? [];
}

/** `matchIocs` for many indicators with one read of all their candidate keys; results in input order. */
export async function matchIocsOfMany(
  repo: IocRepository,
  tenantId: string,
  indicators: readonly IndicatorKey[],
  nowMs: number,
): Promise<IocMatch[][]> {
  const candidates = indicators.map((indicator) => iocCandidates(indicator.type, indicator.value));
  const found = await repo.getIocs(tenantId, uniqueKeys(candidates.flat().map((c) => c.key)), nowMs);
  const byKey = new Map(found.map((ioc) => [`${ioc.type}#${ioc.value}`, ioc]));
  return candidates.map((list) =>
    list.flatMap(({ key, kind }) => {
      const ioc = byKey.get(`${key.type}#${key.value}`);
      return ioc ? [{ ioc, matchedOn: kind }] : [];
    }),
  );
}

/** The allow-list entry covering an indicator (canonical), the most specific first; undefined if none. */
export async function findAllowEntry(
  repo: IocRepository,
  tenantId: string,
  indicator: IndicatorKey,
): Promise<AllowListEntry | undefined> {
  return (await findAllowEntries(repo, tenantId, [indicator]))[0];
}

/** `findAllowEntry` for many indicators with one read of all their candidate keys; input order. */
export async function findAllowEntries(
  repo: IocRepository,
  tenantId: string,
  indicators: readonly IndicatorKey[],
): Promise<(AllowListEntry | undefined)[]> {
  const candidates = indicators.map((indicator) => allowCandidates(indicator.type, indicator.value));
  const found = await repo.getAllowEntries(tenantId, uniqueKeys(candidates.flat()));
  const byKey = new Map(found.map((entry) => [`${entry.type}#${entry.value}`, entry]));
  return candidates.map((list) => {
    for (const key of list) {
      const entry = byKey.get(`${key.type}#${key.value}`);
      if (entry) return entry;
    }
    return undefined;
  });
}

const uniqueKeys = (keys: readonly IndicatorKey[]): IndicatorKey[] => [
  ...new Map(keys.map((key) => [`${key.type}#${key.value}`, key])).values(),
];

/** A value as typed by an analyst, normalized; the type is detected when omitted. */
function canonical(value: string, type?: string): IndicatorKey {
  const indicator = normalizeIndicator(value, type);
  return { type: indicator.type, value: indicator.value };
}

/** Canonical form of a `q` prefix for the given type, so `Example.` finds `example.com`. */
function prefixFor(q: string, type?: IndicatorType): string {
  const text = refang(q.trim());
  if (type === 'cve') return text.toUpperCase();
  if (type === 'url' || type === 'email') return text;
  return type === undefined ? text : text.toLowerCase();
}

export interface IocServiceDeps {
  repo: IocRepository;
  now: () => number;
  newId: () => string;
}

export interface Actor {
  tenantId: string;
  userId: string;
}

/**
 * IOC and allow-list use cases: input is validated by the edge schemas above, values are normalized
 * here, every call is scoped to the actor's tenant, and ids of another tenant are simply not found.
 */
export function createIocService({ repo, now, newId }: IocServiceDeps) {
  return {
    /** Adds an IOC, or updates the tenant's existing IOC with the same (type, value). */
    async add(actor: Actor, input: z.output<typeof iocInputSchema>) {
      const key = canonical(input.value, input.type);
      const nowMs = now();
      if (input.expiresAt !== undefined && Date.parse(input.expiresAt) <= nowMs) {
        throw new BadRequestError('expiresAt must be in the future.', 'invalid_expiry');
      }
      const at = new Date(nowMs).toISOString();
      return repo.putIoc(
        {
          id: newId(),
          tenantId: actor.tenantId,
          ...key,
          source: input.source,
          confidence: input.confidence,
          tags: [...new Set(input.tags)],
          createdAt: at,
          createdBy: actor.userId,
          updatedAt: at,
          ...(input.expiresAt !== undefined ? { expiresAt: new Date(input.expiresAt).toISOString() } : {}),
        },
        nowMs,
      );
    },

    async list(tenantId: string, query: IocQuery): Promise<Page<IocRecord>> {
      const q = query.q === undefined || query.q.trim() === '' ? undefined : prefixFor(query.q, query.type);
      const { q: _q, ...rest } = query;
      return repo.listIocs(tenantId, { ...rest, ...(q !== undefined ? { q } : {}) }, now());
    },

    /** The tenant's IOCs matching a value: exact, plus a URL's host and an email's domain. */
    async check(tenantId: string, value: string, type?: string): Promise<IocMatch[]> {
      return matchIocs(repo, tenantId, canonical(value, type), now());
    },

    /** Deletes an IOC by id; NotFoundError when the tenant has none with that id. */
    async remove(tenantId: string, id: string): Promise<void> {
      if (!(await repo.deleteIoc(tenantId, id)))
        throw new NotFoundError('No IOC with this id.', 'ioc_not_found');
    },

    /** Adds an allow-list entry, or updates the reason of the existing one for the same value. */
    async allow(actor: Actor, input: z.output<typeof allowEntryInputSchema>) {
      return repo.putAllowEntry({
        id: newId(),
        tenantId: actor.tenantId,
        ...canonical(input.value, input.type),
        reason: input.reason,
        createdAt: new Date(now()).toISOString(),
        createdBy: actor.userId,
      });
    },

    async listAllowed(tenantId: string, query: Omit<IocQuery, 'q'>): Promise<Page<AllowListEntry>> {
      return repo.listAllowEntries(tenantId, query);
    },

    async removeAllowed(tenantId: string, id: string): Promise<void> {
      if (!(await repo.deleteAllowEntry(tenantId, id))) {
        throw new NotFoundError('No allow-list entry with this id.', 'allow_entry_not_found');
      }
    },

    /** The allow-list entry covering a value (a domain entry covers its subdomains); undefined if none. */
    async isAllowed(tenantId: string, value: string, type?: string): Promise<AllowListEntry | undefined> {
      return findAllowEntry(repo, tenantId, canonical(value, type));
    },
  };
}
export type IocService = ReturnType<typeof createIocService>;

/** Name of the store's provider; the aggregate verdict treats its `allowListed` results as overrides. */
export const INTEL_STORE_PROVIDER = 'intel-store';

/** IOC confidence from which a match is `malicious` rather than `suspicious`. */
export const MALICIOUS_IOC_CONFIDENCE = 70;

/**
 * Maps store hits to a result: an allow-list entry wins (benign, `details.allowListed`); else the
 * best IOC match (exact before host/domain, then highest confidence) is malicious at confidence ≥ 70
 * and suspicious below, with its tags. A match on a URL's host or an email's domain is evidence about
 * the container, not the indicator itself, so it counts with 80% of the IOC's confidence.
 */
export function storeResult(allow: AllowListEntry | undefined, matches: readonly IocMatch[]): IntelResult {
  if (allow) {
    return finalizeResult({
      verdict: 'benign',
      score: 0,
      confidence: 100,
      tags: ['allow-listed'],
      details: {
        allowListed: true,
        allowListId: allow.id,
        reason: allow.reason,
        matchedValue: allow.value,
      },
    });
  }
  const rank = (m: IocMatch) => (m.matchedOn === 'exact' ? 1000 : 0) + m.ioc.confidence;
  const best = [...matches].sort((a, b) => rank(b) - rank(a))[0];
  if (!best) return finalizeResult({ verdict: 'unknown', score: 0, confidence: 0, details: { matches: 0 } });
  const confidence = best.matchedOn === 'exact' ? best.ioc.confidence : Math.round(best.ioc.confidence * 0.8);
  const malicious = confidence >= MALICIOUS_IOC_CONFIDENCE;
  return finalizeResult({
    verdict: malicious ? 'malicious' : 'suspicious',
    score: malicious ? confidence : Math.max(30, confidence),
    confidence,
    tags: ['intel-store', ...new Set(matches.flatMap((m) => m.ioc.tags))],
    details: {
      matches: matches.length,
      iocId: best.ioc.id,
      matchedOn: best.matchedOn,
      matchedValue: best.ioc.value,
      source: best.ioc.source,
      iocConfidence: best.ioc.confidence,
      ...(best.ioc.expiresAt ? { expiresAt: best.ioc.expiresAt } : {}),
    },
  });
}

const storeCatalog: CatalogEntry = {
  name: INTEL_STORE_PROVIDER,
  displayName: 'Tenant intel store',
  category: 'threat-intel',
  description:
    "The tenant's own IOCs and allow-list. A match is malicious or suspicious by the IOC's confidence; " +
    'an allow-listed indicator is benign whatever other providers say.',
  fields: [],
  freeTier: { summary: 'unlimited, offline' },
  priority: 'high',
  setupGuide: [
    'Built in, nothing to configure: add IOCs and allow-list entries under Intel and every enrichment checks them.',
  ],
  docsUrl: 'https://oasis-open.github.io/cti-documentation/stix/intro',
  supports: ['ipv4', 'ipv6', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'cve'],
};

/** The `intel-store` provider over a repository. It needs `ctx.tenantId`. */
export function iocStoreProvider(repo: IocRepository): IntelAdapter {
  /** All of a job's indicators in two batched reads (allow-list and IOC candidates). */
  const lookupMany = async (
    ctx: AdapterContext,
    indicators: readonly Indicator[],
  ): Promise<IntelResult[]> => {
    const tenantId = ctx.tenantId;
    if (!tenantId) throw new BadRequestError('The intel store needs a tenant.', 'tenant_required');
    const keys = indicators.map((indicator) => ({ type: indicator.type, value: indicator.value }));
    const holds = await repo.holdings(tenantId);
    const [allowed, matches] = await Promise.all([
      holds.allowList ? findAllowEntries(repo, tenantId, keys) : keys.map(() => undefined),
      holds.iocs ? matchIocsOfMany(repo, tenantId, keys, ctx.now()) : keys.map(() => []),
    ]);
    return keys.map((_, i) => storeResult(allowed[i], matches[i] ?? []));
  };
  return {
    kind: 'intel',
    catalog: storeCatalog,
    async lookup(ctx, indicator) {
      const [result] = await lookupMany(ctx, [indicator]);
      return result as IntelResult;
    },
    lookupMany,
    async test(ctx) {
      if (!ctx.tenantId) return { ok: false, message: 'The intel store is checked per tenant.' };
      const page = await repo.listIocs(ctx.tenantId, { limit: 1 }, ctx.now());
      return {
        ok: true,
        message: `The intel store is built in; nothing to configure (${page.items.length > 0 ? 'it has IOCs' : 'no IOCs yet'}).`,
      };
    },
  };
}
