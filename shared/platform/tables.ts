/**
 * The one definition of Vigil's DynamoDB tables. CDK (`infra/stacks/stateful-stack.ts`) and the
 * local target (`infra/local/tables.ts`) both build their tables from this list, so key schemas,
 * indexes, TTL and streams cannot drift between AWS and a laptop.
 */
export type AttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  name: string;
  type: AttributeType;
}

export interface GlobalIndexDef {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}

export interface TableDef {
  /** Logical id used by CDK and the suffix of the table name (`vigil-<stage>-<id>`). */
  id: 'state' | 'audit';
  /** Environment variable through which Lambdas receive the physical table name. */
  envVar: string;
  partitionKey: KeyAttribute;
  sortKey: KeyAttribute;
  globalIndexes: GlobalIndexDef[];
  /** Attribute holding an epoch-seconds expiry; DynamoDB deletes the item after it passes. */
  ttlAttribute: string;
  /** Change stream, if consumers need one. */
  stream?: 'NEW_IMAGE' | 'NEW_AND_OLD_IMAGES';
  description: string;
}

/** The generic overloaded index both tables use for alternate access patterns. */
const primaryKey = { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } } as const;

const gsi1: GlobalIndexDef = {
  indexName: 'gsi1',
  partitionKey: { name: 'gsi1pk', type: 'S' },
  sortKey: { name: 'gsi1sk', type: 'S' },
};

/**
 * State table: single-table design. Every tenant-owned item's partition key starts with `T#<tenantId>`;
 * global lookups (connection ids, API key ids, email → user) are items of their own.
 */
export const stateTable: TableDef = {
  id: 'state',
  envVar: 'STATE_TABLE_NAME',
  ...primaryKey,
  globalIndexes: [gsi1],
  ttlAttribute: 'ttl',
  description: 'Tenant state, global lookups and ephemeral items (single-table design).',
};

/** Audit table: append-only, hash-chained per tenant, streamed to SIEM sinks and EventBridge. */
export const auditTable: TableDef = {
  id: 'audit',
  envVar: 'AUDIT_TABLE_NAME',
  ...primaryKey,
  globalIndexes: [gsi1],
  ttlAttribute: 'ttl',
  stream: 'NEW_IMAGE',
  description: 'Append-only audit events, hash-chained per tenant.',
};

export const tableDefs: readonly TableDef[] = [stateTable, auditTable];

/** Physical table name for a stage; the same convention in AWS and locally. */
export function tableName(stage: string, def: TableDef): string {
  return `vigil-${stage}-${def.id}`;
}
