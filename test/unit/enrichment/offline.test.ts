import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAsnDatabase,
  createGeoIpProvider,
  GeoDatabaseError,
  geoIpProvider,
  parseAsnCsv,
} from '../../../shared/enrichment/offline/geo';
import { networkProvider } from '../../../shared/enrichment/offline/network';
import type { OutboundClient } from '../../../shared/integrations/http/outbound';
import type { AdapterContext, Indicator } from '../../../shared/integrations/ports';

/** Offline providers get a client that fails the test if they ever try the network. */
const offlineHttp: OutboundClient = {
  request: () => Promise.reject(new Error('an offline provider made an outbound request')),
};
const ctx: AdapterContext = { http: offlineHttp, credentials: {}, settings: {}, now: () => Date.now() };
const ind = (type: Indicator['type'], value: string): Indicator => ({ type, value });

describe('network classification provider', () => {
  it.each([
    ['ipv4', '10.1.2.3', ['private', 'bogon']],
    ['ipv4', '127.0.0.1', ['loopback', 'bogon']],
    ['ipv4', '192.0.2.10', ['documentation', 'bogon']],
    ['ipv4', '100.64.1.1', ['cgnat', 'bogon']],
    ['ipv4', '240.0.0.1', ['reserved', 'bogon']],
    ['ipv6', 'fe80::1', ['link-local', 'bogon']],
    ['ipv6', '2001:db8::1', ['documentation', 'bogon']],
    ['ipv4', '8.8.8.8', ['public']],
  ] as const)('tags %s %s as %j', async (type, value, tags) => {
    const result = await networkProvider.lookup(ctx, ind(type, value));

    expect(result).toMatchObject({ verdict: 'unknown', score: 0, confidence: 0 });
    expect(result.tags).toEqual(tags);
    expect(result.details.shareable).toBe(value === '8.8.8.8');
  });

  it('classifies an IPv4-mapped IPv6 address by the address it wraps', async () => {
    const result = await networkProvider.lookup(ctx, ind('ipv6', '::ffff:192.168.1.20'));

    expect(result.tags).toEqual(['private', 'bogon']);
    expect(result.details).toMatchObject({
      ipVersion: 6,
      embeddedIpv4: '192.168.1.20',
      classification: 'private',
    });
  });

  it('marks internal-only and reserved names as non-public', async () => {
    const internal = await networkProvider.lookup(ctx, ind('domain', 'fileserver.corp'));
    const reserved = await networkProvider.lookup(ctx, ind('domain', 'build.test'));
    const publicName = await networkProvider.lookup(ctx, ind('domain', 'example-shop.de'));

    expect(internal.tags).toEqual(['internal', 'non-public']);
    expect(internal.details).toMatchObject({ classification: 'internal', shareable: false });
    expect(reserved.tags).toEqual(['reserved', 'non-public']);
    expect(publicName.tags).toEqual(['public']);
  });

  it('classifies a URL and an email by their host', async () => {
    const url = await networkProvider.lookup(ctx, ind('url', 'http://10.0.0.5:8080/admin?x=1'));
    const localUrl = await networkProvider.lookup(ctx, ind('url', 'https://localhost/login'));
    const email = await networkProvider.lookup(ctx, ind('email', 'alice@intranet.example.com'));

    expect(url.tags).toEqual(['private', 'bogon']);
    expect(url.details).toMatchObject({ host: '10.0.0.5', shareable: false });
    expect(localUrl.tags).toEqual(['loopback', 'non-public']);
    expect(email.details).toMatchObject({ host: 'intranet.example.com', classification: 'documentation' });
  });

  it('refuses indicator types it does not classify', async () => {
    await expect(networkProvider.lookup(ctx, ind('sha256', 'a'.repeat(64)))).rejects.toThrow(
      /cannot look up/,
    );
  });

  it('describes itself as built in and passes its test', async () => {
    expect(networkProvider.catalog).toMatchObject({
      name: 'network',
      category: 'geolocation',
      freeTier: { summary: 'unlimited, offline' },
      fields: [],
    });
    expect(networkProvider.catalog.setupGuide[0]).toMatch(/^Built in, nothing to configure/);
    expect(await networkProvider.test(ctx)).toMatchObject({ ok: true });
  });
});

