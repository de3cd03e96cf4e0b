import { describe, expect, it } from 'vitest';
import { classifyIp, isPublicIp } from '../../../shared/platform/net/ip-address';

describe('IP address classification', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.0.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.99', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00:ec2::254', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['4000::1', 'reserved'],
  ])('classifies %s as %s', (address, range) => {
    expect(classifyIp(address)?.range).toBe(range);
  });

  it('classifies IPv6 forms by the IPv4 address they embed', () => {
    expect(classifyIp('[::ffff:169.254.169.254]')).toMatchObject({
      range: 'link-local',
      embeddedIpv4: '169.254.169.254',
      canonical: '::ffff:169.254.169.254',
    });
    expect(classifyIp('::ffff:7f00:1')).toMatchObject({ range: 'loopback', embeddedIpv4: '127.0.0.1' });
    expect(classifyIp('64:ff9b::a9fe:a9fe')?.range).toBe('link-local');
    expect(classifyIp('64:ff9b::808:808')?.range).toBe('public');
    expect(classifyIp('2002:c0a8:0101::1')).toMatchObject({ range: 'private', embeddedIpv4: '192.168.1.1' });
  });

  it('writes canonical IPv6 text (RFC 5952)', () => {
    expect(classifyIp('2001:0DB8:0000:0000:0000:0000:0002:0001')?.canonical).toBe('2001:db8::2:1');
    expect(classifyIp('2001:db8:0:1:0:0:0:1')?.canonical).toBe('2001:db8:0:1::1');
    expect(classifyIp('2001:db8:0:1:1:1:1:1')?.canonical).toBe('2001:db8:0:1:1:1:1:1');
  });

  it('refuses shorthand, octal-looking and out-of-range IPv4 and non-addresses', () => {
    for (const text of ['127.1', '0177.0.0.1', '256.1.1.1', '1.2.3', 'example.com', '', '::ffff:1.2.3.4.5']) {
      expect(classifyIp(text)).toBeUndefined();
    }
    expect(isPublicIp('1.1.1.1')).toBe(true);
    expect(isPublicIp('10.0.0.1')).toBe(false);
    expect(isPublicIp('not an ip')).toBe(false);
  });
});
