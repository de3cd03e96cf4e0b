import {
  OutboundAuthError,
  OutboundBadRequestError,
  type OutboundError,
  OutboundNotFoundError,
  OutboundRateLimitedError,
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
 * Trello: adds a card to one list with `POST /1/cards` (providers-actions.md §9). The API key and
 * token travel as query parameters, so both are redacted from every log line and error. Trello
 * answers 200 (not 201) with the card, and most errors as plain text; labels are matched by name to
 * the board's existing labels (Trello takes label ids; unknown names are skipped).
 */

const PUBLIC_API = 'https://api.trello.com';
const SERVICE = 'Trello';
/** Trello's rate-limit window; it sends no Retry-After. */
const WINDOW_MS = 10_000;

interface Target {
  base: ServiceBase;
  apiKey: string;
  token: string;
  listId: string;
}

function targetOf(ctx: AdapterContext): Target {
  return {
    base: resolveBase(ctx, PUBLIC_API),
    apiKey: requiredCredential(ctx, 'apiKey', 'Trello API key'),
    token: requiredCredential(ctx, 'token', 'Trello token'),
    listId: requiredSetting(ctx, 'listId', 'Trello list ID'),
  };
}

function classifier(target: Target, creating: boolean) {
  return (response: OutboundResponse): OutboundError | undefined => {
    const { status } = response;
    if (status < 400) return undefined;
    const details = detailsOf(response, target.base.host);
    const text = shortText(response.text()) ?? '';
    if (status === 429) {
      const body = tryJson(response);
      const which = isRecord(body) ? stringField(body, 'error') : undefined;
      const interval = Number(
        which === 'API_KEY_LIMIT_EXCEEDED'
          ? header(response, 'x-rate-limit-api-key-interval-ms')
          : header(response, 'x-rate-limit-api-token-interval-ms'),
      );
      const waitMs = Number.isFinite(interval) && interval > 0 ? interval : WINDOW_MS;
      return new OutboundRateLimitedError(
        `Trello rate limit reached (${which ?? 'rate limited'})`,
        waitMs / 1000,
        details,
      );
    }
    if (status === 401 || status === 403) {
      if (/invalid key/i.test(text)) {
        return new OutboundAuthError(
          'Trello rejected the API key: copy it again from https://trello.com/power-ups/admin (your Power-Up → API key).',
          details,
        );
      }
      if (/invalid token|expired token/i.test(text)) {
        return new OutboundAuthError(
          'Trello rejected the token: it is wrong, expired or revoked. Generate a new token with read,write scope and save it again.',
          details,
        );
      }
      return new OutboundAuthError(
        `Trello refused (${text || status}): the token lacks write access to the board of list ${target.listId}. Generate a token with scope read,write by a member of that board.`,
        details,
      );
    }
    if (status === 404) {
      return new OutboundNotFoundError(
        `Trello list ${target.listId} was not found, or the token's member cannot see its board (${text || 'not found'}).`,
        details,
      );
    }
    if (status === 400 && /idList|invalid id/i.test(text)) {
      return new OutboundBadRequestError(
        `Trello refused the list ID ${target.listId} (${text}): use the 24-character list id (open a card, add .json to its URL and read idList).`,
        details,
      );
    }
    if (status < 500) {
      return new OutboundBadRequestError(
        `Trello refused the request (${status}${text ? `: ${text}` : ''})`,
        details,
      );
    }
    return creating ? noDuplicateRetry(SERVICE, response, target.base.host) : undefined;
  };
}

async function get(ctx: AdapterContext, target: Target, path: string, query: Record<string, string>) {
  return ctx.http.request({
    method: 'GET',
    url: `${target.base.url}${path}`,
    query: { ...query, key: target.apiKey, token: target.token },
    headers: { accept: 'application/json' },
    redact: [target.apiKey, target.token],
    classify: classifier(target, false),
  });
}

interface List {
  name: string;
  closed: boolean;
  idBoard: string;
}

async function readList(ctx: AdapterContext, target: Target): Promise<List> {
  const response = await get(ctx, target, `/1/lists/${encodeURIComponent(target.listId)}`, {
    fields: 'name,closed,idBoard',
  });
  return parseSuccess(response, target.base.host, SERVICE, (body) => {
    if (!isRecord(body)) return undefined;
    const idBoard = stringField(body, 'idBoard');
    return idBoard === undefined
      ? undefined
      : { name: stringField(body, 'name') ?? target.listId, closed: body.closed === true, idBoard };
  });
}

/** Ids of the board's labels whose names match the ticket's labels (case-insensitive). */
async function labelIds(ctx: AdapterContext, target: Target, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const list = await readList(ctx, target);
  const response = await get(ctx, target, `/1/boards/${encodeURIComponent(list.idBoard)}/labels`, {
    fields: 'id,name',
    limit: '1000',
  });
  const labels = parseSuccess(response, target.base.host, SERVICE, (body) =>
    Array.isArray(body) ? body.filter(isRecord) : undefined,
  );
  const ids: string[] = [];
  for (const name of names) {
    const match = labels.find((label) => stringField(label, 'name')?.toLowerCase() === name.toLowerCase());
    const id = match === undefined ? undefined : stringField(match, 'id');
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

export const trelloAdapter: TicketAdapter = {
  kind: 'ticketing',
  catalog: {
    name: 'trello',
    displayName: 'Trello',
    category: 'ticketing',
    description:
      'Adds a card to a Trello list for a case or playbook step; labels are matched to the board labels by name.',
    fields: [
      {
        name: 'apiKey',
        label: 'API key',
        type: 'secret',
        required: true,
        help: 'The API key of your Trello Power-Up.',
      },
      {
        name: 'token',
        label: 'Token',
        type: 'secret',
        required: true,
        help: 'A user token authorized for this key with scope read,write.',
      },
      {
        name: 'listId',
        label: 'List ID',
        type: 'text',
        required: true,
        help: '24-character id of the list new cards go to.',
        placeholder: '5abbe4b7ddc1b351ef961414',
      },
    ],
    freeTier: {
      perSecond: 10,
      summary: '100 requests per 10 seconds per token and 300 per 10 seconds per API key.',
    },
    priority: 'low',
    setupGuide: [
      'Open https://trello.com/power-ups/admin, create a Power-Up for your workspace (any name, e.g. Vigil) and open its "API key" tab; generate and copy the API key.',
      'On the same page follow the "Token" link (or open https://trello.com/1/authorize?expiration=never&scope=read,write&response_type=token&key=<API key>) and allow access.',
      'Copy the token shown and paste the API key and the token into Vigil. The token acts as your Trello user, who must be a member of the board.',
      'Find the list ID: open any card in the target list, add .json to the card URL and copy the value of "idList".',
      'Paste the list ID and press "Test": Vigil reads the list and the token permissions without creating a card.',
    ],
    docsUrl: 'https://developer.atlassian.com/cloud/trello/rest/api-group-cards/#api-cards-post',
  },

  async create(ctx: AdapterContext, ticket: TicketInput) {
    const target = targetOf(ctx);
    const limits = TICKET_LIMITS.trello;
    const ids = await labelIds(
      ctx,
      target,
      normalizeLabels(ticket.labels, { maxLength: limits.label, maxCount: limits.labels }),
    );
    const response = await ctx.http.request({
      method: 'POST',
      url: `${target.base.url}/1/cards`,
      query: { key: target.apiKey, token: target.token },
      headers: { accept: 'application/json' },
      body: {
        idList: target.listId,
        name: truncateText(singleLine(ticket.title), limits.title),
        desc: truncateText(ticket.body, limits.body, 'body'),
        pos: 'top',
        ...(ids.length > 0 ? { idLabels: ids } : {}),
      },
      redact: [target.apiKey, target.token],
      classify: classifier(target, true),
    });
    return parseSuccess(response, target.base.host, SERVICE, (body) => {
      if (!isRecord(body)) return undefined;
      const id = stringField(body, 'id');
      const url = stringField(body, 'shortUrl') ?? stringField(body, 'url');
      if (id === undefined || url === undefined) return undefined;
      const idShort = numberField(body, 'idShort');
      return idShort === undefined ? { id, url } : { id, number: idShort, url };
    });
  },

  async test(ctx: AdapterContext): Promise<TestOutcome> {
    try {
      const target = targetOf(ctx);
      const list = await readList(ctx, target);
      if (list.closed) {
        return { ok: false, message: `Trello list "${list.name}" is archived; choose an open list.` };
      }
      const response = await get(ctx, target, `/1/tokens/${encodeURIComponent(target.token)}`, {
        fields: 'permissions,dateExpires',
      });
      const permissions = parseSuccess(response, target.base.host, SERVICE, (body) =>
        isRecord(body) && Array.isArray(body.permissions) ? body.permissions.filter(isRecord) : undefined,
      );
      const canWrite = permissions.some(
        (permission) =>
          permission.write === true &&
          (permission.idModel === '*' ||
            permission.idModel === list.idBoard ||
            permission.modelType === 'Organization'),
      );
      if (!canWrite) {
        return {
          ok: false,
          message: `The Trello token is read-only for the board of list "${list.name}". Generate a new token with scope read,write.`,
        };
      }
      return {
        ok: true,
        message: `Connected to Trello; cards will be added to list "${list.name}".`,
        details: { list: list.name, board: list.idBoard },
      };
    } catch (error) {
      return failureOutcome(SERVICE, error);
    }
  },
};