describe('offline ASN provider with the shipped database', () => {
  it('finds Google for 8.8.8.8 and Cloudflare for 1.1.1.1', async () => {
    const google = await geoIpProvider.lookup(ctx, ind('ipv4', '8.8.8.8'));
    const cloudflare = await geoIpProvider.lookup(ctx, ind('ipv4', '1.1.1.1'));

    expect(google).toMatchObject({ verdict: 'unknown', score: 0, confidence: 0 });
    expect(google.details).toMatchObject({ provider: 'geoip', ip: '8.8.8.8', asn: 15169, org: 'Google LLC' });
    expect(google.tags).toContain('asn:15169');
    expect(cloudflare.details).toMatchObject({ asn: 13335 });
    expect(String(cloudflare.details.org)).toMatch(/cloudflare/i);
  });

  it('looks up IPv6, and IPv4-mapped addresses by their IPv4 address', async () => {
    const v6 = await geoIpProvider.lookup(ctx, ind('ipv6', '2001:4860:4860::8888'));
    const mapped = await geoIpProvider.lookup(ctx, ind('ipv6', '::ffff:8.8.8.8'));

    expect(v6.details).toMatchObject({ asn: 15169, org: 'Google LLC' });
    expect(mapped.details).toMatchObject({ asn: 15169 });
  });

  it('answers bogons locally without looking them up', async () => {
    const result = await geoIpProvider.lookup(ctx, ind('ipv4', '192.168.0.1'));

    expect(result.tags).toEqual(['bogon', 'private']);
    expect(result.details.asn).toBeUndefined();
  });

  it('only looks up IPs', async () => {
    await expect(geoIpProvider.lookup(ctx, ind('domain', 'example.org'))).rejects.toThrow(/cannot look up/);
  });

  it('passes its test and reports the data version', async () => {
    const outcome = await geoIpProvider.test(ctx);

    expect(outcome.ok).toBe(true);
    expect(outcome.details).toMatchObject({ dataVersion: expect.stringMatching(/^\d+\.\d+\.\d{10}$/) });
    expect(Number(outcome.details?.ipv4Ranges)).toBeGreaterThan(100_000);
  });
});

describe('offline ASN database files', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-asn-'));
    // 1.0.0.0/24, 1.0.1.0–1.0.3.255, then a wide range with a nested, more specific one inside it.
    await writeFile(
      join(dir, 'asn-ipv4-num.csv'),
      [
        '16777216,16777471,13335,"Cloudflare, Inc."',
        '16777472,16778239,4134,"CHINANET ""BACKBONE"""',
        '33554432,50331647,3215,Orange S.A.',
        '33619968,33620223,64500,Nested Example',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'asn-ipv6-num.csv'),
      '42540528726795050063891204319802818560,42540528806023212578155541913346768895,2500,WIDE Project\r\n',
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses quoted organisations with escaped quotes and CRLF line ends', () => {
    const rows: string[] = [];
    parseAsnCsv('1,2,3,"A ""B"", C"\r\n4,5,6,Plain\r\n', (row) => rows.push(`${row.asn}:${row.org}`));

    expect(rows).toEqual(['3:A "B", C', '6:Plain']);
  });

  it('finds ranges, nested ranges and gaps', async () => {
    const db = createAsnDatabase({ dataDir: dir });

    expect(await db.lookup('1.0.0.1')).toMatchObject({ asn: 13335, org: 'Cloudflare, Inc.' });
    expect(await db.lookup('1.0.2.9')).toMatchObject({
      asn: 4134,
      org: 'CHINANET "BACKBONE"',
      range: { start: '1.0.1.0', end: '1.0.3.255' },
    });
    expect(await db.lookup('2.1.0.7')).toMatchObject({ asn: 64500 });
    expect(await db.lookup('2.1.1.0')).toMatchObject({ asn: 3215 });
    expect(await db.lookup('1.0.4.0')).toBeUndefined();
    expect(await db.lookup('2001:200::1')).toMatchObject({ asn: 2500, range: { start: '2001:200::' } });
    expect(await db.size(4)).toBe(4);
  });

  it('reports an unannounced public address as such', async () => {
    const provider = createGeoIpProvider({ dataDir: dir });

    const result = await provider.lookup(ctx, ind('ipv4', '9.9.9.9'));

    expect(result.tags).toEqual(['unannounced']);
    expect(result.details.asn).toBeUndefined();
  });

  it('fails with a typed error when the files are missing, and the test says so', async () => {
    const provider = createGeoIpProvider({ dataDir: join(dir, 'missing') });

    await expect(provider.lookup(ctx, ind('ipv4', '9.9.9.9'))).rejects.toBeInstanceOf(GeoDatabaseError);
    expect(await provider.test(ctx)).toMatchObject({ ok: false });
  });

  it('rejects a file whose rows are out of order', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'vigil-asn-bad-'));
    await writeFile(join(bad, 'asn-ipv4-num.csv'), '200,300,1,B\n100,150,2,A\n');

    await expect(createAsnDatabase({ dataDir: bad }).lookup('0.0.0.120')).rejects.toThrow(/not sorted/);
    await rm(bad, { recursive: true, force: true });
  });
});
