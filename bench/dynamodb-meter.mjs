// Loaded into the local target's process by the enrichment benchmark (NODE_OPTIONS=--import): asks
// DynamoDB Local for the capacity every call consumes and adds it up, so the bench can report read
// and write units per result. Plain ESM so it loads before tsx. On SIGUSR2 it writes the running
// totals to $VIGIL_BENCH_METER_FILE.
//
// DynamoDB Local computes units like DynamoDB (4 KB reads, 1 KB writes, transactions doubled,
// consistent reads doubled) but reports nothing for keys a BatchGetItem did not find and for
// writes whose condition failed; AWS bills both, so they are added here: 0.5 (1 when consistent)
// per unfound key and 1 per item of a failed conditional write (2 in a transaction). Its figure for
// a transaction is a flat 4 whatever the items, so transactions are priced here by DynamoDB's rule
// instead: 2 units per started KB of each item put (updates and deletes in our transactions touch
// items under 1 KB: 2 each).
import { writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const totals = { readUnits: 0, writeUnits: 0, calls: 0, unfoundKeys: 0, failedConditions: 0, byCommand: {} };
const add = (name, units, calls = 0) => {
  const entry = totals.byCommand[name] ?? { units: 0, calls: 0 };
  entry.units += units;
  entry.calls += calls;
  totals.byCommand[name] = entry;
};
const writeCommands = /^(Put|Update|Delete|BatchWrite|TransactWrite)/;

/** Approximate stored size of a document-client item (attribute names plus values). */
const sizeOf = (value) => {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return 8;
  if (typeof value === 'boolean') return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((n, v) => n + sizeOf(v), 3);
  if (Array.isArray(value)) return value.reduce((n, v) => n + sizeOf(v) + 1, 3);
  return Object.entries(value).reduce((n, [k, v]) => n + Buffer.byteLength(k) + sizeOf(v) + 1, 3);
};

const transactionUnits = (items) =>
  (items ?? []).reduce(
    (sum, item) => sum + (item.Put ? 2 * Math.max(1, Math.ceil(sizeOf(item.Put.Item) / 1024)) : 2),
    0,
  );

const unitsOf = (consumed) =>
  (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
    (sum, entry) => sum + (entry.CapacityUnits ?? 0),
    0,
  );

for (const Client of [DynamoDBClient, DynamoDBDocumentClient]) {
  const send = Client.prototype.send;
  Client.prototype.send = async function meteredSend(command, ...rest) {
    const name = command.constructor.name;
    const isWrite = writeCommands.test(name);
    if (command.input && command.input.ReturnConsumedCapacity === undefined) {
      command.input.ReturnConsumedCapacity = 'TOTAL';
    }
    totals.calls += 1;
    try {
      const output = await send.call(this, command, ...rest);
      const units = name.startsWith('TransactWrite')
        ? transactionUnits(command.input?.TransactItems)
        : unitsOf(output?.ConsumedCapacity);
      if (isWrite) totals.writeUnits += units;
      else totals.readUnits += units;
      add(name, units, 1);
      if (name.startsWith('BatchGet')) {
        for (const [table, request] of Object.entries(command.input.RequestItems ?? {})) {
          const found = output?.Responses?.[table]?.length ?? 0;
          const unprocessed = output?.UnprocessedKeys?.[table]?.Keys?.length ?? 0;
          const unfound = Math.max(0, (request.Keys?.length ?? 0) - found - unprocessed);
          totals.unfoundKeys += unfound;
          totals.readUnits += unfound * (request.ConsistentRead ? 1 : 0.5);
          add(name, unfound * (request.ConsistentRead ? 1 : 0.5));
        }
      }
      return output;
    } catch (error) {
      if (error?.name === 'ConditionalCheckFailedException') {
        totals.failedConditions += 1;
        totals.writeUnits += 1;
        add(`${name} (condition failed)`, 1, 1);
      } else if (error?.name === 'TransactionCanceledException') {
        totals.failedConditions += 1;
        totals.writeUnits += 2 * (command.input?.TransactItems?.length ?? 1);
        add(`${name} (cancelled)`, 2 * (command.input?.TransactItems?.length ?? 1), 1);
      }
      throw error;
    }
  };
}

process.on('SIGUSR2', () => {
  const file = process.env.VIGIL_BENCH_METER_FILE;
  if (file) writeFileSync(file, JSON.stringify({ ...totals, at: Date.now() }));
});
