import {
  OutboundAuthError,
  OutboundBadRequestError,
  type OutboundError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, TestOutcome, TicketAdapter, TicketInput } from '../ports';
import { normalizeLabels, plainTextToAdf, singleLine, TICKET_LIMITS, truncateText } from './ticket-format';
import {
  detailsOf,
  failureOutcome,
  isRecord,
  noDuplicateRetry,
  optionalSetting,
  parseSuccess,
  requiredCredential,
  requiredSetting,
  resolveBase,
  type ServiceBase,
  shortText,
  stringField,
  tryJson,
} from './ticket-http';

/**
 * Jira Cloud: creates an issue with `POST /rest/api/3/issue` (providers-actions.md §11) on the
 * tenant's site (user-supplied, so the SSRF policy applies), authenticated with the account e-mail
 * and an API token (Basic). REST v3 requires the description as Atlassian Document Format, built
 * from the plain-text body; the issue link is the site's `/browse/{key}` page.
 */

const SERVICE = 'Jira';
const DEFAULT_ISSUE_TYPE = 'Task';
const DEFAULT_WAIT_SECONDS = 60;

/** `{errorMessages: [...], errors: {field: message}}` as one line. */
function errorText(body: unknown): { text: string | undefined; fields: Record<string, string> } {
  if (!isRecord(body)) return { text: undefined, fields: {} };
  const messages = Array.isArray(body.errorMessages)
    ? body.errorMessages.filter((m): m is string => typeof m === 'string')
    : [];
  const fields: Record<string, string> = {};
  if (isRecord(body.errors)) {
    for (const [field, value] of Object.entries(body.errors))
      if (typeof value === 'string') fields[field] = value;
  }
  const parts = [...messages, ...Object.entries(fields).map(([field, message]) => `${field}: ${message}`)];
  return { text: shortText(parts.join('; ')), fields };
}

interface Target {
  base: ServiceBase;
  email: string;
  token: string;
  authorization: string;
  projectKey: string;
  issueType: string;
}

function targetOf(ctx: AdapterContext): Target {
  if (ctx.baseUrl === undefined) requiredSetting(ctx, 'url', 'Jira site URL');
  const base = resolveBase(ctx, undefined, { setting: 'url', originOnly: true });
  const email = requiredSetting(ctx, 'email', 'Jira account e-mail');
  const token = requiredCredential(ctx, 'token', 'Jira API token');
  const projectKey = requiredSetting(ctx, 'projectKey', 'Jira project key').toUpperCase();
  const issueType = optionalSetting(ctx, 'issueType') ?? DEFAULT_ISSUE_TYPE;
  const authorization = Buffer.from(`${email}:${token}`, 'utf8').toString('base64');
  return { base, email, token, authorization, projectKey, issueType };
}

function classifier(target: Target, creating: boolean) {
  return (response: OutboundResponse): OutboundError | undefined => {
    const { status } = response;
    if (status < 400) return undefined;
    const details = detailsOf(response, target.base.host);
    const { text, fields } = errorText(tryJson(response));
    const project = target.projectKey;
    if (status === 401) {
      return new OutboundAuthError(
        'Jira rejected the e-mail and API token: check the account e-mail, or create a new API token at id.atlassian.com → Security → API tokens.',
        details,
      );
    }
    if (status === 403) {
      return new OutboundAuthError(
        `The Jira account lacks permission to create issues in project ${project} (needs "Browse projects" and "Create issues")${text ? `: ${text}` : ''}.`,
        details,
      );
    }
    if (status === 404) {
      return new OutboundNotFoundError(
        `Jira project ${project} was not found on this site, or the account cannot see it${text ? ` (${text})` : ''}.`,
        details,
      );
    }
    if (status === 429) {
      return new OutboundRateLimitedError('Jira rate limit reached', DEFAULT_WAIT_SECONDS, details);
    }
    if (status < 500) {
      if (fields.project !== undefined) {
        return new OutboundBadRequestError(
          `Jira project ${project} was not found or does not accept issues from this account (${fields.project}).`,
          details,
        );
      }
      if (fields.issuetype !== undefined) {
        return new OutboundBadRequestError(
          `Issue type "${target.issueType}" is not available in Jira project ${project}; set one of the project's issue types (e.g. Task or Bug).`,
          details,
        );
      }
      return new OutboundBadRequestError(
        `Jira refused the issue (${status}${text ? `: ${text}` : ''})`,
        details,
      );
    }
    return creating ? noDuplicateRetry(SERVICE, response, target.base.host) : undefined;
  };
}

function call(target: Target) {
  return {
    headers: { authorization: `Basic ${target.authorization}`, accept: 'application/json' },
    userSuppliedUrl: target.base.userSuppliedUrl,
    redact: [target.token, target.authorization],
  };
}

