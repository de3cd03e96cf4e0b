import { createHash } from 'node:crypto';

/**
 * Indicators every threat-intel fake knows, and the deterministic "demo verdict" the fakes derive
 * for any other value, so the sandbox shows varied but repeatable results and tests can pick an
 * indicator for each outcome. Shared by the fakes only; nothing here imports a test framework.
 */
export const INTEL_FIXTURES = {
  /** A Tor exit node widely reported for abuse. */
  maliciousIp: '185.220.101.34',
  /** Google Public DNS. */
  benignIp: '8.8.8.8',
  /** Cloudflare DNS. */
  benignIp2: '1.1.1.1',
  maliciousDomain: 'update-flash-player.top',
  maliciousUrl: 'http://update-flash-player.top/download/setup.exe',
  benignDomain: 'google.com',
  eicarMd5: '44d88612fea8a8f36de82e1278abb02f',
  eicarSha1: '3395856ce81f2b7382dee72602f798b642f14140',
  eicarSha256: '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
  /** Log4Shell: critical and in CISA's known-exploited catalog. */
  kevCve: 'CVE-2021-44228',
} as const;

/** Values every fake answers with its "no data" reply, whatever their hash says. */
export const INTEL_UNSEEN = {
  ipv4: '23.94.5.10',
  ipv6: '2a01:4f8:c0c:1e::1',
  domain: 'quiet-meadow-garden.net',
  url: 'https://quiet-meadow-garden.net/index.html',
  md5: '0f343b0931126a20f133d67c2b018a3b',
  sha1: 'e2a4d6a8a0f1c9b3e7d5c4b2a1f0e9d8c7b6a5f4',
  sha256: '5d1e3a0f7b2c9e8d4a6b1c3e5f7a9b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a',
  cve: 'CVE-2099-0001',
} as const;

export type DemoOutcome = 'none' | 'benign' | 'suspicious' | 'malicious';

export interface DemoVerdict {
  outcome: DemoOutcome;
  /** 0–99, stable per value: fakes scale it into their own score fields. */
  level: number;
  /** A second stable number (0–65535) for counts, ids and dates. */
  seed: number;
}

const UNSEEN = new Set<string>(Object.values(INTEL_UNSEEN).map((value) => value.toLowerCase()));

/**
 * The deterministic outcome for a value no fixture covers: a SHA-256 of the lower-cased value picks
 * a bucket — 40 % no data, 25 % benign, 20 % suspicious, 15 % malicious.
 */
export function demoVerdict(value: string): DemoVerdict {
  const digest = createHash('sha256').update(value.trim().toLowerCase()).digest();
  const level = (digest[0] ?? 0) % 100;
  const seed = ((digest[1] ?? 0) << 8) | (digest[2] ?? 0);
  if (UNSEEN.has(value.trim().toLowerCase())) return { outcome: 'none', level, seed };
  const outcome: DemoOutcome =
    level < 40 ? 'none' : level < 65 ? 'benign' : level < 85 ? 'suspicious' : 'malicious';
  return { outcome, level, seed };
}

/** A stable date up to `maxDaysAgo` days (picked by the seed) before a fixed demo epoch, as ISO text. */
export function demoDate(seed: number, maxDaysAgo: number): string {
  const base = Date.UTC(2026, 10, 20, 12, 0, 0);
  return new Date(base - (seed % Math.max(1, maxDaysAgo)) * 86_400_000).toISOString();
}
