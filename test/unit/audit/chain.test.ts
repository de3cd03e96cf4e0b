import { describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  canonicalJson,
  chainVerifier,
  genesisHash,
  hashEvent,
} from '../../../shared/audit/chain';

function chain(length: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prevHash = genesisHash;
  for (let seq = 1; seq <= length; seq += 1) {
    const unsigned = {
      id: `evt_${seq}`,
      tenantId: 't1',
      time: `2026-11-22T18:00:0${seq}.000Z`,
      seq,
      prevHash,
      actor: { type: 'user' as const, id: 'u1' },
      action: 'auth.login',
      resourceType: 'session',
      outcome: 'success' as const,
    };
    const event = { ...unsigned, hash: hashEvent(unsigned) };
    events.push(event);
    prevHash = event.hash;
  }
  return events;
}

const verify = (events: AuditEvent[]) => {
  const verifier = chainVerifier();
  for (const event of events) {
    const broken = verifier.check(event);
    if (broken) return { verified: verifier.verified, broken };
  }
  return { verified: verifier.verified };
};

describe('audit hash chain', () => {
  it('verifies an untouched chain', () => {
    expect(verify(chain(5))).toEqual({ verified: 5 });
  });

  it('finds a deleted event, a reordered event and a rewritten chain tail', () => {
    const events = chain(5);
    const deleted = events.filter((e) => e.seq !== 3);
    const swapped = [events[0], events[2], events[1], events[3]] as AuditEvent[];
    const forged = events.map((e) => (e.seq === 4 ? { ...e, prevHash: genesisHash } : e));

    expect(verify(deleted).broken).toMatchObject({ seq: 3, reason: 'missing_event' });
    expect(verify(swapped).broken).toMatchObject({ seq: 2, reason: 'missing_event' });
    expect(verify(forged).broken).toMatchObject({ seq: 4, reason: 'previous_hash_mismatch' });
  });

  it('hashes content independently of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});
