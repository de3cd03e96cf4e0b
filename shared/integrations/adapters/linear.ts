import {
  OutboundAuthError,
  OutboundBadRequestError,
  type OutboundError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
  QuotaExhaustedError,
  UpstreamError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, TestOutcome, TicketAdapter, TicketInput } from '../ports';
import { normalizeLabels, singleLine, TICKET_LIMITS, truncateText } from './ticket-format';
import {
  detailsOf,
  failureOutcome,
  header,
  isRecord,
  noDuplicateRetry,
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
 * Linear: creates an issue with the GraphQL `issueCreate` mutation (providers-actions.md §10),
 * authenticated with a personal API key sent as the raw `Authorization` value. Linear reports
 * failures as GraphQL `errors[]` with HTTP 200, 400 or 401 alike, so every answer is classified on
 * `extensions.code` / `extensions.type`, never on the status. Labels are matched by name to the
 * workspace's and the team's existing labels (Linear takes label ids; unknown names are skipped).
 */

const PUBLIC_API = 'https://api.linear.app';
const SERVICE = 'Linear';
const DEFAULT_WAIT_SECONDS = 60;

const CREATE_MUTATION =
  'mutation VigilIssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier title url } } }';
const LABELS_QUERY =
  'query VigilIssueLabels($names: [String!]) { issueLabels(first: 250, filter: { name: { in: $names } }) { nodes { id name team { id } } } }';
const TEST_QUERY =
  'query VigilConnectionTest($teamId: String!) { viewer { id name } team(id: $teamId) { id key name } }';

interface GraphqlError {
  message: string;
  code: string | undefined;
  type: string | undefined;
  userMessage: string | undefined;
}

function firstError(body: unknown): GraphqlError | undefined {
  if (!isRecord(body) || !Array.isArray(body.errors) || body.errors.length === 0) return undefined;
  const error = body.errors.find(isRecord) ?? {};
  const extensions = isRecord(error.extensions) ? error.extensions : {};
  return {
    message: shortText(error.message) ?? 'unknown error',
    code: stringField(extensions, 'code'),
    type: stringField(extensions, 'type')?.toLowerCase(),
    userMessage: shortText(extensions.userPresentableMessage),
  };
}

/** Seconds until Linear's request (or complexity) budget resets; its reset headers are epoch milliseconds. */
function resetSeconds(response: OutboundResponse, now: () => number): number {
  for (const name of ['x-ratelimit-requests-reset', 'x-ratelimit-complexity-reset']) {
    const value = Number(header(response, name));
    if (Number.isFinite(value) && value > 0) return Math.max(1, (value - now()) / 1000);
  }
  return DEFAULT_WAIT_SECONDS;
}

function classifier(base: ServiceBase, teamId: string, now: () => number, creating: boolean) {
  return (response: OutboundResponse): OutboundError | undefined => {
    const details = detailsOf(response, base.host);
    const error = firstError(tryJson(response));
    if (error === undefined) {
      if (response.status >= 500 && creating) return noDuplicateRetry(SERVICE, response, base.host);
      return undefined;
    }
    const shown = error.userMessage ?? error.message;
    if (error.code === 'RATELIMITED' || error.type === 'ratelimited') {
      const seconds = resetSeconds(response, now);
      return new OutboundRateLimitedError(
        `Linear rate limit reached; retry in ${Math.ceil(seconds)} s`,
        seconds,
        details,
      );
    }
    if (error.code === 'AUTHENTICATION_ERROR' || error.type === 'authentication error') {
      return new OutboundAuthError(
        `Linear rejected the API key (${shown}). Create a new personal API key under Settings → Account → Security & access and save it again.`,
        details,
      );
    }
    if (error.code === 'FORBIDDEN' || error.type === 'forbidden') {
      return new OutboundAuthError(
        `Linear refused (${shown}): the API key lacks permission to create issues in team ${teamId}. Give the key write (or "Create issues") access to this team.`,
        details,
      );
    }
    if (error.type === 'usage limit exceeded') {
      return new QuotaExhaustedError(
        `The Linear workspace reached a usage limit of its plan (${shown}).`,
        details,
      );
    }
    if (/entity not found|could not find/i.test(`${error.message} ${error.userMessage ?? ''}`)) {
      return new OutboundNotFoundError(
        `Linear team ${teamId} was not found, or the API key cannot see it. Use the team's ID (UUID), e.g. from the team's settings or the API.`,
        details,
      );
    }
    if (error.code === 'INTERNAL_SERVER_ERROR' || response.status >= 500) {
      return new UpstreamError(`Linear answered with an internal error (${shown})`, {
        ...details,
        retryable: !creating && response.status === 503,
      });
    }
    return new OutboundBadRequestError(
      `Linear refused the request (${error.code ?? error.type ?? 'error'}: ${shown})`,
      details,
    );
  };
}

interface Target {
  base: ServiceBase;
  apiKey: string;
  teamId: string;
}

function targetOf(ctx: AdapterContext): Target {
  const apiKey = requiredCredential(ctx, 'apiKey', 'Linear API key');
  const teamId = requiredSetting(ctx, 'teamId', 'Linear team ID');
  return { base: resolveBase(ctx, PUBLIC_API), apiKey, teamId };
}

async function graphql(
  ctx: AdapterContext,
  target: Target,
  creating: boolean,
  query: string,
  variables: Record<string, unknown>,
): Promise<OutboundResponse> {
  return ctx.http.request({
    method: 'POST',
    url: `${target.base.url}/graphql`,
    headers: { authorization: target.apiKey, accept: 'application/json' },
    body: { query, variables },
    redact: [target.apiKey],
    classify: classifier(target.base, target.teamId, ctx.now, creating),
  });
}

/** Ids of the existing labels named like the ticket's labels (case-insensitive), usable in the team. */
async function labelIds(ctx: AdapterContext, target: Target, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const variants = [...new Set(names.flatMap((name) => [name, name.toLowerCase()]))];
  const response = await graphql(ctx, target, false, LABELS_QUERY, { names: variants });
  const nodes = parseSuccess(response, target.base.host, SERVICE, (body) => {
    if (!isRecord(body) || !isRecord(body.data) || !isRecord(body.data.issueLabels)) return undefined;
    const list = body.data.issueLabels.nodes;
    return Array.isArray(list) ? list.filter(isRecord) : undefined;
  });
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const ids: string[] = [];
  for (const node of nodes) {
    const id = stringField(node, 'id');
    const name = stringField(node, 'name');
    const teamId = isRecord(node.team) ? stringField(node.team, 'id') : undefined;
    if (id === undefined || name === undefined || !wanted.has(name.toLowerCase())) continue;
    if (teamId !== undefined && teamId !== target.teamId) continue;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

export const linearAdapter: TicketAdapter = {
  kind: 'ticketing',
  catalog: {
    name: 'linear',
    displayName: 'Linear',
    category: 'ticketing',
    description:
      'Creates a Linear issue in one team for a case or playbook step; labels are matched to existing Linear labels by name.',
    fields: [
      {
        name: 'apiKey',
        label: 'API key',
        type: 'secret',
        required: true,
        help: 'Personal API key (starts with lin_api_) with permission to create issues in the team.',
        placeholder: 'lin_api_…',
      },
      {
        name: 'teamId',
        label: 'Team ID',
        type: 'text',
        required: true,
        help: 'UUID of the team the issues belong to.',
        placeholder: '9cfb482a-81e3-4154-b5b9-2c805e70a02d',
      },
    ],
    freeTier: {
      summary:
        'Hourly request and query-complexity budgets per API key (leaky bucket; the numbers have varied, Vigil follows the X-RateLimit-* headers). The Free plan also caps the number of issues in a workspace.',
    },
    priority: 'medium',
    setupGuide: [
      'In Linear open Settings → Account → Security & access and choose "New API key" under Personal API keys.',
      'Name the key (e.g. Vigil), allow it to create issues (or give it write access), restrict it to the security team if you like, and create it.',
      'Copy the key (it is shown once) and paste it into API key.',
      'Find the team ID: open the team in Linear, press Cmd/Ctrl+K and run "Copy model UUID", or query `{ teams { nodes { id key name } } }` in the API explorer.',
      'Paste the team ID and press "Test": Vigil reads your user and the team without creating anything.',
    ],
    docsUrl: 'https://linear.app/developers/graphql',
  },

  async create(ctx: AdapterContext, ticket: TicketInput) {
    const target = targetOf(ctx);
    const limits = TICKET_LIMITS.linear;
    const ids = await labelIds(
      ctx,
      target,
      normalizeLabels(ticket.labels, { maxLength: limits.label, maxCount: limits.labels }),
    );
    const response = await graphql(ctx, target, true, CREATE_MUTATION, {
      input: {
        teamId: target.teamId,
        title: truncateText(singleLine(ticket.title), limits.title),
        description: truncateText(ticket.body, limits.body, 'body'),
        ...(ids.length > 0 ? { labelIds: ids } : {}),
      },
    });
    const created = parseSuccess(response, target.base.host, SERVICE, (body) => {
      if (!isRecord(body) || !isRecord(body.data) || !isRecord(body.data.issueCreate)) return undefined;
      const result = body.data.issueCreate;
      if (result.success !== true) return { success: false as const };
      if (!isRecord(result.issue)) return undefined;
      const id = stringField(result.issue, 'id');
      const identifier = stringField(result.issue, 'identifier');
      const url = stringField(result.issue, 'url');
      return id && identifier && url ? { success: true as const, id, identifier, url } : undefined;
    });
    if (!created.success) {
      throw new UpstreamError('Linear answered issueCreate with success: false', {
        ...detailsOf(response, target.base.host),
        retryable: false,
      });
    }
    return { id: created.id, number: created.identifier, url: created.url };
  },

  async test(ctx: AdapterContext): Promise<TestOutcome> {
    try {
      const target = targetOf(ctx);
      const response = await graphql(ctx, target, false, TEST_QUERY, { teamId: target.teamId });
      const found = parseSuccess(response, target.base.host, SERVICE, (body) => {
        if (!isRecord(body) || !isRecord(body.data)) return undefined;
        const { viewer, team } = body.data;
        if (!isRecord(viewer) || !isRecord(team)) return undefined;
        return {
          user: stringField(viewer, 'name') ?? 'your user',
          key: stringField(team, 'key') ?? target.teamId,
          name: stringField(team, 'name') ?? '',
        };
      });
      return {
        ok: true,
        message: `Connected to Linear as ${found.user}; team ${found.key}${found.name ? ` (${found.name})` : ''} found. Make sure the API key may create issues in it.`,
        details: { team: found.key },
      };
    } catch (error) {
      return failureOutcome(SERVICE, error);
    }
  },
};
