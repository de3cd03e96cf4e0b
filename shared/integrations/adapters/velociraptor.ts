import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import { BadRequestError } from '../../platform/errors';
import {
  OutboundAuthError,
  OutboundBadRequestError,
  type OutboundError,
  OutboundNotFoundError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from '../http/errors';
import { pinUserUrl, type SsrfPolicy } from '../http/ssrf';
import type { AdapterBase, AdapterContext, CatalogEntry, TestOutcome } from '../ports';
import { velociraptorProtoFile } from './velociraptor/api-proto';

/**
 * Velociraptor (self-hosted DFIR server) as an endpoint-response integration: list and look up
 * endpoints, schedule artifact collections, create hunts and read their results. The server has no
 * REST API; every action is a VQL query sent through the gRPC `Query` stream over mutual TLS with the
 * API identity in a user's `api_client.yaml` (shared/reference/providers-intel.md §13).
 *
 * Safety rules this module keeps:
 * - the VQL text is always one of the constant queries below; every user value (client id, search,
 *   artifact names, parameters, description) travels in the request's `env` and is referenced as a
 *   VQL variable, so nothing a user types can change the query;
 * - the connection string is user input: its host is resolved once and refused unless every address
 *   is public (the SSRF policy of `../http/ssrf.ts`), and the channel dials the pinned address;
 * - the server certificate must chain to the CA in the YAML and be issued to `VelociraptorServer`;
 * - configuration errors name the field at fault and never repeat any of the YAML's content.
 */

// --- configuration --------------------------------------------------------------------------------

/** The TLS name every Velociraptor server certificate is issued to. */
export const VELOCIRAPTOR_SERVER_NAME = 'VelociraptorServer';

/** Field that holds the whole `api_client.yaml`. */
export const API_CLIENT_YAML_FIELD = 'api_client_yaml';

/** A broken or unusable `api_client.yaml`; the user must fix the file, so it maps to a 400. */
export class VelociraptorConfigError extends BadRequestError {
  constructor(message: string) {
    super(message, 'invalid_api_client_yaml');
    Object.defineProperty(this, 'name', {
      value: 'VelociraptorConfigError',
      configurable: true,
      writable: true,
    });
  }
}

/** A parsed, checked `api_client.yaml`. Holds key material: never log or serialise it. */
export interface VelociraptorApiConfig {
  caCertificate: string;
  clientCert: string;
  clientPrivateKey: string;
  host: string;
  port: number;
  /** The API user name (the client certificate's CN). */
  name: string;
}

const yamlFields = ['ca_certificate', 'client_cert', 'client_private_key', 'api_connection_string'] as const;

function requireCertificate(text: string, field: string): X509Certificate {
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new VelociraptorConfigError(`\`${field}\` in api_client.yaml is not a PEM certificate.`);
  }
  try {
    return new X509Certificate(text);
  } catch {
    throw new VelociraptorConfigError(`\`${field}\` in api_client.yaml is not a readable certificate.`);
  }
}

function requirePrivateKey(text: string): KeyObject {
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(text)) {
    throw new VelociraptorConfigError('`client_private_key` in api_client.yaml is not a PEM private key.');
  }
  try {
    return createPrivateKey(text);
  } catch {
    throw new VelociraptorConfigError(
      '`client_private_key` in api_client.yaml is not a readable private key (encrypted keys are not supported).',
    );
  }
}

/** `host:port`, `[v6]:port`; the host must be a name or an IP literal, the port 1–65535. */
function parseConnectionString(text: string): { host: string; port: number } {
  const bad = () =>
    new VelociraptorConfigError(
      '`api_connection_string` in api_client.yaml must be host:port, e.g. velociraptor.example.com:8001.',
    );
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) throw bad();
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) throw bad();
  if (match[1] !== undefined && isIP(host) !== 6) throw bad();
  return { host, port };
}

/**
 * Parses and checks an `api_client.yaml` as written by `velociraptor config api_client`: all PEM
 * blocks readable, the key belonging to the client certificate, the certificates current at `nowMs`,
 * and a `host:port` connection string. Throws `VelociraptorConfigError` naming the field at fault.
 */
