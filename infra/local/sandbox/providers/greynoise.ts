import { classifyIp } from '../../../../shared/platform/net/ip-address';
import type { FakeHandler, FakeReply } from '../fake-http';
import { demoDate, demoVerdict, INTEL_FIXTURES } from './intel-fixtures';

/**
 * GreyNoise Community API fake (providers-intel.md §4): `GET /v3/community/{ip}` with the optional
 * `key` header. Found → 200 `{ip, noise, riot, classification, name, link, last_seen, message}`;
 * not observed → 404 with the same JSON shape and GreyNoise's message; a non-routable or invalid
 * address → 400; `invalid-key` → 401 `{"message"}`. Without a key the fake allows 100 lookups per
 * day, then answers the 429 plan body GreyNoise sends to unauthenticated callers.
 *
 * Fixtures: 185.220.101.34 (malicious mass scanner), 71.6.135.131 (Shodan.io research scanner,
 * benign noise), 8.8.8.8 and 1.1.1.1 (RIOT business services). Other public IPv4 addresses get an
 * answer derived from a hash of the address (`demoVerdict`): "no data" is the 404.
 */

const UNAUTHENTICATED_DAILY = 100;
const SCANNER_IP = '71.6.135.131';

interface Answer {
  noise: boolean;
  riot: boolean;
  classification?: 'benign' | 'malicious' | 'unknown';
  name?: string;
  last_seen?: string;
}

const FIXTURES: Record<string, Answer> = {
  [INTEL_FIXTURES.maliciousIp]: {
    noise: true,
    riot: false,
    classification: 'malicious',
    name: 'unknown',
    last_seen: '2026-11-30',
  },
  [SCANNER_IP]: {
    noise: true,
    riot: false,
    classification: 'benign',
    name: 'Shodan.io',
    last_seen: '2026-11-30',
  },
  [INTEL_FIXTURES.benignIp]: {
    noise: false,
    riot: true,
    classification: 'benign',
    name: 'Google Public DNS',
    last_seen: '2026-11-30',
  },
  [INTEL_FIXTURES.benignIp2]: {
    noise: false,
    riot: true,
    classification: 'benign',
    name: 'Cloudflare Public DNS',
    last_seen: '2026-11-30',
  },
};

function derived(ip: string): Answer | undefined {
  const { outcome, seed } = demoVerdict(ip);
  const lastSeen = demoDate(seed, 20).slice(0, 10);
  switch (outcome) {
    case 'none':
      return undefined;
    case 'benign':
      return { noise: true, riot: false, classification: 'benign', name: 'Censys', last_seen: lastSeen };
    case 'suspicious':
      return { noise: true, riot: false, classification: 'unknown', name: 'unknown', last_seen: lastSeen };
    case 'malicious':
      return { noise: true, riot: false, classification: 'malicious', name: 'unknown', last_seen: lastSeen };
  }
}

/** The 429 GreyNoise sends once the unauthenticated daily quota is spent. */
export function greyNoiseQuotaReply(): FakeReply {
  return {
    status: 429,
    body: {
      plan: 'unauthenticated',
      'rate-limit': `${UNAUTHENTICATED_DAILY}-lookups/day`,
      plan_url: 'https://greynoise.io/pricing',
      message: `You have hit your daily rate limit of ${UNAUTHENTICATED_DAILY} requests per day. Please create a free account or upgrade your plan at https://greynoise.io/pricing.`,
    },
  };
}

/** The GreyNoise Community fake handler; one instance counts its own keyless quota. */
export function fakeGreyNoise(): FakeHandler {
  let unauthenticated = 0;
  return (request) => {
    const match = /^\/v3\/community\/([^/]+)$/.exec(request.path);
    if (!match || request.method !== 'GET') return { status: 404, body: { message: 'Not Found' } };
    const key = request.headers.key;
    if (key === 'invalid-key')
      return { status: 401, body: { message: 'Authentication failed: invalid API key.' } };
    if (typeof key !== 'string' || key === '') {
      unauthenticated += 1;
      if (unauthenticated > UNAUTHENTICATED_DAILY) return greyNoiseQuotaReply();
    }
    const ip = decodeURIComponent(match[1] ?? '');
    const classified = classifyIp(ip);
    if (classified?.version !== 4 || classified.range !== 'public') {
      return { status: 400, body: { message: 'Request is not a valid routable IPv4 address' } };
    }
    const answer = FIXTURES[ip] ?? derived(ip);
    if (!answer) {
      return {
        status: 404,
        body: {
          ip,
          noise: false,
          riot: false,
          message: 'IP not observed scanning the internet or contained in RIOT data set.',
        },
      };
    }
    const section = answer.riot ? 'riot' : 'ip';
    return {
      status: 200,
      body: {
        ip,
        noise: answer.noise,
        riot: answer.riot,
        classification: answer.classification,
        name: answer.name,
        link: `https://viz.greynoise.io/${section}/${ip}`,
        last_seen: answer.last_seen,
        message: 'Success',
      },
    };
  };
}