export const jiraAdapter: TicketAdapter = {
  kind: 'ticketing',
  catalog: {
    name: 'jira',
    displayName: 'Jira Cloud',
    category: 'ticketing',
    description:
      'Creates a Jira Cloud issue in one project for a case or playbook step, with labels and a formatted description.',
    fields: [
      {
        name: 'url',
        label: 'Site URL',
        type: 'url',
        required: true,
        help: 'Your Jira Cloud site, e.g. https://acme.atlassian.net.',
        placeholder: 'https://your-site.atlassian.net',
      },
      {
        name: 'email',
        label: 'Account e-mail',
        type: 'text',
        required: true,
        help: 'E-mail of the Atlassian account that owns the API token.',
      },
      {
        name: 'token',
        label: 'API token',
        type: 'secret',
        required: true,
        help: 'Created at id.atlassian.com → Security → API tokens.',
      },
      { name: 'projectKey', label: 'Project key', type: 'text', required: true, placeholder: 'SEC' },
      {
        name: 'issueType',
        label: 'Issue type',
        type: 'text',
        required: false,
        default: DEFAULT_ISSUE_TYPE,
        help: 'Name of an issue type of the project, e.g. Task, Bug or Incident.',
      },
    ],
    freeTier: {
      summary:
        'No fixed public number: API-token traffic is governed by burst limits and answers 429 with Retry-After; per-issue write limits also apply.',
    },
    priority: 'high',
    setupGuide: [
      'Sign in at https://id.atlassian.com/manage-profile/security/api-tokens with the account Vigil should act as.',
      'Choose "Create API token", name it (e.g. Vigil), and copy the token (it is shown once).',
      'Make sure this account has the "Browse projects" and "Create issues" permissions in the target project.',
      'Enter your site URL (https://<your-site>.atlassian.net), the account e-mail and the API token.',
      'Enter the project key (the prefix of issue keys, e.g. SEC for SEC-12) and, if not Task, the issue type name.',
      'Press "Test": Vigil checks the account, the project, the issue type and the create permission without creating anything.',
    ],
    docsUrl:
      'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post',
    userSuppliedUrl: true,
  },

  async create(ctx: AdapterContext, ticket: TicketInput) {
    const target = targetOf(ctx);
    const limits = TICKET_LIMITS.jira;
    const labels = normalizeLabels(ticket.labels, {
      maxLength: limits.label,
      maxCount: limits.labels,
      spaces: 'dash',
    });
    const description = plainTextToAdf(truncateText(ticket.body, limits.body, 'body'));
    const response = await ctx.http.request({
      ...call(target),
      method: 'POST',
      url: `${target.base.url}/rest/api/3/issue`,
      body: {
        fields: {
          project: { key: target.projectKey },
          issuetype: { name: target.issueType },
          summary: truncateText(singleLine(ticket.title), limits.title),
          ...(description.content.length > 0 ? { description } : {}),
          ...(labels.length > 0 ? { labels } : {}),
        },
      },
      classify: classifier(target, true),
    });
    return parseSuccess(response, target.base.host, SERVICE, (body) => {
      if (!isRecord(body)) return undefined;
      const id = stringField(body, 'id');
      const key = stringField(body, 'key');
      if (id === undefined || key === undefined) return undefined;
      return { id, number: key, url: `${target.base.url}/browse/${encodeURIComponent(key)}` };
    });
  },

  async test(ctx: AdapterContext): Promise<TestOutcome> {
    try {
      const target = targetOf(ctx);
      const classify = classifier(target, false);
      const me = await ctx.http.request({
        ...call(target),
        method: 'GET',
        url: `${target.base.url}/rest/api/3/myself`,
        classify,
      });
      const who = parseSuccess(me, target.base.host, SERVICE, (body) =>
        isRecord(body) && stringField(body, 'accountId')
          ? (stringField(body, 'displayName') ?? target.email)
          : undefined,
      );

      const projectResponse = await ctx.http.request({
        ...call(target),
        method: 'GET',
        url: `${target.base.url}/rest/api/3/project/${encodeURIComponent(target.projectKey)}`,
        classify,
      });
      const issueTypes = parseSuccess(projectResponse, target.base.host, SERVICE, (body) =>
        isRecord(body) && Array.isArray(body.issueTypes)
          ? body.issueTypes
              .filter(isRecord)
              .map((type) => stringField(type, 'name'))
              .filter((name): name is string => name !== undefined)
          : undefined,
      );
      if (!issueTypes.some((name) => name.toLowerCase() === target.issueType.toLowerCase())) {
        return {
          ok: false,
          message: `Issue type "${target.issueType}" does not exist in Jira project ${target.projectKey}; use one of: ${issueTypes.join(', ')}.`,
          details: { issueTypes },
        };
      }

      const permissions = await ctx.http.request({
        ...call(target),
        method: 'GET',
        url: `${target.base.url}/rest/api/3/mypermissions`,
        query: { projectKey: target.projectKey, permissions: 'CREATE_ISSUES' },
        classify,
      });
      const canCreate = parseSuccess(permissions, target.base.host, SERVICE, (body) => {
        if (!isRecord(body) || !isRecord(body.permissions)) return undefined;
        const entry = body.permissions.CREATE_ISSUES;
        return isRecord(entry) && typeof entry.havePermission === 'boolean'
          ? entry.havePermission
          : undefined;
      });
      if (!canCreate) {
        return {
          ok: false,
          message: `${who} lacks the "Create issues" permission in Jira project ${target.projectKey}; ask a Jira admin to grant it.`,
        };
      }
      return {
        ok: true,
        message: `Connected to Jira as ${who}; issues of type ${target.issueType} can be created in project ${target.projectKey}.`,
        details: { project: target.projectKey, issueType: target.issueType },
      };
    } catch (error) {
      return failureOutcome(SERVICE, error);
    }
  },
};