export function parseApiClientYaml(
  text: string | undefined,
  nowMs: number = Date.now(),
): VelociraptorApiConfig {
  if (text === undefined || text.trim() === '') {
    throw new VelociraptorConfigError(
      'Paste the whole api_client.yaml produced by `velociraptor config api_client`.',
    );
  }
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const [firstError] = document.errors;
  if (firstError) {
    // The parser's own message quotes the offending line, which may be key material: only say where.
    const line = firstError.linePos?.[0].line;
    throw new VelociraptorConfigError(
      `api_client.yaml is not valid YAML${line === undefined ? '' : ` (line ${line})`}.`,
    );
  }
  const data: unknown = document.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new VelociraptorConfigError(
      'api_client.yaml must be a YAML mapping with the fields the server wrote.',
    );
  }
  const record = data as Record<string, unknown>;
  const missing = yamlFields.filter((field) => typeof record[field] !== 'string' || record[field] === '');
  if (missing.length > 0) {
    throw new VelociraptorConfigError(
      `api_client.yaml is missing ${missing.map((field) => `\`${field}\``).join(', ')}; paste the complete file.`,
    );
  }
  const caCertificate = record.ca_certificate as string;
  const clientCert = record.client_cert as string;
  const clientPrivateKey = record.client_private_key as string;
  const ca = requireCertificate(caCertificate, 'ca_certificate');
  const cert = requireCertificate(clientCert, 'client_cert');
  const key = requirePrivateKey(clientPrivateKey);
  if (!cert.checkPrivateKey(key)) {
    throw new VelociraptorConfigError(
      '`client_private_key` does not belong to `client_cert` in api_client.yaml.',
    );
  }
  for (const [field, certificate] of [
    ['ca_certificate', ca],
    ['client_cert', cert],
  ] as const) {
    if (Date.parse(certificate.validTo) < nowMs) {
      throw new VelociraptorConfigError(
        `\`${field}\` in api_client.yaml expired on ${new Date(certificate.validTo).toISOString().slice(0, 10)}; create a new API client.`,
      );
    }
  }
  const { host, port } = parseConnectionString(record.api_connection_string as string);
  const name = typeof record.name === 'string' && record.name !== '' ? record.name : commonNameOf(cert);
  return { caCertificate, clientCert, clientPrivateKey, host, port, name };
}

function commonNameOf(cert: X509Certificate): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? 'unknown';
}

// --- gRPC plumbing -----------------------------------------------------------------------------

interface VqlEnv {
  key: string;
  value: string;
}

interface VqlCollectorArgs {
  env: VqlEnv[];
  Query: { Name: string; VQL: string }[];
  max_row: number;
  max_wait: number;
  org_id: string;
}

interface VqlResponse {
  Response: string;
  Columns: string[];
  log: string;
  query_id: string;
  part: string;
}

interface ApiClient extends grpc.Client {
  Query(args: VqlCollectorArgs, options: grpc.CallOptions): grpc.ClientReadableStream<VqlResponse>;
}

type ApiClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => ApiClient;

let apiClientConstructor: ApiClientConstructor | undefined;

/** Loads the API definition once per container. */
function loadApi(): ApiClientConstructor {
  if (apiClientConstructor) return apiClientConstructor;
  const protoPath = velociraptorProtoFile();
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as { proto: { API: unknown } };
  apiClientConstructor = loaded.proto.API as ApiClientConstructor;
  return apiClientConstructor;
}

/** The SSRF policy knobs that apply to a gRPC host (no scheme, no user info). */
export type VelociraptorSsrfPolicy = Pick<SsrfPolicy, 'allowList' | 'resolve' | 'blockedPorts'>;

