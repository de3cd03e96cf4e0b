import { abuseIpdbAdapter } from '../integrations/adapters/abuseipdb';
import { discordAdapter } from '../integrations/adapters/discord';
import { githubAdapter } from '../integrations/adapters/github';
import { gitlabAdapter } from '../integrations/adapters/gitlab';
import { greyNoiseAdapter } from '../integrations/adapters/greynoise';
import { iftttAdapter } from '../integrations/adapters/ifttt';
import { ipApiAdapter } from '../integrations/adapters/ip-api';
import { ipgeolocationAdapter } from '../integrations/adapters/ipgeolocation';
import { ipinfoAdapter } from '../integrations/adapters/ipinfo';
import { ipQualityScoreAdapter } from '../integrations/adapters/ipqualityscore';
import { jiraAdapter } from '../integrations/adapters/jira';
import { linearAdapter } from '../integrations/adapters/linear';
import { n8nAdapter } from '../integrations/adapters/n8n';
import { nvdAdapter } from '../integrations/adapters/nvd';
import { otxAdapter } from '../integrations/adapters/otx';
import { picusAdapter } from '../integrations/adapters/picus';
import { pushoverAdapter } from '../integrations/adapters/pushover';
import { shodanAdapter } from '../integrations/adapters/shodan';
import { slackAdapter } from '../integrations/adapters/slack';
import { createSmtpAdapter } from '../integrations/adapters/smtp';
import { teamsAdapter } from '../integrations/adapters/teams';
import { telegramAdapter } from '../integrations/adapters/telegram';
import { threatFoxAdapter } from '../integrations/adapters/threatfox';
import { trelloAdapter } from '../integrations/adapters/trello';
import { createVelociraptorAdapter } from '../integrations/adapters/velociraptor';
import { virusTotalAdapter } from '../integrations/adapters/virustotal';
import { webhookAdapter } from '../integrations/adapters/webhook';
import { zapierAdapter } from '../integrations/adapters/zapier';
import type { SsrfPolicy } from '../integrations/http/ssrf';
import type { AnyAdapter } from '../integrations/service';
import { sesAdapter } from './aws/ses-notification';

/**
 * Every integration Vigil offers, in catalog order (category, then guidance priority): the
 * composition root of the integration hub. The catalog, tenant configuration, tests, health checks,
 * actions and enrichment workers all read this list. Adapters that open their own connections
 * (SMTP, Velociraptor gRPC) take the same SSRF policy as the outbound HTTP client.
 */
export function integrationAdapters(options: { ssrf?: SsrfPolicy } = {}): readonly AnyAdapter[] {
  return [
    abuseIpdbAdapter,
    virusTotalAdapter,
    otxAdapter,
    threatFoxAdapter,
    greyNoiseAdapter,
    ipQualityScoreAdapter,
    shodanAdapter,
    nvdAdapter,
    picusAdapter,
    ipinfoAdapter,
    ipApiAdapter,
    ipgeolocationAdapter,
    slackAdapter,
    discordAdapter,
    telegramAdapter,
    pushoverAdapter,
    teamsAdapter,
    createSmtpAdapter({ ssrf: options.ssrf }),
    sesAdapter,
    githubAdapter,
    gitlabAdapter,
    trelloAdapter,
    linearAdapter,
    jiraAdapter,
    webhookAdapter,
    zapierAdapter,
    iftttAdapter,
    n8nAdapter,
    createVelociraptorAdapter({ ssrf: options.ssrf }),
  ];
}
