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
  header,
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
 * GitHub Issues: creates an issue with `POST /repos/{owner}/{repo}/issues` (providers-actions.md §7).
 * Works with github.com or, when the `url` setting is present, a GitHub Enterprise Server API URL
 * (user-supplied, so the SSRF policy applies). Primary and secondary rate limits arrive as 403 or 429
 * and are told apart from a permission 403 by `retry-after`, `x-ratelimit-remaining: 0` or the message.
 */

const PUBLIC_API = 'https://api.github.com';
const SERVICE = 'GitHub';
const SECONDARY_WAIT_SECONDS = 60;

interface Repo {
  owner: string;
  repo: string;
  full: string;
}

function repoOf(ctx: AdapterContext): Repo {
  const owner = requiredSetting(ctx, 'owner', 'GitHub owner (user or organization)');
  const repo = requiredSetting(ctx, 'repo', 'GitHub repository');
  return { owner, repo, full: `${owner}/${repo}` };
}

function requestHeaders(token: string): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    authorization: `Bearer ${token}`,
    'x-github-api-version': '2022-11-28',
  };
}

/** Maps GitHub's error answers to typed errors with messages that say what to fix. */
function classifier(base: ServiceBase, repo: Repo, now: () => number, creating: boolean) {
  return (response: OutboundResponse): OutboundError | undefined => {
    const { status } = response;
    if (status < 400) return undefined;
    const details = detailsOf(response, base.host);
    const body = tryJson(response);
    const message = isRecord(body) ? (shortText(body.message) ?? '') : '';

    if (status === 403 || status === 429) {
      const retryAfter = header(response, 'retry-after');
      const remaining = header(response, 'x-ratelimit-remaining');
      const secondary = /secondary rate limit/i.test(message);
      if (
        retryAfter !== undefined ||
        remaining === '0' ||
        secondary ||
        /rate limit/i.test(message) ||
        status === 429
      ) {
        let seconds = SECONDARY_WAIT_SECONDS;
        if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) seconds = Number(retryAfter);
        else if (remaining === '0') {
          const reset = Number(header(response, 'x-ratelimit-reset'));
          if (Number.isFinite(reset) && reset > 0) seconds = Math.max(1, reset - now() / 1000);
        }
        const which = secondary ? 'secondary rate limit (too many issues created)' : 'API rate limit';
        return new OutboundRateLimitedError(
          `GitHub ${which} reached; retry in ${Math.ceil(seconds)} s`,
          seconds,
          details,
        );
      }
      if (/user-agent/i.test(message)) {
        return new OutboundBadRequestError('GitHub refused a request without a User-Agent header', details);
      }
      return new OutboundAuthError(
        `GitHub refused: the token lacks permission to create issues in ${repo.full} (${message || 'Forbidden'}). ` +
          'Give a fine-grained token "Issues: Read and write" on this repository, or a classic token the repo (or public_repo) scope.',
        details,
      );
    }
    if (status === 401) {
      return new OutboundAuthError(
        `GitHub rejected the token (${message || 'Bad credentials'}): it is wrong, expired or revoked. Create a new token and save it again.`,
        details,
      );
    }
    if (status === 404) {
      return new OutboundNotFoundError(
        `GitHub repository ${repo.full} was not found, or the token cannot see it. Check owner and repository, and that a fine-grained token includes this repository.`,
        details,
      );
    }
    if (status === 410) {
      return new OutboundBadRequestError(
        `Issues are disabled for ${repo.full}. Enable them under Settings → General → Features → Issues.`,
        details,
      );
    }
    if (status === 422) {
      const problems =
        isRecord(body) && Array.isArray(body.errors)
          ? body.errors
              .filter(isRecord)
              .map((item) =>
                [stringField(item, 'field'), stringField(item, 'code')].filter(Boolean).join(' '),
              )
              .filter((text) => text !== '')
          : [];
      const suffix = problems.length > 0 ? `: ${shortText(problems.join(', '))}` : '';
      return new OutboundBadRequestError(
        `GitHub refused the issue (${message || 'Validation Failed'}${suffix})`,
        details,
      );
    }
    if (status < 500) {
      return new OutboundBadRequestError(
        `GitHub refused the request (${status}${message ? `: ${message}` : ''})`,
        details,
      );
    }
    return creating ? noDuplicateRetry(SERVICE, response, base.host) : undefined;
  };
}