export interface VelociraptorAdapterOptions {
  /** Test-only allow-list and resolver for local fakes; deployed code passes nothing. */
  ssrf?: VelociraptorSsrfPolicy;
  /** Deadline of one `Query` call, connect included. */
  timeoutMs?: number;
  /** Refuse a query whose rows exceed this many bytes of JSON. */
  maxResponseBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

const ssrfMessages: Partial<Record<SsrfBlockedError['reason'], string>> = {
  address:
    '`api_connection_string` points to (or resolves to) an address that is not public, which Vigil does not call. Expose the Velociraptor API on a public address.',
  hostname:
    '`api_connection_string` names a local or internal host, which Vigil does not call. Use the public name of the Velociraptor API.',
  port: '`api_connection_string` uses a port reserved for internal services; use the Velociraptor API port (8001 by default).',
};

/** Where the channel must connect: the pinned address, never the name again. */
interface PinnedEndpoint {
  address: string;
  port: number;
  /** `ipv4:a.b.c.d:port` / `ipv6:[…]:port`: resolver schemes that do no DNS lookup. */
  grpcTarget: string;
}

/** Resolves and checks the connection host once; the channel then dials the address it returned. */
async function pinTarget(
  config: VelociraptorApiConfig,
  policy: VelociraptorSsrfPolicy,
): Promise<PinnedEndpoint> {
  const hostForUrl = isIP(config.host) === 6 ? `[${config.host}]` : config.host;
  let pinned: Awaited<ReturnType<typeof pinUserUrl>>;
  try {
    pinned = await pinUserUrl(new URL(`https://${hostForUrl}:${config.port}/`), policy);
  } catch (error) {
    if (error instanceof SsrfBlockedError) {
      throw new SsrfBlockedError(error.reason, ssrfMessages[error.reason] ?? error.message);
    }
    throw error;
  }
  const grpcTarget =
    pinned.family === 6 ? `ipv6:[${pinned.address}]:${config.port}` : `ipv4:${pinned.address}:${config.port}`;
  return { address: pinned.address, port: config.port, grpcTarget };
}

/**
 * gRPC reports a server that rejects our client certificate exactly like a refused connection
 * ("Failed to connect"). After such a failure one plain TLS handshake with the same credentials tells
 * them apart: with TLS 1.3 the server checks the client certificate after the handshake completes, so
 * a rejection shows up as an alert (Go servers such as Velociraptor) or as the connection closing
 * before the HTTP/2 server preface that an accepting server sends at once (Node servers).
 */
function clientCertificateRejected(
  endpoint: PinnedEndpoint,
  config: VelociraptorApiConfig,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    let handshook = false;
    const finish = (rejected: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(rejected);
    };
    const socket = tlsConnect({
      host: endpoint.address,
      port: endpoint.port,
      ca: config.caCertificate,
      cert: config.clientCert,
      key: config.clientPrivateKey,
      ALPNProtocols: ['h2'],
      checkServerIdentity: (_host, cert) => checkServerIdentity(VELOCIRAPTOR_SERVER_NAME, cert),
    });
    const timer = setTimeout(() => finish(false), Math.min(timeoutMs, 3_000));
    socket.on('secureConnect', () => {
      handshook = true;
    });
    socket.on('data', () => finish(false));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(/ALERT/.test(error.code ?? '') || (handshook && error.code === 'ECONNRESET')),
    );
    socket.on('end', () => finish(handshook));
    socket.on('close', () => finish(handshook));
  });
}

/** What one `Query` call returned: the rows of every response message, and the query log lines. */
interface VqlResult {
  rows: Record<string, unknown>[];
  logs: string[];
}

const TLS_HINT = /certificate|ssl|tls|handshake|altname|self[- ]signed|unable to verify|alert/i;

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Maps a gRPC status to the outbound error classes every integration caller already handles. */
function mapGrpcError(error: grpc.ServiceError, host: string, timeoutMs: number): OutboundError {
  const details = { host, cause: error };
  const said = shorten(error.details ?? '');
  switch (error.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new OutboundTimeoutError(
        `Velociraptor query on ${host} did not finish within ${timeoutMs} ms`,
        timeoutMs,
        details,
      );
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return new OutboundAuthError(
        `Velociraptor refused the API client (${said || 'permission denied'}); it needs the api role and the permissions of the action.`,
        details,
      );
    case grpc.status.NOT_FOUND:
      return new OutboundNotFoundError(`Velociraptor on ${host}: ${said || 'not found'}`, details);
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.OUT_OF_RANGE:
      return new OutboundBadRequestError(`Velociraptor on ${host} rejected the query: ${said}`, details);
    case grpc.status.UNAVAILABLE:
      if (TLS_HINT.test(error.details ?? '')) {
        // A failed handshake will fail again: it is the certificates that are wrong, not the network.
        return new OutboundAuthError(
          `TLS with the Velociraptor server on ${host} failed: its certificate must be signed by the ca_certificate in api_client.yaml and issued to ${VELOCIRAPTOR_SERVER_NAME}.`,
          details,
        );
      }
      return new UpstreamError(`Velociraptor on ${host} is unavailable: ${said}`, {
        ...details,
        retryable: true,
      });
    case grpc.status.CANCELLED:
    case grpc.status.ABORTED:
      return new UpstreamError(`Velociraptor query on ${host} was interrupted: ${said}`, {
        ...details,
        retryable: true,
      });
    default:
      return new UpstreamError(`Velociraptor on ${host} failed the query: ${said}`, details);
  }
}

