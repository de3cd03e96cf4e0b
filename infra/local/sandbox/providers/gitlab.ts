import type { FakeHandler, FakeReply, FakeRequest } from '../fake-http';

/**
 * GitLab REST API v4 fake (issues): `GET /api/v4/projects/:id`, `POST /api/v4/projects/:id/issues`
 * and `GET /api/v4/personal_access_tokens/self`, where `:id` is a number or a URL-encoded path.
 * Answers in GitLab's wire format: `{"message": …}` / `{"error": …}` errors, `RateLimit-*` headers,
 * 201 with `iid` and `web_url`. Auth by `PRIVATE-TOKEN` or `Authorization: Bearer`; `invalid-token`
 * or no token → 401 `{"message":"401 Unauthorized"}`; any other token has the `api` scope.
 * Fixtures, by the project path's last segment: `missing` → 404 Project Not Found,
 * `issues-disabled` → `issues_enabled: false` and 403 on create.
 */

const LIMIT = 2000;

export function fakeGitlab(): FakeHandler {
  let observed = 0;
  let nextIid = 14;
  const resetAt = Math.floor(Date.now() / 1000) + 60;

  const rateHeaders = (): Record<string, string> => ({
    'ratelimit-name': 'throttle_authenticated_api',
    'ratelimit-limit': String(LIMIT),
    'ratelimit-observed': String(observed),
    'ratelimit-remaining': String(Math.max(0, LIMIT - observed)),
    'ratelimit-reset': String(resetAt),
  });
  const reply = (status: number, body: unknown): FakeReply => ({ status, headers: rateHeaders(), body });

  return (request: FakeRequest): FakeReply => {
    const bearer = request.headers.authorization?.replace(/^Bearer\s+/i, '');
    const header = request.headers['private-token'];
    const token = (Array.isArray(header) ? header[0] : header) ?? bearer;
    if (token === undefined || token === '' || token === 'invalid-token') {
      return reply(401, { message: '401 Unauthorized' });
    }
    observed += 1;

    if (request.path === '/api/v4/personal_access_tokens/self' && request.method === 'GET') {
      return reply(200, {
        id: 42,
        name: 'vigil',
        revoked: false,
        created_at: '2024-04-01T09:00:00.000Z',
        scopes: ['api'],
        user_id: 18,
        last_used_at: '2024-05-01T11:59:00.000Z',
        active: true,
        expires_at: '2025-04-01',
      });
    }

    const match = /^\/api\/v4\/projects\/([^/]+)(\/issues)?$/.exec(request.path);
    if (!match) return reply(404, { error: '404 Not Found' });
    const raw = decodeURIComponent(match[1] ?? '');
    const numeric = /^\d+$/.test(raw);
    const path = numeric ? `acme/project-${raw}` : raw;
    const last = path.split('/').pop() ?? '';
    if (last === 'missing' || !path.includes('/')) return reply(404, { message: '404 Project Not Found' });
    const projectId = numeric ? Number(raw) : 4;
    const webRoot = `https://gitlab.example.com/${path}`;

    if (!match[2]) {
      if (request.method !== 'GET') return reply(405, { error: '405 Method Not Allowed' });
      return reply(200, {
        id: projectId,
        name: last,
        path: last,
        path_with_namespace: path,
        web_url: webRoot,
        default_branch: 'main',
        visibility: 'private',
        archived: false,
        issues_enabled: last !== 'issues-disabled',
        permissions: { project_access: { access_level: 30, notification_level: 3 }, group_access: null },
      });
    }

    if (request.method !== 'POST') return reply(405, { error: '405 Method Not Allowed' });
    if (last === 'issues-disabled') return reply(403, { message: '403 Forbidden' });
    const json = request.json();
    const input = (typeof json === 'object' && json !== null ? json : Object.fromEntries(request.form())) as {
      title?: unknown;
      description?: unknown;
      labels?: unknown;
    };
    if (typeof input.title !== 'string' || input.title.trim() === '')
      return reply(400, { error: 'title is missing' });
    if (input.title.length > 255) {
      return reply(400, { message: { title: ['is too long (maximum is 255 characters)'] } });
    }
    const labels =
      typeof input.labels === 'string'
        ? input.labels
            .split(',')
            .map((l) => l.trim())
            .filter(Boolean)
        : [];
    const iid = nextIid++;
    const now = new Date().toISOString();
    return reply(201, {
      id: 80 + iid,
      iid,
      project_id: projectId,
      title: input.title,
      description: typeof input.description === 'string' ? input.description : null,
      state: 'opened',
      created_at: now,
      updated_at: now,
      closed_at: null,
      labels,
      milestone: null,
      assignees: [],
      assignee: null,
      type: 'ISSUE',
      author: {
        id: 18,
        username: 'vigil-bot',
        name: 'Vigil',
        state: 'active',
        web_url: 'https://gitlab.example.com/vigil-bot',
      },
      confidential: false,
      issue_type: 'issue',
      web_url: `${webRoot}/-/issues/${iid}`,
      references: { short: `#${iid}`, relative: `#${iid}`, full: `${path}#${iid}` },
      _links: {
        self: `https://gitlab.example.com/api/v4/projects/${projectId}/issues/${iid}`,
        notes: `https://gitlab.example.com/api/v4/projects/${projectId}/issues/${iid}/notes`,
        award_emoji: `https://gitlab.example.com/api/v4/projects/${projectId}/issues/${iid}/award_emoji`,
        project: `https://gitlab.example.com/api/v4/projects/${projectId}`,
      },
    });
  };
}
