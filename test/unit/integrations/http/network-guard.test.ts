import dns from 'node:dns';
import { lookup } from 'node:dns/promises';
import { get } from 'node:http';
import { request as httpsRequest } from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { registerTestHostname } from '../../../setup/network-guard';
import { startFakeServer } from './fake-server';

describe('test network guard', () => {
  it('refuses a TCP connection to a public address, naming it', () => {
    expect(() => net.connect(80, '93.184.216.34')).toThrow(/refused a connection to 93\.184\.216\.34:80/);
    expect(() => new net.Socket().connect({ host: '10.0.0.1', port: 22 })).toThrow(/10\.0\.0\.1:22/);
    expect(() => tls.connect({ host: '1.1.1.1', port: 443 })).toThrow(/1\.1\.1\.1:443/);
    expect(() => httpsRequest('https://93.184.216.34/')).toThrow(/93\.184\.216\.34:443/);
  });

  it('makes fetch to the internet fail', async () => {
    const error = await fetch('http://93.184.216.34/').catch((e: Error) => e);

    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error & { cause?: Error }).cause?.message)).toMatch(/93\.184\.216\.34/);
  });

  it('refuses DNS for names that are not localhost or registered', async () => {
    await expect(lookup('example.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const callbackError = await new Promise((resolve) =>
      dns.lookup('example.org', (error) => resolve(error)),
    );
    expect(callbackError).toMatchObject({ code: 'ENOTFOUND' });
    expect(() => net.connect(443, 'example.net')).toThrow(/example\.net:443/);
  });

  it('lets a registered test name resolve to loopback and reach a local server', async () => {
    const server = await startFakeServer((_req, res) => {
      res.writeHead(200).end('hello');
    });
    const unregister = registerTestHostname('fake-provider.test', '127.0.0.1');
    try {
      await expect(lookup('fake-provider.test')).resolves.toEqual({ address: '127.0.0.1', family: 4 });
      const body = await new Promise<string>((resolve, reject) => {
        get(`http://fake-provider.test:${server.port}/`, (res) => {
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(body).toBe('hello');
    } finally {
      unregister();
      await server.close();
    }
    await expect(lookup('fake-provider.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('only lets test names resolve to loopback', () => {
    expect(() => registerTestHostname('sneaky.test', '8.8.8.8')).toThrow(/only resolve to loopback/);
  });
});