function clientCertificateError(host: string, cause: unknown): OutboundAuthError {
  return new OutboundAuthError(
    `The Velociraptor server on ${host} refused Vigil's client certificate: client_cert in api_client.yaml must be issued by that server's CA. Create a new API client with \`velociraptor config api_client\`.`,
    { host, cause },
  );
}

// --- VQL ---------------------------------------------------------------------------------------

/**
 * The only VQL this adapter sends. Upper-case identifiers other than keywords are `env` variables
 * filled per call; `LIMIT` takes a validated integer (the grammar has no variable form there).
 */
export const VQL = {
  info: 'SELECT config.Version.Name AS Name, config.Version.Version AS Version, config.Version.BuildTime AS BuildTime, Hostname, OS, Platform FROM info()',
  clientColumns:
    'client_id, os_info.hostname AS Hostname, os_info.fqdn AS Fqdn, os_info.system AS OS, os_info.release AS Release, agent_information.version AS AgentVersion, first_seen_at, last_seen_at, last_ip, labels',
  listClients: (limit: number, withSearch: boolean) =>
    `SELECT ${VQL.clientColumns} FROM clients(${withSearch ? 'search=Search' : ''}) LIMIT ${limit}`,
  getClient: () => `SELECT ${VQL.clientColumns} FROM clients(client_id=ClientId) LIMIT 1`,
  collect: (urgent: boolean) =>
    `SELECT collect_client(client_id=ClientId, artifacts=parse_json_array(data=ArtifactsJson), spec=parse_json(data=SpecJson), urgent=${urgent ? 'TRUE' : 'FALSE'}) AS Flow FROM scope()`,
  hunt: 'SELECT hunt(description=Description, artifacts=parse_json_array(data=ArtifactsJson), spec=parse_json(data=SpecJson), expires=now() + int(int=ExpiresInSeconds)) AS Hunt FROM scope()',
  huntResults: (limit: number) =>
    `SELECT * FROM hunt_results(hunt_id=HuntId, artifact=Artifact) LIMIT ${limit}`,
} as const;

const CLIENT_ID = /^C\.[0-9a-f]{16}$/;
const HUNT_ID = /^H\.[A-Za-z0-9]{1,40}$/;
const FLOW_ID = /^F\.[A-Za-z0-9]{1,40}(\.H)?$/;
const ARTIFACT_NAME = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;
/** `hunt_results` also takes `Artifact/Source`. */
const ARTIFACT_SOURCE = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*(?:\/[A-Za-z0-9_ ]+)?$/;
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ORG_ID = /^[A-Za-z0-9]{0,32}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function invalid(message: string): BadRequestError {
  return new BadRequestError(message, 'invalid_velociraptor_request');
}

function checkClientId(clientId: string): string {
  if (!CLIENT_ID.test(clientId))
    throw invalid('A Velociraptor client id looks like C. followed by 16 hex digits.');
  return clientId;
}

function checkArtifacts(artifacts: readonly string[]): string[] {
  if (artifacts.length === 0 || artifacts.length > 20) throw invalid('Give between 1 and 20 artifact names.');
  for (const name of artifacts) {
    if (name.length > 200 || !ARTIFACT_NAME.test(name)) {
      throw invalid('Artifact names are dotted words such as Windows.System.Pslist.');
    }
  }
  return [...new Set(artifacts)];
}

function checkLimit(limit: number, max: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw invalid(`limit must be an integer from 1 to ${max}.`);
  return limit;
}

