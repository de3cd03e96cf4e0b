import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FakeHandler, type FakeServer, startFakeServer } from './fake-http';
import { fakeAbuseIpdb } from './providers/abuseipdb';
import { fakeDiscord } from './providers/discord';
import { fakeGithub } from './providers/github';
import { fakeGitlab } from './providers/gitlab';
import { fakeGreyNoise } from './providers/greynoise';
import { fakeIfttt } from './providers/ifttt';
import { fakeIpApi } from './providers/ip-api';
import { fakeIpgeolocation } from './providers/ipgeolocation';
import { fakeIpinfo } from './providers/ipinfo';
import { fakeIpQualityScore } from './providers/ipqualityscore';
import { fakeJira } from './providers/jira';
import { fakeLinear } from './providers/linear';
import { fakeN8n } from './providers/n8n';
import { fakeNvd } from './providers/nvd';
import { fakeOtx } from './providers/otx';
import { fakePicus } from './providers/picus';
import { fakePushover } from './providers/pushover';
import { fakeShodan } from './providers/shodan';
import { fakeSlack } from './providers/slack';
import { fakeTeams } from './providers/teams';
import { fakeTelegram } from './providers/telegram';
import { fakeThreatFox } from './providers/threatfox';
import { fakeTrello } from './providers/trello';
import { startFakeVelociraptor } from './providers/velociraptor';
import { fakeVirusTotal } from './providers/virustotal';
import { fakeWebhook, SANDBOX_WEBHOOK_SECRET } from './providers/webhook';
import { fakeZapier } from './providers/zapier';

/**
 * The provider sandbox of the local target (`VIGIL_PROVIDER_SANDBOX=1`): every HTTP integration's
 * fake on its own loopback port, and a Velociraptor gRPC fake with its own CA. The local target hands
 * the adapters these base URLs (`VIGIL_PROVIDER_BASE_URLS`) and lets user-supplied URLs reach loopback
 * (`VIGIL_OUTBOUND_ALLOW_LIST`), so a new user can configure integrations with any key (the value
 * `invalid-key` gets each service's real bad-credentials answer) and run enrichments and actions
 * offline. Every HTTP fake also serves `/__sandbox/faults` and `/__sandbox/requests` (see
 * `fake-http.ts`), so a test in another process can make a provider fail for chosen indicators.
 */
export const sandboxFakes: Readonly<Record<string, () => FakeHandler>> = {
  abuseipdb: fakeAbuseIpdb,
  virustotal: fakeVirusTotal,
  otx: fakeOtx,
  threatfox: fakeThreatFox,
  greynoise: fakeGreyNoise,
  ipqualityscore: fakeIpQualityScore,
  shodan: fakeShodan,
  nvd: () => fakeNvd(),
  picus: () => fakePicus(),
  ipinfo: () => fakeIpinfo(),
  'ip-api': () => fakeIpApi(),
  ipgeolocation: () => fakeIpgeolocation(),
  slack: fakeSlack,
  discord: fakeDiscord,
  telegram: fakeTelegram,
  pushover: () => fakePushover(),
  teams: fakeTeams,
  github: fakeGithub,
  gitlab: fakeGitlab,
  trello: fakeTrello,
  linear: fakeLinear,
  jira: fakeJira,
  webhook: () => fakeWebhook(),
  zapier: fakeZapier,
  ifttt: fakeIfttt,
  n8n: () => fakeN8n(),
};

/** Requests each fake remembers for `GET /__sandbox/requests`; older ones are dropped. */
const maxRequestsKept = 10_000;

export interface RunningSandbox {
  /** Base URL of each HTTP fake, by integration name. */
  baseUrls: Record<string, string>;
  /** Where the Velociraptor fake's api_client.yaml was written (paste it into the integration). */
  velociraptorApiClientFile: string;
  /** Where the fakes' URLs were written, for integrations whose URL is a setting (webhooks, Jira, n8n). */
  urlsFile: string;
  webhookSecret: string;
  stop(): Promise<void>;
}

export async function startProviderSandbox(dataDir: string): Promise<RunningSandbox> {
  const servers: FakeServer[] = [];
  const baseUrls: Record<string, string> = {};
  try {
    for (const [name, fake] of Object.entries(sandboxFakes)) {
      const server = await startFakeServer(fake(), { control: true, maxRequests: maxRequestsKept });
      servers.push(server);
      baseUrls[name] = server.url;
    }
    const velociraptor = await startFakeVelociraptor();
    const dir = join(dataDir, 'sandbox');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const velociraptorApiClientFile = join(dir, 'velociraptor-api_client.yaml');
    writeFileSync(velociraptorApiClientFile, velociraptor.apiClientYaml, { mode: 0o600 });
    const urlsFile = join(dir, 'providers.json');
    writeFileSync(
      urlsFile,
      `${JSON.stringify({ ...baseUrls, velociraptor: velociraptor.address }, null, 2)}\n`,
    );
    return {
      baseUrls,
      velociraptorApiClientFile,
      urlsFile,
      webhookSecret: SANDBOX_WEBHOOK_SECRET,
      stop: async () => {
        await velociraptor.close();
        await Promise.all(servers.map((s) => s.close()));
      },
    };
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    throw error;
  }
}
