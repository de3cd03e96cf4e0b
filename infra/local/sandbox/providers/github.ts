import type { FakeHandler, FakeReply, FakeRequest } from '../fake-http';

/**
 * GitHub REST API fake (issues): `GET /repos/{owner}/{repo}` and `POST /repos/{owner}/{repo}/issues`,
 * also under the GitHub Enterprise Server prefix `/api/v3`. Answers in GitHub's wire format: JSON
 * errors `{message, documentation_url, status}`, `x-ratelimit-*` headers on every answer, 201 with a
 * `Location` header for a new issue. Fixtures, by repository name: `missing` → 404, `issues-disabled`
 * → `has_issues: false` and 410 on create, `read-only` → 403 "Resource not accessible" on create,
 * `throttled` → the secondary rate limit on create (403, `retry-after: 2`, GitHub's message).
 * Token `invalid-token` → 401 Bad credentials; no Authorization → 401 Requires authentication; no
 * User-Agent → 403. Any other token is accepted and reported as a classic token with the `repo` scope.
 */

const DOCS = 'https://docs.github.com/rest';
const LIMIT = 5000;

export function fakeGithub(): FakeHandler {
  let used = 0;
  let nextNumber = 1346;
  const resetAt = Math.floor(Date.now() / 1000) + 3600;

  const rateHeaders = (): Record<string, string> => ({
    'x-ratelimit-limit': String(LIMIT),
    'x-ratelimit-remaining': String(Math.max(0, LIMIT - used)),
    'x-ratelimit-used': String(used),
    'x-ratelimit-reset': String(resetAt),
    'x-ratelimit-resource': 'core',
    'x-github-api-version-selected': '2022-11-28',
  });
  const error = (status: number, message: string, extra: Record<string, unknown> = {}): FakeReply => ({
    status,
    headers: rateHeaders(),
    body: { message, documentation_url: DOCS, status: String(status), ...extra },
  });

  return (request: FakeRequest): FakeReply => {
    const path = request.path.replace(/^\/api\/v3(?=\/)/, '');
    if (!request.headers['user-agent']) {
      return error(
        403,
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
      );
    }
    const auth = request.headers.authorization;
    if (auth === undefined) return error(401, 'Requires authentication');
    const token = auth.replace(/^(Bearer|token)\s+/i, '');
    if (token === '' || token === 'invalid-token') return error(401, 'Bad credentials');
    used += 1;

    const match = /^\/repos\/([^/]+)\/([^/]+)(\/issues)?$/.exec(path);
    if (!match) return error(404, 'Not Found');
    const owner = decodeURIComponent(match[1] ?? '');
    const repo = decodeURIComponent(match[2] ?? '');
    if (repo === 'missing') return error(404, 'Not Found');
    const fullName = `${owner}/${repo}`;
    const origin = `http://${request.headers.host ?? 'api.github.com'}`;

    if (!match[3]) {
      if (request.method !== 'GET') return error(404, 'Not Found');
      return {
        status: 200,
        headers: { ...rateHeaders(), 'x-oauth-scopes': 'repo', 'x-accepted-oauth-scopes': 'repo' },
        body: {
          id: 1296269,
          node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5',
          name: repo,
          full_name: fullName,
          private: true,
          owner: { login: owner, id: 1, type: 'Organization' },
          html_url: `https://github.com/${fullName}`,
          has_issues: repo !== 'issues-disabled',
          archived: false,
          permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
        },
      };
    }

    if (request.method !== 'POST') return error(404, 'Not Found');
    if (repo === 'issues-disabled') return error(410, 'Issues are disabled for this repo');
    if (repo === 'read-only') return error(403, 'Resource not accessible by personal access token');
    if (repo === 'throttled') {
      return {
        ...error(
          403,
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
        ),
        headers: { ...rateHeaders(), 'retry-after': '2' },
      };
    }
    const body = request.json();
    if (typeof body !== 'object' || body === null) return error(400, 'Problems parsing JSON');
    const input = body as { title?: unknown; body?: unknown; labels?: unknown };
    if (typeof input.title !== 'string' && typeof input.title !== 'number') {
      return error(422, 'Validation Failed', {
        errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }],
      });
    }
    const labels = Array.isArray(input.labels) ? input.labels.filter((l) => typeof l === 'string') : [];
    const number = nextNumber++;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return {
      status: 201,
      headers: { ...rateHeaders(), location: `${origin}/repos/${fullName}/issues/${number}` },
      body: {
        id: 2_000_000 + number,
        node_id: Buffer.from(`Issue${number}`).toString('base64'),
        number,
        url: `${origin}/repos/${fullName}/issues/${number}`,
        html_url: `https://github.com/${fullName}/issues/${number}`,
        repository_url: `${origin}/repos/${fullName}`,
        state: 'open',
        state_reason: null,
        title: String(input.title),
        body: typeof input.body === 'string' ? input.body : null,
        user: { login: 'vigil-bot', id: 42, type: 'User' },
        labels: labels.map((name, index) => ({
          id: 208045946 + index,
          name,
          color: 'f29513',
          default: false,
        })),
        assignee: null,
        assignees: [],
        milestone: null,
        locked: false,
        comments: 0,
        created_at: now,
        updated_at: now,
        closed_at: null,
        author_association: 'OWNER',
      },
    };
  };
}
