import { describe, expect, it } from 'vitest';
import { EventPatternError, matchesPattern, validatePattern } from '../../../infra/local/event-pattern';
import { loadEvent } from '../../support/events';

const event = {
  ...loadEvent('eventbridge/indicator-verdict'),
  detail: {
    tenantId: 't1',
    verdict: 'malicious',
    score: 92,
    tags: ['botnet', 'c2'],
    indicator: { type: 'ipv4', value: '198.51.100.23' },
    host: { ip6: '2001:db8::1' },
    file: 'payload.EXE',
  },
};

describe('EventBridge pattern operators', () => {
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['exact value', { source: ['vigil.enrichment'] }, true],
    ['exact value, other', { source: ['vigil.other'] }, false],
    ['array field matches any element', { detail: { tags: ['c2'] } }, true],
    ['prefix', { source: [{ prefix: 'vigil.' }] }, true],
    ['prefix, other', { source: [{ prefix: 'aws.' }] }, false],
    ['suffix', { detail: { file: [{ suffix: '.EXE' }] } }, true],
    ['suffix, other', { detail: { file: [{ suffix: '.dll' }] } }, false],
    ['anything-but value', { detail: { verdict: [{ 'anything-but': 'benign' }] } }, true],
    [
      'anything-but list, excluded',
      { detail: { verdict: [{ 'anything-but': ['malicious', 'suspicious'] }] } },
      false,
    ],
    ['anything-but prefix', { source: [{ 'anything-but': { prefix: 'aws.' } }] }, true],
    ['anything-but prefix, excluded', { source: [{ 'anything-but': { prefix: 'vigil.' } }] }, false],
    ['numeric range', { detail: { score: [{ numeric: ['>=', 80, '<', 100] }] } }, true],
    ['numeric range, outside', { detail: { score: [{ numeric: ['<', 50] }] } }, false],
    ['numeric equality', { detail: { score: [{ numeric: ['=', 92] }] } }, true],
    ['exists true', { detail: { tenantId: [{ exists: true }] } }, true],
    ['exists true, missing', { detail: { caseId: [{ exists: true }] } }, false],
    ['exists false, missing', { detail: { caseId: [{ exists: false }] } }, true],
    ['exists false, present', { detail: { tenantId: [{ exists: false }] } }, false],
    ['cidr IPv4', { detail: { indicator: { value: [{ cidr: '198.51.100.0/24' }] } } }, true],
    ['cidr IPv4, outside', { detail: { indicator: { value: [{ cidr: '10.0.0.0/8' }] } } }, false],
    ['cidr IPv6', { detail: { host: { ip6: [{ cidr: '2001:db8::/32' }] } } }, true],
    ['cidr IPv6, outside', { detail: { host: { ip6: [{ cidr: 'fd00::/8' }] } } }, false],
    ['equals-ignore-case', { detail: { file: [{ 'equals-ignore-case': 'PAYLOAD.exe' }] } }, true],
    ['wildcard', { detail: { file: [{ wildcard: 'pay*.EXE' }] } }, true],
    ['$or', { $or: [{ source: ['nope'] }, { detail: { score: [{ numeric: ['>', 90] }] } }] }, true],
    ['all fields must match', { source: ['vigil.enrichment'], detail: { verdict: ['benign'] } }, false],
  ];

  it.each(cases)('%s', (_name, pattern, expected) => {
    validatePattern(pattern);

    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('rejects unknown operators and malformed operands with a clear error', () => {
    expect(() => validatePattern({ source: [{ startsWith: 'x' }] })).toThrow(EventPatternError);
    expect(() => validatePattern({ detail: { score: [{ numeric: ['>>', 1] }] } })).toThrow(/numeric/);
    expect(() => validatePattern({ detail: { ip: [{ cidr: '300.1.1.1/8' }] } })).toThrow(/CIDR/);
    expect(() => validatePattern({ source: 'vigil.x' })).toThrow(/array of matchers/);
  });
});
