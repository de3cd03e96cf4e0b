import type { FakeHandler, FakeReply, FakeRequest } from '../fake-http';

/**
 * Trello REST API fake: `POST /1/cards`, `GET /1/lists/{id}`, `GET /1/boards/{id}/labels` and
 * `GET /1/tokens/{token}`. Answers in Trello's wire format: plain-text error bodies
 * (`invalid key`, `invalid token`, `invalid value for idList`, …), HTTP 200 with the card, and the
 * `x-rate-limit-api-{key,token}-*` headers on every answer. Auth by `key`/`token` query (or form/JSON
 * body) parameters or the `Authorization: OAuth oauth_consumer_key=…, oauth_token=…` header: key
 * `invalid-key` or none → `invalid key`; token `invalid-token` → `invalid token`; no token →
 * `unauthorized permission requested`; anything else is accepted with read/write permissions.
 * Lists: any 24-hex id is an open list on board `BOARD_ID`, except `UNKNOWN_LIST` (not found) and
 * `ARCHIVED_LIST` (closed). The board has the labels `security`, `phishing` and an unnamed green one.
 */

export const FAKE_TRELLO_BOARD_ID = '5abbe4b7ddc1b351ef961400';
export const FAKE_TRELLO_UNKNOWN_LIST = '000000000000000000000000';
export const FAKE_TRELLO_ARCHIVED_LIST = 'ffffffffffffffffffffffff';
const HEX_ID = /^[0-9a-f]{24}$/;

const LABELS = [
  { id: '5abbe4b7ddc1b351ef9614a1', idBoard: FAKE_TRELLO_BOARD_ID, name: 'security', color: 'red' },
  { id: '5abbe4b7ddc1b351ef9614a2', idBoard: FAKE_TRELLO_BOARD_ID, name: 'phishing', color: 'orange' },
  { id: '5abbe4b7ddc1b351ef9614a3', idBoard: FAKE_TRELLO_BOARD_ID, name: '', color: 'green' },
];

function text(status: number, body: string, headers: Record<string, string>): FakeReply {
  return { status, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body };
}

/** Credentials from the query, the body or the OAuth header, as Trello accepts them. */
function credentials(request: FakeRequest): { key: string | undefined; token: string | undefined } {
  const oauth = request.headers.authorization ?? '';
  const fromHeader = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(oauth)?.[1];
  const json = request.json();
  const body = (
    typeof json === 'object' && json !== null ? json : Object.fromEntries(request.form())
  ) as Record<string, unknown>;
  const pick = (name: string, header: string) => {
    const value =
      request.query.get(name) ??
      (typeof body[name] === 'string' ? body[name] : undefined) ??
      fromHeader(header);
    return value === '' ? undefined : value;
  };
  return { key: pick('key', 'oauth_consumer_key'), token: pick('token', 'oauth_token') };
}

export function fakeTrello(): FakeHandler {
  let keyRemaining = 300;
  let tokenRemaining = 100;
  let nextShort = 42;

  return (request: FakeRequest): FakeReply => {
    keyRemaining = Math.max(0, keyRemaining - 1);
    tokenRemaining = Math.max(0, tokenRemaining - 1);
    const headers = {
      'x-rate-limit-api-key-interval-ms': '10000',
      'x-rate-limit-api-key-max': '300',
      'x-rate-limit-api-key-remaining': String(keyRemaining),
      'x-rate-limit-api-token-interval-ms': '10000',
      'x-rate-limit-api-token-max': '100',
      'x-rate-limit-api-token-remaining': String(tokenRemaining),
    };
    const { key, token } = credentials(request);
    if (key === undefined || key === 'invalid-key') return text(401, 'invalid key', headers);
    if (token === undefined) return text(401, 'unauthorized permission requested', headers);
    if (token === 'invalid-token') return text(401, 'invalid token', headers);
    const json = (status: number, body: unknown): FakeReply => ({ status, headers, body });

    const list = /^\/1\/lists\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && list) {
      const id = decodeURIComponent(list[1] ?? '');
      if (!HEX_ID.test(id)) return text(400, 'invalid id', headers);
      if (id === FAKE_TRELLO_UNKNOWN_LIST) return text(404, 'The requested resource was not found.', headers);
      return json(200, {
        id,
        name: 'Security alerts',
        closed: id === FAKE_TRELLO_ARCHIVED_LIST,
        idBoard: FAKE_TRELLO_BOARD_ID,
        pos: 16384,
      });
    }

    const labels = /^\/1\/boards\/([^/]+)\/labels$/.exec(request.path);
    if (request.method === 'GET' && labels) {
      if (decodeURIComponent(labels[1] ?? '') !== FAKE_TRELLO_BOARD_ID) {
        return text(404, 'The requested resource was not found.', headers);
      }
      return json(200, LABELS);
    }

    const tokenPath = /^\/1\/tokens\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && tokenPath) {
      if (decodeURIComponent(tokenPath[1] ?? '') !== token) return text(401, 'invalid token', headers);
      return json(200, {
        id: '5f0c1e2d3b4a596877665544',
        identifier: 'Vigil',
        idMember: '5abbe4b7ddc1b351ef961111',
        dateCreated: '2024-04-01T09:00:00.000Z',
        dateExpires: null,
        permissions: [
          { idModel: '*', modelType: 'Board', read: true, write: true },
          { idModel: '*', modelType: 'Organization', read: true, write: true },
        ],
      });
    }

    if (request.method === 'POST' && request.path === '/1/cards') {
      const raw = request.json();
      const body = (
        typeof raw === 'object' && raw !== null ? raw : Object.fromEntries(request.form())
      ) as Record<string, unknown>;
      const idList = request.query.get('idList') ?? body.idList;
      if (typeof idList !== 'string' || !HEX_ID.test(idList))
        return text(400, 'invalid value for idList', headers);
      if (idList === FAKE_TRELLO_UNKNOWN_LIST) {
        return text(404, 'could not find the board that the card belongs to', headers);
      }
      const name = typeof body.name === 'string' ? body.name : '';
      if (name.length > 16_384) return text(400, 'invalid value for name', headers);
      const idLabels = Array.isArray(body.idLabels)
        ? body.idLabels.filter((id) => typeof id === 'string')
        : [];
      const unknownLabel = idLabels.find((id) => !LABELS.some((label) => label.id === id));
      if (unknownLabel !== undefined) return text(400, 'invalid value for idLabels', headers);
      const idShort = nextShort++;
      const shortLink = `AbCd${idShort.toString(36).padStart(4, '0')}`;
      const slug = name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '');
      return json(200, {
        id: `6630f0c1a1b2c3d4e5f6${idShort.toString(16).padStart(4, '0')}`,
        name,
        desc: typeof body.desc === 'string' ? body.desc : '',
        idList,
        idBoard: FAKE_TRELLO_BOARD_ID,
        idShort,
        shortLink,
        shortUrl: `https://trello.com/c/${shortLink}`,
        url: `https://trello.com/c/${shortLink}/${idShort}-${slug}`,
        pos: 8192,
        closed: false,
        dateLastActivity: new Date().toISOString(),
        idLabels,
        labels: LABELS.filter((label) => idLabels.includes(label.id)),
        idMembers: [],
        badges: {
          attachments: 0,
          comments: 0,
          description: typeof body.desc === 'string' && body.desc !== '',
        },
        attachments: [],
      });
    }

    return text(404, `Cannot ${request.method} ${request.path}`, headers);
  };
}
