import {
  OutboundAuthError,
  OutboundBadRequestError,
  type OutboundError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
} from '../http/errors';
import type { OutboundResponse } from '../http/outbound';
import type { AdapterContext, TicketAdapter, TicketInput } from '../ports';
import { normalizeLabels, singleLine, TICKET_LIMITS, truncateText } from './ticket-format';
import {
  detailsOf,
  failureOutcome,
  isRecord,
  noDuplicateRetry,
  numberField,
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
 * GitLab Issues: creates an issue with `POST /api/v4/projects/:id/issues` (providers-actions.md §8)
 * on gitlab.com or, when the `url` setting is present, a self-managed instance (user-supplied, so the
 * SSRF policy applies). The project is a numeric id or a full path, URL-encoded into one segment.
 */

const PUBLIC_URL = 'https://gitlab.com';
const SERVICE = 'GitLab';
const DEFAULT_WAIT_SECONDS = 60;

/** GitLab's error text: `message` is a string or a field → messages hash; Grape validation uses `error`. */
function errorText(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  if (typeof body.message === 'string') return shortText(body.message);
  if (isRecord(body.message)) {
    const parts = Object.entries(body.message).map(([field, value]) =>
      `${field} ${Array.isArray(value) ? value.join(', ') : String(value)}`.trim(),
    );
    return shortText(parts.join('; '));
  }
  return shortText(body.error);
}

function classifier(base: ServiceBase, project: string, creating: boolean) {
  return (response: OutboundResponse): OutboundError | undefined => {
    const { status } = response;
    if (status < 400) return undefined;
    const details = detailsOf(response, base.host);
    const text = errorText(tryJson(response));
    switch (status) {
      case 401:
        return new OutboundAuthError(
          'GitLab rejected the token (401 Unauthorized): it is wrong, expired or revoked. Create a new access token with the api scope and save it again.',
          details,
        );
      case 403:
        return new OutboundAuthError(
          `GitLab refused (403 Forbidden): the token needs the api scope, and its user must be allowed to create issues in project ${project} (issues enabled, project not archived).`,
          details,
        );
      case 404:
        return new OutboundNotFoundError(
          `GitLab project ${project} was not found, or the token cannot see it. Use the numeric project ID or the full path (group/project).`,
          details,
        );
      case 429:
        // The client prefers Retry-After / RateLimit-Reset when present; this is the fallback.
        return new OutboundRateLimitedError('GitLab rate limit reached', DEFAULT_WAIT_SECONDS, details);
      default:
        if (status < 500) {
          return new OutboundBadRequestError(
            `GitLab refused the request (${status}${text ? `: ${text}` : ''})`,
            details,
          );
        }
        return creating ? noDuplicateRetry(SERVICE, response, base.host) : undefined;
    }
  };
}

interface Target {
  base: ServiceBase;
  token: string;
  project: string;
  projectUrl: string;
}

function targetOf(ctx: AdapterContext): Target {
  const token = requiredCredential(ctx, 'token', 'GitLab access token');
  const project = requiredSetting(ctx, 'project', 'GitLab project (ID or path)').replace(/^\/+|\/+$/g, '');
  const root = resolveBase(ctx, PUBLIC_URL, { setting: 'url' });
  const api = root.url.endsWith('/api/v4') ? root.url : `${root.url}/api/v4`;
  const base = { ...root, url: api };
  return { base, token, project, projectUrl: `${api}/projects/${encodeURIComponent(project)}` };
}

export const gitlabAdapter: TicketAdapter = {
  kind: 'ticketing',
  catalog: {
    name: 'gitlab',
    displayName: 'GitLab Issues',
    category: 'ticketing',
    description:
      'Opens an issue in a GitLab project for a case or playbook step, with labels. Works with gitlab.com and self-managed GitLab.',
    fields: [
      {
        name: 'token',
        label: 'Access token',
        type: 'secret',
        required: true,
        help: 'Personal, project or group access token with the api scope.',
        placeholder: 'glpat-…',
      },
      {
        name: 'project',
        label: 'Project',
        type: 'text',
        required: true,
        help: 'Numeric project ID (shown on the project page) or full path such as group/subgroup/project.',
        placeholder: 'acme/security/alerts',
      },
      {
        name: 'url',
        label: 'GitLab URL',
        type: 'url',
        required: false,
        help: 'Only for self-managed GitLab, e.g. https://gitlab.example.com. Leave empty for gitlab.com.',
        placeholder: 'https://gitlab.com',
      },
    ],
    freeTier: {
      perMinute: 2_000,
      summary:
        'About 2,000 authenticated API requests/minute on GitLab.com; self-managed limits (including an optional issue-creation limit) are set by the instance admin.',
    },
    priority: 'high',
    setupGuide: [
      'In GitLab open the project, then Settings → Access tokens (or your avatar → Edit profile → Access tokens for a personal token).',
      'Choose "Add new token", give it a name and an expiry date, select the role Reporter or higher (project tokens) and the scope "api".',
      'Create the token and copy it (it is shown once); paste it into Access token.',
      'Enter the project: its numeric Project ID from the project overview page, or its full path such as group/project.',
      'For self-managed GitLab, enter the instance URL, e.g. https://gitlab.example.com.',
      'Press "Test": Vigil reads the project and the token scopes without creating anything.',
    ],
    docsUrl: 'https://docs.gitlab.com/api/issues/#new-issue',
    userSuppliedUrl: true,
  },

  async create(ctx: AdapterContext, ticket: TicketInput) {
    const target = targetOf(ctx);
    const limits = TICKET_LIMITS.gitlab;
    // `labels` is one comma-separated string, so commas inside a label would split it.
    const labels = normalizeLabels(ticket.labels, {
      maxLength: limits.label,
      maxCount: limits.labels,
      forbidden: /,/g,
    });
    const response = await ctx.http.request({
      method: 'POST',
      url: `${target.projectUrl}/issues`,
      headers: { 'private-token': target.token, accept: 'application/json' },
      body: {
        title: truncateText(singleLine(ticket.title), limits.title),
        description: truncateText(ticket.body, limits.body, 'body'),
        ...(labels.length > 0 ? { labels: labels.join(',') } : {}),
      },
      userSuppliedUrl: target.base.userSuppliedUrl,
      redact: [target.token],
      classify: classifier(target.base, target.project, true),
    });
    return parseSuccess(response, target.base.host, SERVICE, (body) => {
      if (!isRecord(body)) return undefined;
      const id = numberField(body, 'id');
      const iid = numberField(body, 'iid');
      const url = stringField(body, 'web_url');
      return id === undefined || iid === undefined || url === undefined
        ? undefined
        : { id: String(id), number: iid, url };
    });
  },

  async test(ctx: AdapterContext) {
    try {
      const target = targetOf(ctx);
      const common = {
        headers: { 'private-token': target.token, accept: 'application/json' },
        userSuppliedUrl: target.base.userSuppliedUrl,
        redact: [target.token],
      };
      const response = await ctx.http.request({
        ...common,
        method: 'GET',
        url: target.projectUrl,
        classify: classifier(target.base, target.project, false),
      });
      const project = parseSuccess(response, target.base.host, SERVICE, (body) =>
        isRecord(body) && numberField(body, 'id') !== undefined
          ? {
              path: stringField(body, 'path_with_namespace') ?? target.project,
              issuesEnabled: body.issues_enabled !== false,
              archived: body.archived === true,
            }
          : undefined,
      );
      if (project.archived) {
        return {
          ok: false,
          message: `GitLab project ${project.path} is archived: it does not accept new issues.`,
        };
      }
      if (!project.issuesEnabled) {
        return {
          ok: false,
          message: `Issues are disabled in GitLab project ${project.path}. Enable them under Settings → General → Visibility, project features, permissions.`,
        };
      }
      const scopes = await tokenScopes(ctx, target, common);
      if (scopes !== undefined && !scopes.includes('api')) {
        return {
          ok: false,
          message: `The token lacks the api scope needed to create issues (it has: ${scopes.join(', ') || 'no scopes'}). Create a token with the api scope.`,
          details: { scopes },
        };
      }
      return {
        ok: true,
        message: `Connected to GitLab project ${project.path}; issues are enabled${scopes ? ' and the token has the api scope' : ''}.`,
        details: { project: project.path },
      };
    } catch (error) {
      return failureOutcome(SERVICE, error);
    }
  },
};

/**
 * The scopes of the token from `GET /personal_access_tokens/self`, or undefined where the instance
 * or the token type cannot say (older GitLab answers 404; OAuth tokens are refused).
 */
async function tokenScopes(
  ctx: AdapterContext,
  target: Target,
  common: { headers: Record<string, string>; userSuppliedUrl: boolean; redact: string[] },
): Promise<string[] | undefined> {
  const response = await ctx.http
    .request({
      ...common,
      method: 'GET',
      url: `${target.base.url}/personal_access_tokens/self`,
    })
    .catch((error: unknown) => {
      if (
        error instanceof OutboundAuthError ||
        error instanceof OutboundNotFoundError ||
        error instanceof OutboundBadRequestError
      )
        return undefined;
      throw error;
    });
  if (response === undefined) return undefined;
  const body = tryJson(response);
  if (!isRecord(body) || !Array.isArray(body.scopes)) return undefined;
  return body.scopes.filter((scope): scope is string => typeof scope === 'string');
}