function checkText(value: string, what: string, max: number): string {
  if (value.length > max || CONTROL.test(value)) {
    throw invalid(`${what} must be at most ${max} characters without control characters.`);
  }
  return value;
}

function checkParameters(parameters: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(parameters ?? {})) {
    if (!PARAMETER_NAME.test(name) || name.length > 100) {
      throw invalid('Artifact parameter names are letters, digits and underscores.');
    }
    if (typeof value !== 'string') throw invalid('Artifact parameter values are strings.');
    checked[name] = checkText(value, `Parameter ${name}`, 4096);
  }
  return checked;
}

/** `{"Artifact.Name": {"Param": "value"}}` for `spec=`: the same parameters for every artifact. */
function specJson(artifacts: readonly string[], parameters: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(artifacts.map((name) => [name, parameters])));
}

// --- row schemas and normalisation -------------------------------------------------------------

const microseconds = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .optional()
  .nullable();

const clientRow = z.object({
  client_id: z.string().regex(CLIENT_ID),
  Hostname: z.string().nullish(),
  Fqdn: z.string().nullish(),
  OS: z.string().nullish(),
  Release: z.string().nullish(),
  AgentVersion: z.string().nullish(),
  first_seen_at: microseconds,
  last_seen_at: microseconds,
  last_ip: z.string().nullish(),
  labels: z.array(z.string()).nullish(),
});

/** An endpoint enrolled in Velociraptor. */
export interface EndpointClient {
  clientId: string;
  hostname?: string;
  fqdn?: string;
  /** `windows`, `linux`, `darwin`. */
  os?: string;
  release?: string;
  agentVersion?: string;
  firstSeenAt?: string;
  lastSeenAt?: string;
  /** As the server reports it, usually `ip:port` of the last connection. */
  lastIp?: string;
  labels: string[];
}

