import { describe, expect, it } from 'vitest';
import {
  detectType,
  INDICATOR_TYPE_ALIASES,
  InvalidIndicatorError,
  normalizeIndicator,
  refang,
} from '../../../shared/enrichment/indicators';
import { BadRequestError } from '../../../shared/platform/errors';

const md5 = 'D41D8CD98F00B204E9800998ECF8427E';
const sha1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('refanging defanged indicators', () => {
  it.each([
    ['hxxp://evil[.]com', 'http://evil.com'],
    ['hXXps[:]//evil(.)com[/]a', 'https://evil.com/a'],
    ['hxxps[://]evil{.}com', 'https://evil.com'],
    ['fxp://files[dot]evil(dot)net', 'ftp://files.evil.net'],
    ['evil dot com', 'evil.com'],
    ['evil [ dot ] com', 'evil.com'],
    ['evil\\.com', 'evil.com'],
    ['1.1.1[.1', '1.1.1.1'],
    ['user[at]evil[.]com', 'user@evil.com'],
    ['user(at)evil.com', 'user@evil.com'],
    ['user[@]evil.com', 'user@evil.com'],
    ['user at evil dot com', 'user@evil.com'],
  ])('turns %s into %s', (defanged, expected) => {
    // Act
    const result = refang(defanged);

    // Assess
    expect(result).toBe(expected);
  });

  it('stays linear on long runs of spaces', () => {
    // Prepare
    const input = `a${' '.repeat(200_000)}b`;

    // Act
    const started = performance.now();
    refang(input);

    // Assess
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('indicator type detection', () => {
  it.each([
    ['8.8.8.8', 'ipv4'],
    ['2606:4700:4700::1111', 'ipv6'],
    ['evil.com', 'domain'],
    ['localhost', 'domain'],
    ['https://evil.com/a', 'url'],
    ['evil.com/a.php', 'url'],
    ['a@evil.com', 'email'],
    [md5, 'md5'],
    [sha1, 'sha1'],
    [sha256, 'sha256'],
    ['cve-2021-44228', 'cve'],
  ])('detects %s as %s', (value, type) => {
    expect(detectType(value)).toBe(type);
  });

  it('recognises nothing in words, CIDR blocks or hex of other lengths', () => {
    for (const value of ['hello', '10.0.0.0/8', 'deadbeef', '']) {
      expect(detectType(value)).toBeUndefined();
    }
  });
});

describe('indicator normalization', () => {
  it('canonicalizes IPs through classifyIp and marks non-public ones as not shareable', () => {
    // Act
    const publicV6 = normalizeIndicator('2001:4860:4860:0000:0000:0000:0000:8888');
    const privateV4 = normalizeIndicator('10[.]1[.]2[.]3', 'ipv4');
    const mapped = normalizeIndicator('[::ffff:169.254.169.254]', 'ip-addr');

    // Assess
    expect(publicV6).toMatchObject({
      type: 'ipv6',
      value: '2001:4860:4860::8888',
      shareable: true,
      classification: 'public',
    });
    expect(privateV4).toMatchObject({
      type: 'ipv4',
      value: '10.1.2.3',
      shareable: false,
      classification: 'private',
    });
    expect(mapped).toMatchObject({ type: 'ipv6', classification: 'link-local', shareable: false });
  });

  it('lower-cases domains, converts IDNs to punycode and keeps the original input', () => {
    expect(normalizeIndicator(' Evil[.]COM. ')).toEqual({
      type: 'domain',
      value: 'evil.com',
      original: 'Evil[.]COM.',
      shareable: true,
      classification: 'public',
    });
    expect(normalizeIndicator('Пример.РФ', 'domain-name').value).toBe('xn--e1afmkfd.xn--p1ai');
  });

  it.each([
    ['printer', 'internal'],
    ['localhost', 'loopback'],
    ['app.localhost', 'loopback'],
    ['nas.local', 'internal'],
    ['db.internal', 'internal'],
    ['router.lan', 'internal'],
    ['tv.home.arpa', 'internal'],
    ['dc01.corp', 'internal'],
    ['wiki.intranet', 'internal'],
    ['svc.test', 'reserved'],
    ['x.invalid', 'reserved'],
    ['site.example', 'documentation'],
    ['www.example.com', 'documentation'],
    ['example.net', 'documentation'],
    ['example.org', 'documentation'],
  ])('never shares the internal-only name %s (%s)', (name, classification) => {
    // Act
    const indicator = normalizeIndicator(name, 'domain');

    // Assess
    expect(indicator).toMatchObject({ classification, shareable: false });
  });

  it('rejects numeric TLDs, file extensions, bad labels and over-long names', () => {
    for (const name of [
      '1.2.3',
      'a1.2.3.4',
      'index.html',
      'config.json',
      'bad_label.com',
      '-a.com',
      'a..com',
    ]) {
      expect(() => normalizeIndicator(name, 'domain')).toThrow(InvalidIndicatorError);
    }
    expect(() => normalizeIndicator(`${'a'.repeat(64)}.com`, 'domain')).toThrow(InvalidIndicatorError);
    // An alphabetic TLD missing from the compact list is still accepted for explicit input.
    expect(normalizeIndicator('brand.newtldthing', 'domain').value).toBe('brand.newtldthing');
  });

  it('normalizes URLs: refanged, scheme and host lower-cased, default port dropped', () => {
    expect(normalizeIndicator('hXXps://EVIL[.]Com:443/Path?q=A#F').value).toBe('https://evil.com/Path?q=A#F');
    expect(normalizeIndicator('HTTP://evil.com:8080').value).toBe('http://evil.com:8080/');
    expect(normalizeIndicator('evil.com/a.php', 'url').value).toBe('http://evil.com/a.php');
    expect(normalizeIndicator('http://[2001:DB8::1]:80/x')).toMatchObject({
      value: 'http://[2001:db8::1]/x',
      classification: 'documentation',
      shareable: false,
    });
    expect(normalizeIndicator('http://192.168.1.1/admin').shareable).toBe(false);
  });

  it('refuses URLs without a valid host, with whitespace or with a bad port', () => {
    for (const url of [
      'http://',
      'http://evil .com/',
      'http://evil.com:99999/',
      'http://1.2.3.4.5/',
      'http://x.exe/',
    ]) {
      expect(() => normalizeIndicator(url, 'url')).toThrow(InvalidIndicatorError);
    }
  });

  it('lower-cases the domain part of an email only, and inherits its classification', () => {
    expect(normalizeIndicator('John.Doe[at]EVIL[.]COM')).toMatchObject({
      type: 'email',
      value: 'John.Doe@evil.com',
      shareable: true,
    });
    expect(normalizeIndicator('admin@corp.local', 'email-addr')).toMatchObject({
      classification: 'internal',
      shareable: false,
    });
    expect(() => normalizeIndicator('.a@evil.com', 'email')).toThrow(InvalidIndicatorError);
    expect(() => normalizeIndicator('a@1.2.3.4', 'email')).toThrow(InvalidIndicatorError);
  });

  it('lower-cases hashes, resolves STIX file by length and rejects the wrong length', () => {
    expect(normalizeIndicator(md5)).toMatchObject({ type: 'md5', value: md5.toLowerCase(), shareable: true });
    expect(normalizeIndicator(sha1, 'file').type).toBe('sha1');
    expect(normalizeIndicator(sha256.toUpperCase(), 'file').value).toBe(sha256);
    expect(() => normalizeIndicator(sha1, 'md5')).toThrow(InvalidIndicatorError);
    expect(() => normalizeIndicator('abc123', 'file')).toThrow(InvalidIndicatorError);
  });

  it('upper-cases CVE ids and rejects malformed ones', () => {
    expect(normalizeIndicator('cve-2021-44228')).toMatchObject({ type: 'cve', value: 'CVE-2021-44228' });
    expect(normalizeIndicator('CVE-2024-1234567', 'cve').value).toBe('CVE-2024-1234567');
    for (const value of ['CVE-21-44228', 'CVE-2021-123', 'CVE-1990-1234']) {
      expect(() => normalizeIndicator(value, 'cve')).toThrow(InvalidIndicatorError);
    }
  });

  it('maps every STIX alias onto one of our types', () => {
    // Prepare
    const samples: Record<string, string> = {
      'ipv4-addr': '8.8.8.8',
      'ipv6-addr': '2606:4700::1',
      'domain-name': 'evil.com',
      url: 'https://evil.com/',
      'email-addr': 'a@evil.com',
      file: md5,
      'ip-addr': '8.8.4.4',
    };

    // Act
    const types = Object.keys(INDICATOR_TYPE_ALIASES).map((alias) => [
      alias,
      normalizeIndicator(samples[alias] ?? '', alias).type,
    ]);

    // Assess
    expect(Object.fromEntries(types)).toEqual({
      'ipv4-addr': 'ipv4',
      'ipv6-addr': 'ipv6',
      'domain-name': 'domain',
      url: 'url',
      'email-addr': 'email',
      file: 'md5',
      'ip-addr': 'ipv4',
    });
  });

  it('throws a typed bad-request error with code invalid_indicator', () => {
    // Act
    const error = (() => {
      try {
        normalizeIndicator('not an indicator');
      } catch (err) {
        return err;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(InvalidIndicatorError);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_indicator', expose: true });
    expect(() => normalizeIndicator('8.8.8.8', 'asn')).toThrow(InvalidIndicatorError);
    expect(() => normalizeIndicator('8.8.8.8', 'ipv6')).toThrow(InvalidIndicatorError);
    expect(() => normalizeIndicator('   ')).toThrow(InvalidIndicatorError);
    expect(() => normalizeIndicator(`http://a.com/${'x'.repeat(9000)}`)).toThrow(InvalidIndicatorError);
  });
});
