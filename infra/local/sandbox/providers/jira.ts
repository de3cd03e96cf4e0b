import type { FakeHandler, FakeReply, FakeRequest } from '../fake-http';

/**
 * Jira Cloud REST v3 fake: `POST /rest/api/3/issue`, `GET /rest/api/3/myself`,
 * `GET /rest/api/3/project/{key}` and `GET /rest/api/3/mypermissions`. Answers in Jira's wire format:
 * `{errorMessages, errors}` bodies, a plain-text 401, 201 `{id, key, self}`. Basic auth with
 * `email:token`; a missing header or the token `invalid-token` → 401; any other pair is accepted.
 * Creation validates like Jira: summary present, on one line and ≤ 255 characters, description as an
 * ADF document (a plain string is refused) without empty text nodes, labels without spaces.
 * Fixtures, by project key: `MISSING` → unknown project, `READONLY` → no "Create issues" permission.
 * Every project has the issue types Task, Bug, Story, Epic and Subtask.
 */

const ISSUE_TYPES = ['Task', 'Bug', 'Story', 'Epic', 'Subtask'];

function errors(
  status: number,
  errorMessages: string[],
  fieldErrors: Record<string, string> = {},
): FakeReply {
  return { status, body: { errorMessages, errors: fieldErrors } };
}

/** True when every text node of an ADF tree has non-empty text and every node has a type. */
function validAdf(node: unknown): boolean {
  if (typeof node !== 'object' || node === null) return false;
  const { type, text, content } = node as { type?: unknown; text?: unknown; content?: unknown };
  if (typeof type !== 'string') return false;
  if (type === 'text' && (typeof text !== 'string' || text === '')) return false;
  if (content === undefined) return true;
  return Array.isArray(content) && content.every(validAdf);
}

export function fakeJira(): FakeHandler {
  let nextId = 10000;
  const counters = new Map<string, number>();

  return (request: FakeRequest): FakeReply => {
    const origin = `http://${request.headers.host ?? 'your-domain.atlassian.net'}`;
    const auth = request.headers.authorization;
    const decoded = auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
    const separator = decoded.indexOf(':');
    const email = separator > 0 ? decoded.slice(0, separator) : '';
    const token = separator > 0 ? decoded.slice(separator + 1) : '';
    if (email === '' || token === '' || token === 'invalid-token') {
      return {
        status: 401,
        headers: {
          'content-type': 'text/plain;charset=UTF-8',
          'www-authenticate': 'Basic realm="protected-area"',
        },
        body: 'Client must be authenticated to access this resource.',
      };
    }

    if (request.method === 'GET' && request.path === '/rest/api/3/myself') {
      return {
        status: 200,
        body: {
          self: `${origin}/rest/api/3/user?accountId=5b10ac8d82e05b22cc7d4ef5`,
          accountId: '5b10ac8d82e05b22cc7d4ef5',
          accountType: 'atlassian',
          emailAddress: email,
          displayName: 'Vigil Bot',
          active: true,
          timeZone: 'Etc/UTC',
        },
      };
    }

    const projectMatch = /^\/rest\/api\/3\/project\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && projectMatch) {
      const key = decodeURIComponent(projectMatch[1] ?? '').toUpperCase();
      if (key === 'MISSING') return errors(404, [`No project could be found with key '${key}'.`]);
      return {
        status: 200,
        body: {
          self: `${origin}/rest/api/3/project/10000`,
          id: '10000',
          key,
          name: `${key} project`,
          projectTypeKey: 'software',
          issueTypes: ISSUE_TYPES.map((name, index) => ({
            self: `${origin}/rest/api/3/issuetype/${10001 + index}`,
            id: String(10001 + index),
            name,
            subtask: name === 'Subtask',
          })),
        },
      };
    }

    if (request.method === 'GET' && request.path === '/rest/api/3/mypermissions') {
      const key = (request.query.get('projectKey') ?? '').toUpperCase();
      if (key === 'MISSING') return errors(404, [`No project could be found with key '${key}'.`]);
      const wanted = (request.query.get('permissions') ?? '').split(',').filter(Boolean);
      if (wanted.length === 0) return errors(400, ['The permissions query parameter is required.']);
      return {
        status: 200,
        body: {
          permissions: Object.fromEntries(
            wanted.map((permission) => [
              permission,
              {
                id: '11',
                key: permission,
                name: permission,
                type: 'PROJECT',
                havePermission: key !== 'READONLY',
              },
            ]),
          ),
        },
      };
    }

    if (request.method === 'POST' && request.path === '/rest/api/3/issue') {
      const body = request.json() as { fields?: Record<string, unknown> } | undefined;
      const fields = body?.fields;
      if (typeof fields !== 'object' || fields === null) return errors(400, ['No fields were provided.']);
      const project = fields.project as { key?: unknown } | undefined;
      const key = typeof project?.key === 'string' ? project.key.toUpperCase() : '';
      if (key === '' || key === 'MISSING') return errors(400, [], { project: 'valid project is required' });
      if (key === 'READONLY')
        return errors(403, ['You do not have permission to create issues in this project.']);
      const issueType = fields.issuetype as { name?: unknown } | undefined;
      if (typeof issueType?.name !== 'string' || !ISSUE_TYPES.includes(issueType.name)) {
        return errors(400, [], { issuetype: 'valid issue type is required' });
      }
      const summary = fields.summary;
      if (typeof summary !== 'string' || summary.trim() === '') {
        return errors(400, [], { summary: 'You must specify a summary of the issue.' });
      }
      if (/[\r\n]/.test(summary))
        return errors(400, [], { summary: 'The summary is invalid because it contains newline characters.' });
      if (summary.length > 255)
        return errors(400, [], { summary: 'Summary must be less than 255 characters.' });
      const description = fields.description;
      if (description !== undefined) {
        const doc = description as { type?: unknown; version?: unknown };
        if (
          typeof description !== 'object' ||
          description === null ||
          doc.type !== 'doc' ||
          doc.version !== 1
        ) {
          return errors(400, [], {
            description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)',
          });
        }
        if (!validAdf(description)) return errors(400, ['INVALID_INPUT']);
      }
      const labels = fields.labels;
      if (Array.isArray(labels)) {
        const spaced = labels.find((label) => typeof label !== 'string' || /\s/.test(label));
        if (spaced !== undefined) {
          return errors(400, [], {
            labels: `The label '${String(spaced)}' contains spaces which is invalid.`,
          });
        }
      }
      const id = String(nextId++);
      const number = (counters.get(key) ?? 23) + 1;
      counters.set(key, number);
      return { status: 201, body: { id, key: `${key}-${number}`, self: `${origin}/rest/api/3/issue/${id}` } };
    }

    return errors(404, ['The requested resource could not be found.']);
  };
}
