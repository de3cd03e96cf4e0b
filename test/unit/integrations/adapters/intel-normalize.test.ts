import { describe, expect, it } from 'vitest';
import { demoVerdict, INTEL_UNSEEN } from '../../../../infra/local/sandbox/providers/intel-fixtures';
import {
  cleanTags,
  finalizeResult,
  MAX_TAGS,
  nextUtcMidnight,
  nonPublicIpResult,
  parseTimestamp,
  slugTag,
  testFailure,
} from '../../../../shared/integrations/adapters/intel-normalize';
import {
  OutboundAuthError,
  OutboundTimeoutError,
  QuotaExhaustedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';

describe('intel result clamps', () => {
  it('keeps malicious at 70 or more, suspicious within 30–69 and benign at 20 or less', () => {
    expect(finalizeResult({ verdict: 'malicious', score: 40, confidence: 50 }).score).toBe(70);
    expect(finalizeResult({ verdict: 'suspicious', score: 95, confidence: 50 }).score).toBe(69);
    expect(finalizeResult({ verdict: 'suspicious', score: 5, confidence: 50 }).score).toBe(30);
    expect(finalizeResult({ verdict: 'benign', score: 60, confidence: 50 }).score).toBe(20);
  });

  it('forces unknown to score 0 and confidence 30 at most', () => {
    expect(finalizeResult({ verdict: 'unknown', score: 50, confidence: 90 })).toMatchObject({
      score: 0,
      confidence: 30,
    });
  });

  it('rounds and bounds scores and confidences, and drops undefined details', () => {
    const result = finalizeResult({
      verdict: 'malicious',
      score: 180.4,
      confidence: -3,
      details: { kept: 1, dropped: undefined },
    });

    expect(result).toEqual({
      verdict: 'malicious',
      score: 100,
      confidence: 0,
      tags: [],
      details: { kept: 1 },
    });
  });
});

describe('tag clean-up', () => {
  it('slugs provider labels into lower-case tags, keeping underscores, dots and colons', () => {
    expect(slugTag('Data Center/Web Hosting/Transit')).toBe('data-center-web-hosting-transit');
    expect(slugTag('botnet_cc')).toBe('botnet_cc');
    expect(slugTag('port:443')).toBe('port:443');
    expect(slugTag('  Shodan.io ')).toBe('shodan.io');
    expect(slugTag('Phishing & Other Frauds!')).toBe('phishing-other-frauds');
    expect(slugTag('***')).toBe('');
  });

  it('de-duplicates after slugging, skips empty entries and caps the count', () => {
    expect(cleanTags(['Tor', 'tor', undefined, '', false, null, 'TOR '])).toEqual(['tor']);
    const many = Array.from({ length: 40 }, (_, i) => `tag${i}`);
    expect(cleanTags(many)).toHaveLength(MAX_TAGS);
  });
});

describe('provider timestamps', () => {
  it('reads epoch seconds, zone-less ISO as UTC, abuse.ch "UTC" strings and bare dates', () => {
    expect(parseTimestamp(1_700_000_000)).toBe(1_700_000_000_000);
    expect(parseTimestamp('2026-11-30T19:30:19.932000')).toBe(Date.UTC(2026, 10, 30, 19, 30, 19, 932));
    expect(parseTimestamp('2020-12-08 13:36:27 UTC')).toBe(Date.UTC(2020, 11, 8, 13, 36, 27));
    expect(parseTimestamp('2024-05-01T10:12:03+00:00')).toBe(Date.UTC(2024, 4, 1, 10, 12, 3));
    expect(parseTimestamp('2024-01-15')).toBe(Date.UTC(2024, 0, 15));
    expect(parseTimestamp(null)).toBeUndefined();
    expect(parseTimestamp('yesterday')).toBeUndefined();
  });

  it('finds the next UTC midnight', () => {
    expect(nextUtcMidnight(Date.UTC(2026, 11, 31, 23, 59)).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('non-public addresses', () => {
  it('answers unknown without a call for private, loopback and documentation IPs only', () => {
    expect(nonPublicIpResult({ type: 'ipv4', value: '172.16.0.1' })?.details).toEqual({
      notSent: true,
      addressRange: 'private',
    });
    expect(nonPublicIpResult({ type: 'ipv6', value: '::1' })?.verdict).toBe('unknown');
    expect(nonPublicIpResult({ type: 'ipv4', value: '192.0.2.1' })?.details.addressRange).toBe(
      'documentation',
    );
    expect(nonPublicIpResult({ type: 'ipv4', value: '8.8.8.8' })).toBeUndefined();
    expect(nonPublicIpResult({ type: 'domain', value: 'localhost' })).toBeUndefined();
  });
});

describe('connection test messages', () => {
  const hints = { auth: 'Get a new key.' };

  it('tells a missing key from a rejected one', () => {
    expect(testFailure('X', new OutboundAuthError('none'), hints).message).toBe(
      'X has no API key configured. Get a new key.',
    );
    expect(testFailure('X', new OutboundAuthError('bad', { status: 401 }), hints).message).toBe(
      'X rejected the API key. Get a new key.',
    );
  });

  it('explains quota, timeouts and outages, and rethrows anything that is not an outbound error', () => {
    const resetsAt = new Date(Date.UTC(2026, 11, 2));
    expect(testFailure('X', new QuotaExhaustedError('q', { resetsAt }), hints)).toMatchObject({
      ok: false,
      details: { kind: 'quota_exhausted', resetsAt: '2026-12-02T00:00:00.000Z' },
    });
    expect(testFailure('X', new OutboundTimeoutError('t', 250), hints).message).toContain('within 250 ms');
    expect(testFailure('X', new UpstreamError('u', { status: 502 }), hints).message).toContain('HTTP 502');
    expect(() => testFailure('X', new TypeError('bug'), hints)).toThrow(TypeError);
  });
});

describe('sandbox demo verdicts', () => {
  it('are stable per value, case-insensitive, and "no data" for the reserved unseen values', () => {
    expect(demoVerdict('Example-Value.net')).toEqual(demoVerdict('example-value.net'));
    for (const value of Object.values(INTEL_UNSEEN)) expect(demoVerdict(value).outcome).toBe('none');
    const outcomes = new Set(Array.from({ length: 200 }, (_, i) => demoVerdict(`value-${i}.net`).outcome));
    expect(outcomes).toEqual(new Set(['none', 'benign', 'suspicious', 'malicious']));
  });
});
