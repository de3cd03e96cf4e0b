import { randomUUID } from 'node:crypto';
import { matchesPattern, validatePattern } from './event-pattern';
import { type LocalQueue, localAccountId, localRegion } from './sqs-queue';

/**
 * An in-process EventBridge bus: `PutEvents` builds the envelope targets receive, every rule whose
 * pattern matches delivers it to its targets (a queue gets the JSON envelope as the message body, as
 * with an SQS target), and an archive keeps recent events for inspection.
 */
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: Date | string;
}

export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export type EventTarget = LocalQueue | ((event: EventEnvelope) => Promise<void> | void);

interface Rule {
  name: string;
  pattern: Record<string, unknown>;
  targets: EventTarget[];
}

export type PutEventsResult = { EventId?: string; ErrorCode?: string; ErrorMessage?: string };

export class LocalEventBus {
  readonly name: string;
  readonly arn: string;
  private readonly rules = new Map<string, Rule>();
  private readonly archive: EventEnvelope[] = [];

  constructor(
    name: string,
    private readonly options: {
      archiveLimit?: number;
      onTargetError?: (rule: string, error: unknown) => void;
    } = {},
  ) {
    this.name = name;
    this.arn = `arn:aws:events:${localRegion}:${localAccountId}:event-bus/${name}`;
  }

  addRule(name: string, pattern: Record<string, unknown>, targets: EventTarget[]): void {
    validatePattern(pattern);
    this.rules.set(name, { name, pattern, targets });
  }

  removeRule(name: string): void {
    this.rules.delete(name);
  }

  /** Puts events as `PutEvents` does; an invalid entry is reported, not thrown, like EventBridge. */
  putEvents(entries: readonly PutEventsEntry[]): PutEventsResult[] {
    return entries.map((entry) => {
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required.' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
      }
      const envelope: EventEnvelope = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: localAccountId,
        time: new Date(entry.Time ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: localRegion,
        resources: entry.Resources ?? [],
        detail,
      };
      this.deliver(envelope);
      return { EventId: envelope.id };
    });
  }

  /** Events put on this bus, oldest first (bounded). */
  archived(): readonly EventEnvelope[] {
    return this.archive;
  }

  private deliver(envelope: EventEnvelope): void {
    this.archive.push(envelope);
    const limit = this.options.archiveLimit ?? 1000;
    if (this.archive.length > limit) this.archive.splice(0, this.archive.length - limit);
    for (const rule of this.rules.values()) {
      if (!matchesPattern(rule.pattern, envelope)) continue;
      for (const target of rule.targets) {
        if (typeof target === 'function') {
          Promise.resolve()
            .then(() => target(envelope))
            .catch((error) => this.options.onTargetError?.(rule.name, error));
        } else {
          target.send(JSON.stringify(envelope));
        }
      }
    }
  }
}
