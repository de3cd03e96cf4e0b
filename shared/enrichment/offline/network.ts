import { assertSupported, finalizeResult } from '../../integrations/adapters/intel-normalize';
import type { CatalogEntry, IntelAdapter, IntelResult } from '../../integrations/ports';
import { classifyIp } from '../../platform/net/ip-address';
import { type IndicatorClassification, normalizeIndicator } from '../indicators';

/**
 * The `network` provider: where an address or name lives, computed locally from the IANA
 * special-purpose registries (`classifyIp`) and Vigil's internal-name rules (`classifyDomain`). It is
 * what enrichment runs for indicators that must never reach a third party (private, loopback,
 * documentation, reserved addresses; internal-only names), and it costs nothing for public ones.
 * Classification is context, not reputation: the verdict is always `unknown`.
 */

const PROVIDER = 'network';

/** Tags of a classification: the range itself, plus `bogon` for an IP that is not publicly routable. */
function classificationTags(classification: IndicatorClassification, isIp: boolean): string[] {
  if (classification === 'public' || classification === 'non-network') return [classification];
  return isIp ? [classification, 'bogon'] : [classification, 'non-public'];
}

/** The host of a URL or the domain of an email, canonical, for the details. */
function hostOf(type: 'url' | 'email', value: string): string {
  if (type === 'email') return value.slice(value.lastIndexOf('@') + 1);
  const authority = value.slice(value.indexOf('://') + 3).split(/[/?#]/, 1)[0] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
}

/** Classifies one indicator (any supported type) without any I/O. */
export function classifyNetworkIndicator(type: string, value: string): IntelResult {
  const indicator = normalizeIndicator(value, type);
  const details: Record<string, unknown> = {
    classification: indicator.classification,
    shareable: indicator.shareable,
  };
  let isIp = indicator.type === 'ipv4' || indicator.type === 'ipv6';
  if (isIp) {
    const ip = classifyIp(indicator.value);
    details.ipVersion = ip?.version;
    details.embeddedIpv4 = ip?.embeddedIpv4;
  } else if (indicator.type === 'url' || indicator.type === 'email') {
    const host = hostOf(indicator.type, indicator.value);
    details.host = host;
    isIp = classifyIp(host) !== undefined;
  }
  return finalizeResult({
    verdict: 'unknown',
    score: 0,
    confidence: 0,
    tags: classificationTags(indicator.classification, isIp),
    details,
  });
}

const catalog: CatalogEntry = {
  name: PROVIDER,
  displayName: 'Network classification',
  category: 'geolocation',
  description:
    'Offline classification of IPs and host names: private, loopback, link-local, CGNAT, documentation, ' +
    'reserved and other bogon ranges (IANA special-purpose registries) and internal-only names. ' +
    'Indicators in those ranges are never sent to third-party providers.',
  fields: [],
  freeTier: { summary: 'unlimited, offline' },
  priority: 'high',
  setupGuide: ['Built in, nothing to configure: it runs for every IP, domain, URL and email indicator.'],
  docsUrl: 'https://www.iana.org/assignments/iana-ipv4-special-registry/',
  supports: ['ipv4', 'ipv6', 'domain', 'url', 'email'],
};

/** The built-in network classification provider. */
export const networkProvider: IntelAdapter = {
  kind: 'intel',
  catalog,
  async lookup(_ctx, indicator) {
    assertSupported(catalog, indicator);
    return classifyNetworkIndicator(indicator.type, indicator.value);
  },
  async test() {
    const probe = classifyNetworkIndicator('ipv4', '10.0.0.1');
    const ok = probe.tags.includes('private');
    return {
      ok,
      message: ok
        ? 'Network classification is built in; nothing to configure.'
        : 'Network classification gave an unexpected answer for 10.0.0.1.',
    };
  },
};