export const githubAdapter: TicketAdapter = {
  kind: 'ticketing',
  catalog: {
    name: 'github',
    displayName: 'GitHub Issues',
    category: 'ticketing',
    description:
      'Opens a GitHub issue in one repository for a case or playbook step, with labels. Works with github.com and GitHub Enterprise Server.',
    fields: [
      {
        name: 'token',
        label: 'Access token',
        type: 'secret',
        required: true,
        help: 'Fine-grained personal access token with "Issues: Read and write" on the repository (or a classic token with the repo / public_repo scope).',
        placeholder: 'github_pat_…',
      },
      {
        name: 'owner',
        label: 'Owner',
        type: 'text',
        required: true,
        help: 'User or organization that owns the repository.',
        placeholder: 'acme',
      },
      { name: 'repo', label: 'Repository', type: 'text', required: true, placeholder: 'security-alerts' },
      {
        name: 'url',
        label: 'GitHub Enterprise Server API URL',
        type: 'url',
        required: false,
        help: 'Only for GitHub Enterprise Server, e.g. https://github.example.com/api/v3. Leave empty for github.com.',
      },
    ],
    freeTier: {
      perMinute: 80,
      perDay: 12_000,
      summary:
        '5,000 API requests/hour per token; issue creation is further capped by secondary limits at 80 per minute and 500 per hour.',
    },
    priority: 'high',
    setupGuide: [
      'On GitHub open Settings → Developer settings → Personal access tokens → Fine-grained tokens and choose "Generate new token".',
      'Set Resource owner to the repository owner and Repository access to "Only select repositories", then pick the repository for security issues.',
      'Under Repository permissions set "Issues" to "Read and write" (Metadata: Read is added automatically) and generate the token.',
      'Copy the token (it is shown once) and paste it into Access token; enter the owner and repository name.',
      'Make sure Issues are enabled for the repository (Settings → General → Features → Issues).',
      'For GitHub Enterprise Server, enter the API URL https://<your-host>/api/v3.',
      'Press "Test": Vigil reads the repository without creating anything.',
    ],
    docsUrl: 'https://docs.github.com/en/rest/issues/issues#create-an-issue',
    userSuppliedUrl: true,
  },

  async create(ctx: AdapterContext, ticket: TicketInput) {
    const token = requiredCredential(ctx, 'token', 'GitHub access token');
    const repo = repoOf(ctx);
    const base = resolveBase(ctx, PUBLIC_API, { setting: 'url', suffix: '/api/v3' });
    const limits = TICKET_LIMITS.github;
    const labels = normalizeLabels(ticket.labels, { maxLength: limits.label, maxCount: limits.labels });
    const response = await ctx.http.request({
      method: 'POST',
      url: `${base.url}/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}/issues`,
      headers: requestHeaders(token),
      body: {
        title: truncateText(singleLine(ticket.title), limits.title),
        body: truncateText(ticket.body, limits.body, 'body'),
        ...(labels.length > 0 ? { labels } : {}),
      },
      userSuppliedUrl: base.userSuppliedUrl,
      redact: [token],
      classify: classifier(base, repo, ctx.now, true),
    });
    return parseSuccess(response, base.host, SERVICE, (body) => {
      if (!isRecord(body)) return undefined;
      const id = numberField(body, 'id');
      const number = numberField(body, 'number');
      const url = stringField(body, 'html_url');
      return id === undefined || number === undefined || url === undefined
        ? undefined
        : { id: String(id), number, url };
    });
  },

  async test(ctx: AdapterContext) {
    try {
      const token = requiredCredential(ctx, 'token', 'GitHub access token');
      const repo = repoOf(ctx);
      const base = resolveBase(ctx, PUBLIC_API, { setting: 'url', suffix: '/api/v3' });
      const response = await ctx.http.request({
        method: 'GET',
        url: `${base.url}/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}`,
        headers: requestHeaders(token),
        userSuppliedUrl: base.userSuppliedUrl,
        redact: [token],
        classify: classifier(base, repo, ctx.now, false),
      });
      const info = parseSuccess(response, base.host, SERVICE, (body) =>
        isRecord(body) && typeof body.has_issues === 'boolean'
          ? {
              fullName: stringField(body, 'full_name') ?? repo.full,
              hasIssues: body.has_issues,
              archived: body.archived === true,
              isPrivate: body.private === true,
            }
          : undefined,
      );
      if (info.archived) {
        return {
          ok: false,
          message: `${info.fullName} is archived (read-only): GitHub does not accept new issues there.`,
        };
      }
      if (!info.hasIssues) {
        return {
          ok: false,
          message: `Issues are disabled for ${info.fullName}. Enable them under Settings → General → Features → Issues.`,
        };
      }
      // Classic tokens report their scopes; fine-grained tokens and app tokens do not.
      // The header is present (possibly empty) only for classic tokens.
      const classic = response.headers['x-oauth-scopes'] !== undefined;
      if (classic) {
        const scopes = (header(response, 'x-oauth-scopes') ?? '')
          .split(',')
          .map((scope) => scope.trim())
          .filter(Boolean);
        const enough = scopes.includes('repo') || (!info.isPrivate && scopes.includes('public_repo'));
        if (!enough) {
          return {
            ok: false,
            message: `The classic token lacks the ${info.isPrivate ? 'repo' : 'public_repo'} scope needed to create issues in ${info.fullName} (it has: ${scopes.join(', ') || 'no scopes'}).`,
            details: { scopes },
          };
        }
      }
      return {
        ok: true,
        message: !classic
          ? `Connected to ${info.fullName}; issues are enabled. GitHub does not report fine-grained token permissions, so make sure the token has "Issues: Read and write".`
          : `Connected to ${info.fullName}; issues are enabled and the token can create them.`,
        details: { repository: info.fullName },
      };
    } catch (error) {
      return failureOutcome(SERVICE, error);
    }
  },
};