function isoFromMicros(value: number | null | undefined): string | undefined {
  if (value === undefined || value === null || value <= 0) return undefined;
  const date = new Date(Math.floor(value / 1000));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function toEndpointClient(row: Record<string, unknown>, host: string): EndpointClient {
  const parsed = clientRow.safeParse(row);
  if (!parsed.success)
    throw new UpstreamError(`Velociraptor on ${host} returned a client row Vigil cannot read`, { host });
  const r = parsed.data;
  const client: EndpointClient = { clientId: r.client_id, labels: r.labels ?? [] };
  const optional: [keyof EndpointClient, string | null | undefined][] = [
    ['hostname', r.Hostname],
    ['fqdn', r.Fqdn],
    ['os', r.OS],
    ['release', r.Release],
    ['agentVersion', r.AgentVersion],
    ['firstSeenAt', isoFromMicros(r.first_seen_at)],
    ['lastSeenAt', isoFromMicros(r.last_seen_at)],
    ['lastIp', r.last_ip],
  ];
  for (const [key, value] of optional) if (value) (client as unknown as Record<string, unknown>)[key] = value;
  return client;
}

const PERMISSION_LOG = /permission denied|not allowed|unauthori[sz]ed/i;

/** An action that returned `null`: the reason is in the query log (permission, unknown client…). */
function actionFailed(what: string, logs: readonly string[], host: string): OutboundError {
  const reason = shorten(logs.join(' | ')) || 'no reason given';
  if (PERMISSION_LOG.test(reason)) {
    return new OutboundAuthError(`Velociraptor refused ${what}: ${reason}`, { host });
  }
  if (/not found|unknown client/i.test(reason)) {
    return new OutboundNotFoundError(`Velociraptor could not ${what}: ${reason}`, { host });
  }
  return new OutboundBadRequestError(`Velociraptor could not ${what}: ${reason}`, { host });
}

// --- adapter -----------------------------------------------------------------------------------

export interface ListClientsInput {
  /** Velociraptor search syntax: `host:web-01`, `label:prod`, `ip:10.1.2.3`, a name; all when omitted. */
  search?: string;
  limit: number;
}

export interface CollectArtifactInput {
  clientId: string;
  artifacts: readonly string[];
  /** Artifact parameters, applied to every listed artifact. */
  parameters?: Readonly<Record<string, string>>;
  /** Jump the client's queue. */
  urgent?: boolean;
}

export interface CreateHuntInput {
  artifacts: readonly string[];
  description: string;
  parameters?: Readonly<Record<string, string>>;
  /** Defaults to 7 days, as in the Velociraptor GUI. */
  expiresInSeconds?: number;
}

export interface HuntResultsInput {
  huntId: string;
  /** `Artifact.Name` or `Artifact.Name/Source`. */
  artifact: string;
  limit: number;
}

/** The endpoint-response port Velociraptor implements (isolate/collect playbook actions use it). */
export interface VelociraptorAdapter extends AdapterBase {
  kind: 'endpoint-response';
  listClients(ctx: AdapterContext, input: ListClientsInput): Promise<EndpointClient[]>;
  /** Throws `OutboundNotFoundError` for a client the server does not know. */
  getClient(ctx: AdapterContext, clientId: string): Promise<EndpointClient>;
  collectArtifact(ctx: AdapterContext, input: CollectArtifactInput): Promise<{ flowId: string }>;
  /** The hunt starts running at once (VQL-created hunts are not paused). */
  createHunt(ctx: AdapterContext, input: CreateHuntInput): Promise<{ huntId: string }>;
  /** Result rows as the artifact defines them, plus `ClientId`/`FlowId` added by the server. */
  huntResults(ctx: AdapterContext, input: HuntResultsInput): Promise<Record<string, unknown>[]>;
}

export const velociraptorCatalog: CatalogEntry = {
  name: 'velociraptor',
  displayName: 'Velociraptor',
  category: 'endpoint-response',
  description:
    'Self-hosted endpoint visibility and response: find endpoints, collect artifacts from one endpoint and run hunts across the fleet from playbooks, over the server gRPC API with mutual TLS.',
  fields: [
    {
      name: API_CLIENT_YAML_FIELD,
      label: 'api_client.yaml',
      type: 'secret',
      required: true,
      help: 'The whole file written by `velociraptor config api_client` (CA, client certificate, private key, connection string).',
      placeholder: 'ca_certificate: |\n  -----BEGIN CERTIFICATE-----\n…',
    },
    {
      name: 'org_id',
      label: 'Organization id',
      type: 'text',
      required: false,
      help: 'Only for multi-organization servers; leave empty for the root organization.',
    },
  ],
  freeTier: { summary: 'Self-hosted and open source: no provider quota; load is bounded by your server.' },
  priority: 'medium',
  setupGuide: [
    'Make the Velociraptor API reachable from Vigil: in server.config.yaml set API.bind_address to a public interface (default is 127.0.0.1) and API.bind_port (default 8001), then restart the server and allow that port from Vigil only.',
    'On the server, create an API identity: `velociraptor --config server.config.yaml config api_client --name vigil --role investigator,api api_client.yaml` (the api role is required; investigator lets Vigil collect and hunt).',
    'Open api_client.yaml and set api_connection_string to the public host name or address and port of the API, e.g. velociraptor.example.com:8001.',
    'In Vigil, open Integrations → Velociraptor and paste the whole api_client.yaml into the api_client.yaml field; set the organization id only on a multi-org server.',
    'Click Test: Vigil runs `SELECT … FROM info()` and shows the server version. To revoke access later, remove or lock the vigil API user on the server.',
  ],
  docsUrl: 'https://docs.velociraptor.app/docs/server_automation/server_api/',
  userSuppliedUrl: true,
};

/**
 * Builds the adapter. Production uses `velociraptorAdapter`; tests build one with an SSRF allow-list
 * for their loopback fake and a short deadline.
 */
export function createVelociraptorAdapter(options: VelociraptorAdapterOptions = {}): VelociraptorAdapter {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const ssrf = options.ssrf ?? {};

  async function query(
    ctx: AdapterContext,
    vql: string,
    env: Readonly<Record<string, string>>,
  ): Promise<VqlResult & { host: string }> {
    const config = parseApiClientYaml(ctx.credentials[API_CLIENT_YAML_FIELD], ctx.now());
    const orgId = String(ctx.settings.org_id ?? '');
    if (!ORG_ID.test(orgId)) throw invalid('The organization id is letters and digits only.');
    const host = config.host;
    const target = await pinTarget(config, ssrf);
    const Api = loadApi();
    const credentials = grpc.credentials.createSsl(
      Buffer.from(config.caCertificate),
      Buffer.from(config.clientPrivateKey),
      Buffer.from(config.clientCert),
    );
    const client = new Api(target.grpcTarget, credentials, {
      'grpc.ssl_target_name_override': VELOCIRAPTOR_SERVER_NAME,
      'grpc.default_authority': VELOCIRAPTOR_SERVER_NAME,
      'grpc.max_receive_message_length': maxResponseBytes,
    });
    const request: VqlCollectorArgs = {
      env: Object.entries(env).map(([key, value]) => ({ key, value })),
      Query: [{ Name: 'vigil', VQL: vql }],
      max_row: 1000,
      max_wait: 1,
      org_id: orgId,
    };
    try {
      return await new Promise<VqlResult & { host: string }>((resolve, reject) => {
        const rows: Record<string, unknown>[] = [];
        const logs: string[] = [];
        let bytes = 0;
        let failed = false;
        const call = client.Query(request, { deadline: Date.now() + timeoutMs });
        const fail = (error: OutboundError) => {
          if (failed) return;
          failed = true;
          call.cancel();
          reject(error);
        };
        const failLater = (error: Promise<OutboundError>) => {
          if (failed) return;
          failed = true;
          void error.then(reject);
        };
        call.on('data', (message: VqlResponse) => {
          if (message.log) logs.push(message.log);
          if (!message.Response) return;
          bytes += message.Response.length;
          if (bytes > maxResponseBytes) {
            fail(
              new UpstreamError(`Velociraptor on ${host} returned more than ${maxResponseBytes} bytes`, {
                host,
              }),
            );
            return;
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(message.Response);
          } catch {
            fail(new UpstreamError(`Velociraptor on ${host} returned rows that are not JSON`, { host }));
            return;
          }
          if (!Array.isArray(parsed) || parsed.some((row) => row === null || typeof row !== 'object')) {
            fail(new UpstreamError(`Velociraptor on ${host} returned rows that are not objects`, { host }));
            return;
          }
          rows.push(...(parsed as Record<string, unknown>[]));
        });
        call.on('error', (error: grpc.ServiceError) => {
          if (error.code !== grpc.status.UNAVAILABLE || TLS_HINT.test(error.details ?? '')) {
            fail(mapGrpcError(error, host, timeoutMs));
            return;
          }
          failLater(
            clientCertificateRejected(target, config, timeoutMs).then((rejected) =>
              rejected ? clientCertificateError(host, error) : mapGrpcError(error, host, timeoutMs),
            ),
          );
        });
        call.on('end', () => {
          if (failed) return;
          // A plugin the user may not run yields no rows and says why only in the log.
          if (rows.length === 0 && logs.some((line) => PERMISSION_LOG.test(line))) {
            reject(actionFailed('the query', logs, host));
            return;
          }
          resolve({ rows, logs, host });
        });
      });
    } finally {
      client.close();
    }
  }

  return {
    kind: 'endpoint-response',
    catalog: velociraptorCatalog,

    async test(ctx): Promise<TestOutcome> {
      let config: VelociraptorApiConfig;
      try {
        config = parseApiClientYaml(ctx.credentials[API_CLIENT_YAML_FIELD], ctx.now());
      } catch (error) {
        if (error instanceof VelociraptorConfigError) return { ok: false, message: error.message };
        throw error;
      }
      try {
        const { rows } = await query(ctx, VQL.info, {});
        const info = rows[0] ?? {};
        const version = typeof info.Version === 'string' ? info.Version : undefined;
        const hostname = typeof info.Hostname === 'string' ? info.Hostname : undefined;
        return {
          ok: true,
          message: `Connected to Velociraptor ${version ?? '(version not reported)'}${hostname ? ` on ${hostname}` : ''} as API user ${config.name}.`,
          details: { version, hostname, apiUser: config.name },
        };
      } catch (error) {
        if (error instanceof OutboundAuthError) return { ok: false, message: error.message };
        if (error instanceof OutboundTimeoutError) {
          return {
            ok: false,
            message: `The Velociraptor API at ${config.host}:${config.port} did not answer in time; check that API.bind_address is reachable from Vigil.`,
          };
        }
        if (error instanceof UpstreamError) {
          return {
            ok: false,
            message: `Could not reach the Velociraptor API at ${config.host}:${config.port}; check api_connection_string and that the server is running.`,
          };
        }
        if (error instanceof BadRequestError) return { ok: false, message: error.message };
        throw error;
      }
    },

    async listClients(ctx, input) {
      const limit = checkLimit(input.limit, 1000);
      const search = input.search === undefined ? undefined : checkText(input.search, 'search', 256);
      const withSearch = search !== undefined && search.trim() !== '';
      const { rows, host } = await query(
        ctx,
        VQL.listClients(limit, withSearch),
        withSearch ? { Search: search } : {},
      );
      return rows.slice(0, limit).map((row) => toEndpointClient(row, host));
    },

    async getClient(ctx, clientId) {
      const { rows, host } = await query(ctx, VQL.getClient(), { ClientId: checkClientId(clientId) });
      const [row] = rows;
      if (!row) throw new OutboundNotFoundError(`Velociraptor has no client ${clientId}`, { host });
      return toEndpointClient(row, host);
    },

    async collectArtifact(ctx, input) {
      const clientId = checkClientId(input.clientId);
      const artifacts = checkArtifacts(input.artifacts);
      const parameters = checkParameters(input.parameters);
      const { rows, logs, host } = await query(ctx, VQL.collect(input.urgent ?? false), {
        ClientId: clientId,
        ArtifactsJson: JSON.stringify(artifacts),
        SpecJson: specJson(artifacts, parameters),
      });
      const flow = rows[0]?.Flow as { flow_id?: unknown; request?: { flow_id?: unknown } } | null | undefined;
      if (!flow) throw actionFailed(`collect from ${clientId}`, logs, host);
      const flowId = flow.flow_id ?? flow.request?.flow_id;
      if (typeof flowId !== 'string' || !FLOW_ID.test(flowId)) {
        throw new UpstreamError(`Velociraptor on ${host} scheduled a collection without a readable flow id`, {
          host,
        });
      }
      return { flowId };
    },

    async createHunt(ctx, input) {
      const artifacts = checkArtifacts(input.artifacts);
      const parameters = checkParameters(input.parameters);
      const description = checkText(input.description, 'The hunt description', 500);
      if (description.trim() === '') throw invalid('Give the hunt a description.');
      const expires = input.expiresInSeconds ?? 7 * 24 * 60 * 60;
      if (!Number.isInteger(expires) || expires < 60 || expires > 365 * 24 * 60 * 60) {
        throw invalid('expiresInSeconds must be an integer from 60 to one year.');
      }
      const { rows, logs, host } = await query(ctx, VQL.hunt, {
        Description: description,
        ArtifactsJson: JSON.stringify(artifacts),
        SpecJson: specJson(artifacts, parameters),
        ExpiresInSeconds: String(expires),
      });
      const hunt = rows[0]?.Hunt as
        | { HuntId?: unknown; hunt_id?: unknown; Request?: { hunt_id?: unknown } }
        | null
        | undefined;
      if (!hunt) throw actionFailed('create the hunt', logs, host);
      const huntId = hunt.HuntId ?? hunt.Request?.hunt_id ?? hunt.hunt_id;
      if (typeof huntId !== 'string' || !HUNT_ID.test(huntId)) {
        throw new UpstreamError(`Velociraptor on ${host} created a hunt without a readable hunt id`, {
          host,
        });
      }
      return { huntId };
    },

    async huntResults(ctx, input) {
      if (!HUNT_ID.test(input.huntId))
        throw invalid('A Velociraptor hunt id looks like H. followed by letters and digits.');
      if (input.artifact.length > 200 || !ARTIFACT_SOURCE.test(input.artifact)) {
        throw invalid(
          'The artifact is a dotted name such as Windows.System.Pslist, optionally with /Source.',
        );
      }
      const limit = checkLimit(input.limit, 10_000);
      const { rows } = await query(ctx, VQL.huntResults(limit), {
        HuntId: input.huntId,
        Artifact: input.artifact,
      });
      return rows.slice(0, limit);
    },
  };
}

/** The adapter the platform wires in: production SSRF policy, 30 s deadline per query. */
export const velociraptorAdapter: VelociraptorAdapter = createVelociraptorAdapter();
