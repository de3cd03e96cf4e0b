import { NotFoundError } from '../platform/errors';
import { type AuditEvent, type AuditReader, type ChainBreak, chainVerifier } from './chain';

/**
 * Reading the audit trail: filtered, newest first, with an opaque cursor; one event by id; and
 * verification of the whole chain, reporting the first broken link.
 */
export interface AuditFilter {
  action?: string;
  resourceType?: string;
  actorId?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit: number;
}

const pageSize = 100;

function matches(event: AuditEvent, filter: AuditFilter): boolean {
  return (
    (!filter.action || event.action === filter.action) &&
    (!filter.resourceType || event.resourceType === filter.resourceType) &&
    (!filter.actorId || event.actor.id === filter.actorId) &&
    (!filter.from || event.time >= filter.from) &&
    (!filter.to || event.time <= filter.to)
  );
}

export function auditQueries(reader: AuditReader) {
  return {
    async list(tenantId: string, filter: AuditFilter): Promise<{ items: AuditEvent[]; nextCursor?: string }> {
      const items: AuditEvent[] = [];
      let before = filter.cursor ? Number(Buffer.from(filter.cursor, 'base64url').toString()) : undefined;
      for (;;) {
        const page = await reader.page(tenantId, { afterSeq: before, limit: pageSize, newestFirst: true });
        for (const event of page) {
          before = event.seq;
          if (matches(event, filter)) items.push(event);
          if (items.length === filter.limit) {
            return before > 1
              ? { items, nextCursor: Buffer.from(String(before)).toString('base64url') }
              : { items };
          }
        }
        if (page.length < pageSize || (before ?? 0) <= 1) return { items };
      }
    },

    async get(tenantId: string, id: string): Promise<AuditEvent> {
      const event = await reader.get(tenantId, id);
      if (!event) throw new NotFoundError('No such audit event.', 'audit_event_not_found');
      return event;
    },

    async verify(tenantId: string): Promise<{ verified: number; intact: boolean; firstBreak?: ChainBreak }> {
      const chain = chainVerifier();
      let after: number | undefined;
      for (;;) {
        const page = await reader.page(tenantId, { afterSeq: after, limit: pageSize });
        for (const event of page) {
          const firstBreak = chain.check(event);
          if (firstBreak) return { verified: chain.verified, intact: false, firstBreak };
          after = event.seq;
        }
        if (page.length < pageSize) return { verified: chain.verified, intact: true };
      }
    },
  };
}
