import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { stringify } from 'yaml';
import { velociraptorProtoFile } from '../../../../shared/integrations/adapters/velociraptor/api-proto';
import { createVelociraptorTestPki, type VelociraptorTestPki } from './velociraptor-pki';

/**
 * A local Velociraptor server API for the sandbox and the adapter tests: the real `proto.API/Query`
 * gRPC service over mutual TLS, with a fresh test CA, a server certificate for `VelociraptorServer`
 * and an API client certificate generated at start (see `velociraptor-pki.ts`). Clients without a
 * certificate from that CA fail the TLS handshake, as on a real server.
 *
 * `Query` runs a small VQL evaluator that understands the statements Vigil sends — `SELECT <columns>
 * FROM info() | clients(search=…|client_id=…) | scope() | hunt_results(hunt_id=…, artifact=…)
 * [LIMIT n]` with `collect_client(…)`, `hunt(…)`, `parse_json(…)`, `parse_json_array(…)`,
 * `int(int=…)`, `now()` — resolving bare identifiers from the request's `env` like the real engine.
 * Anything else is refused with INVALID_ARGUMENT, so an adapter that drifts from its queries fails.
 *
 * Behaviour follows Velociraptor's: rows come back as JSON text in `Response`, batched by `max_row`;
 * an unknown client yields no rows from `clients()`; `collect_client` and `hunt` yield `null` with the
 * reason in a `log` message when they refuse (unknown client or artifact, missing permission); a user
 * without the api role gets PERMISSION_DENIED. Fixtures: three endpoints (Linux web server, Windows
 * domain controller, macOS analyst laptop) and one finished hunt, `H.CR7D4S1Q9N8KU`, over
 * `Windows.System.Pslist`; hunts created through the fake get results from every known endpoint.
 */

export interface FakeEndpoint {
  client_id: string;
  agent_information: { version: string; name: string };
  os_info: { system: string; hostname: string; fqdn: string; release: string; machine: string };
  first_seen_at: number;
  last_seen_at: number;
  last_ip: string;
  labels: string[];
}

export interface FakeVelociraptorOptions {
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** Name in the server certificate; set something else to test that the adapter refuses it. */
  serverName?: string;
  /** API user name (client certificate CN and the YAML's `name`). */
  clientName?: string;
  /** Wait this long before answering each query (deadline tests). */
  delayMs?: number;
  /** The API user lacks the api role: every call ends in PERMISSION_DENIED. */
  denyApi?: boolean;
  /** The API user may read but not collect: `collect_client` and `hunt` return null + a log line. */
  readOnly?: boolean;
  /** Replaces the fixture endpoints. */
  endpoints?: FakeEndpoint[];
  /** Server version reported by `info()`. */
  version?: string;
  /** Reuse an existing PKI instead of generating one (saves key generation between fakes). */
  pki?: VelociraptorTestPki;
}

/** One `Query` call as the fake received it. */
export interface RecordedQuery {
  /** CN of the client certificate that made the call. */
  user: string | undefined;
  names: string[];
  vql: string[];
  env: Record<string, string>;
  orgId: string;
  maxRow: number;
}

export interface FakeHunt {
  huntId: string;
  description: string;
  artifacts: string[];
  spec: unknown;
  creator: string;
  createTime: number;
  expires: number;
}

export interface FakeVelociraptor {
  /** `127.0.0.1:port`, the value of `api_connection_string`. */
  address: string;
  /** An `api_client.yaml` for this server, as `velociraptor config api_client` writes it. */
  apiClientYaml: string;
  pki: VelociraptorTestPki;
  calls: RecordedQuery[];
  /** Collections scheduled through `collect_client`. */
  flows: { flowId: string; clientId: string; artifacts: string[]; spec: unknown; urgent: boolean }[];
  hunts: FakeHunt[];
  close(): Promise<void>;
}

interface VqlRequestMessage {
  Name: string;
  VQL: string;
}

interface VqlArgsMessage {
  env: { key: string; value: string }[];
  Query: VqlRequestMessage[];
  max_row: string;
  org_id: string;
}

interface VqlResponseMessage {
  Response?: string;
  Columns?: string[];
  Query?: VqlRequestMessage;
  query_id?: number;
  part?: number;
  timestamp?: number;
  total_rows?: number;
  log?: string;
}

const KNOWN_ARTIFACTS = new Set([
  'Generic.Client.Info',
  'Windows.System.Pslist',
  'Linux.Sys.Pslist',
  'Windows.Network.Netstat',
  'Linux.Network.Netstat',
  'Windows.KapeFiles.Targets',
  'Generic.Detection.Yara.Glob',
  'Windows.Detection.Yara.Process',
]);

const MICROS_PER_SECOND = 1_000_000;

function fixtureEndpoints(nowMs: number): FakeEndpoint[] {
  const micros = (msAgo: number) => (nowMs - msAgo) * 1000;
  const day = 24 * 60 * 60 * 1000;
  return [
    {
      client_id: 'C.4f2a9c1e7b3d5a60',
      agent_information: { version: '0.7.1', name: 'velociraptor' },
      os_info: {
        system: 'linux',
        hostname: 'web-01',
        fqdn: 'web-01.prod.example.com',
        release: 'ubuntu 22.04',
        machine: 'x86_64',
      },
      first_seen_at: micros(120 * day),
      last_seen_at: micros(45 * 1000),
      last_ip: '203.0.113.17:51234',
      labels: ['prod', 'web'],
    },
    {
      client_id: 'C.9e81b2f4c6d0a713',
      agent_information: { version: '0.7.1', name: 'velociraptor' },
      os_info: {
        system: 'windows',
        hostname: 'WIN-DC01',
        fqdn: 'win-dc01.corp.example.com',
        release: 'Windows Server 2019 Datacenter 1809',
        machine: 'amd64',
      },
      first_seen_at: micros(300 * day),
      last_seen_at: micros(5 * 60 * 1000),
      last_ip: '10.20.0.10:49811',
      labels: ['prod', 'dc'],
    },
    {
      client_id: 'C.1b7d3e5f9a2c4e86',
      agent_information: { version: '0.7.0', name: 'velociraptor' },
      os_info: {
        system: 'darwin',
        hostname: 'mac-analyst-07',
        fqdn: 'mac-analyst-07.corp.example.com',
        release: 'darwin 14.4.1',
        machine: 'arm64',
      },
      first_seen_at: micros(30 * day),
      last_seen_at: micros(3 * day),
      last_ip: '198.51.100.44:60211',
      labels: ['analyst'],
    },
  ];
}

/** Rows one endpoint contributes to a hunt over `artifact`. */
function huntRowsFor(artifact: string, endpoint: FakeEndpoint, flowId: string): Record<string, unknown>[] {
  const base = { ClientId: endpoint.client_id, FlowId: flowId, Fqdn: endpoint.os_info.fqdn };
  if (artifact === 'Windows.System.Pslist' || artifact === 'Linux.Sys.Pslist') {
    const windows = endpoint.os_info.system === 'windows';
    return [
      {
        Pid: 4,
        Ppid: 0,
        Name: windows ? 'System' : 'systemd',
        Username: windows ? 'NT AUTHORITY\\SYSTEM' : 'root',
        CommandLine: windows ? '' : '/sbin/init',
        ...base,
      },
      {
        Pid: 6120,
        Ppid: 912,
        Name: windows ? 'powershell.exe' : 'bash',
        Username: windows ? 'CORP\\svc-backup' : 'deploy',
        CommandLine: windows ? 'powershell.exe -nop -w hidden -enc SQBFAFgA' : 'bash -i',
        ...base,
      },
    ];
  }
  if (artifact === 'Generic.Client.Info' || artifact.startsWith('Generic.Client.Info/')) {
    return [
      {
        Hostname: endpoint.os_info.hostname,
        OS: endpoint.os_info.system,
        Architecture: endpoint.os_info.machine,
        Version: endpoint.agent_information.version,
        ...base,
      },
    ];
  }
  return [{ ...base }];
}

function newId(prefix: 'F' | 'H'): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(13);
  return `${prefix}.${Array.from(bytes, (b) => alphabet[b % 32]).join('')}`;
}

// --- the VQL subset --------------------------------------------------------------------------

class VqlError extends Error {}

/** Splits at top-level occurrences of `separator`, outside brackets and quotes. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i += 1;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth += 1;
    else if (ch === ')' || ch === ']' || ch === '}') depth -= 1;
    else if (depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
      i += separator.length - 1;
    }
  }
  if (depth !== 0 || quote) throw new VqlError('unbalanced brackets or quotes');
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

/** `name(args)` where the final `)` closes the first `(`. */
function functionCall(text: string): { name: string; args: string } | undefined {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)\(/.exec(text);
  if (!match?.[1] || !text.endsWith(')')) return undefined;
  let depth = 0;
  for (let i = match[1].length; i < text.length; i += 1) {
    if (text[i] === '(') depth += 1;
    else if (text[i] === ')') {
      depth -= 1;
      if (depth === 0)
        return i === text.length - 1
          ? { name: match[1], args: text.slice(match[1].length + 1, i) }
          : undefined;
    }
  }
  return undefined;
}

function parseArgs(args: string): Map<string, string> {
  const result = new Map<string, string>();
  if (args.trim() === '') return result;
  for (const part of splitTopLevel(args, ',')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new VqlError(`bad argument: ${part}`);
    result.set(name, part.slice(eq + 1).trim());
  }
  return result;
}

interface Scope {
  env: ReadonlyMap<string, string>;
  row: Record<string, unknown>;
  vars: Record<string, unknown>;
  logs: string[];
  fn: (name: string, args: Map<string, unknown>) => unknown;
}

function lookupPath(path: string, scope: Scope): unknown {
  const [head = '', ...rest] = path.split('.');
  let value: unknown;
  if (head in scope.row) value = scope.row[head];
  else if (scope.env.has(head)) value = scope.env.get(head);
  else if (head in scope.vars) value = scope.vars[head];
  else {
    scope.logs.push(`Symbol ${head} not found`);
    return null;
  }
  for (const key of rest) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : null;
  }
  return value ?? null;
}

function evaluate(text: string, scope: Scope): unknown {
  const expr = text.trim();
  const sum = splitTopLevel(expr, '+');
  if (sum.length > 1) return sum.map((part) => Number(evaluate(part, scope))).reduce((a, b) => a + b, 0);
  if (/^TRUE$/i.test(expr)) return true;
  if (/^FALSE$/i.test(expr)) return false;
  if (/^\d+$/.test(expr)) return Number(expr);
  const call = functionCall(expr);
  if (call) {
    const args = new Map<string, unknown>();
    for (const [name, value] of parseArgs(call.args)) args.set(name, evaluate(value, scope));
    return scope.fn(call.name, args);
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(expr)) return lookupPath(expr, scope);
  throw new VqlError(`unsupported expression: ${expr.slice(0, 40)}`);
}

const STATEMENT =
  /^\s*SELECT\s+([\s\S]+?)\s+FROM\s+([A-Za-z_][A-Za-z0-9_]*)\(([\s\S]*?)\)(?:\s+LIMIT\s+(\d+))?\s*$/i;

// --- server ----------------------------------------------------------------------------------

function loadService(): grpc.ServiceDefinition {
  const protoPath = velociraptorProtoFile();
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    proto: { API: { service: grpc.ServiceDefinition } };
  };
  return loaded.proto.API.service;
}

/** Starts the fake on an ephemeral port; `close()` stops it. */
export async function startFakeVelociraptor(
  options: FakeVelociraptorOptions = {},
): Promise<FakeVelociraptor> {
  const host = options.host ?? '127.0.0.1';
  const pki =
    options.pki ??
    (await createVelociraptorTestPki({
      ...(options.serverName ? { serverName: options.serverName } : {}),
      ...(options.clientName ? { clientName: options.clientName } : {}),
    }));
  const startedMs = Date.now();
  const endpoints = options.endpoints ?? fixtureEndpoints(startedMs);
  const version = options.version ?? '0.7.1';
  const calls: RecordedQuery[] = [];
  const flows: FakeVelociraptor['flows'] = [];
  const hunts: FakeHunt[] = [
    {
      huntId: 'H.CR7D4S1Q9N8KU',
      description: 'Fixture: suspicious PowerShell on servers',
      artifacts: ['Windows.System.Pslist'],
      spec: { 'Windows.System.Pslist': {} },
      creator: 'admin',
      createTime: (startedMs - 2 * 60 * 60 * 1000) * 1000,
      expires: (startedMs + 5 * 24 * 60 * 60 * 1000) * 1000,
    },
  ];
  const huntRows = new Map<string, Record<string, unknown>[]>();
  const recordHuntResults = (hunt: FakeHunt) => {
    for (const artifact of hunt.artifacts) {
      huntRows.set(
        `${hunt.huntId}/${artifact}`,
        endpoints.flatMap((endpoint) => huntRowsFor(artifact, endpoint, `${newId('F')}.H`)),
      );
    }
  };
  recordHuntResults(hunts[0] as FakeHunt);

  function searchEndpoints(search: unknown): FakeEndpoint[] {
    const term = typeof search === 'string' ? search.trim() : '';
    if (term === '' || term === 'all') return endpoints;
    const [kind, value = ''] = term.includes(':') ? term.split(/:(.*)/s) : ['', term];
    const needle = value.toLowerCase();
    return endpoints.filter((endpoint) => {
      if (kind === 'host') return endpoint.os_info.hostname.toLowerCase().startsWith(needle);
      if (kind === 'label') return endpoint.labels.includes(value);
      if (kind === 'ip') return endpoint.last_ip.startsWith(`${value}:`);
      if (kind === 'client') return endpoint.client_id === value;
      if (kind !== '') return false;
      return endpoint.os_info.hostname.toLowerCase().includes(needle) || endpoint.client_id === term;
    });
  }

  function runStatement(vql: string, env: ReadonlyMap<string, string>, user: string, logs: string[]) {
    const statement = STATEMENT.exec(vql);
    if (!statement) throw new VqlError('unsupported statement');
    const [, selectList = '', plugin = '', pluginArgs = '', limitText] = statement;
    const functions = (name: string, args: Map<string, unknown>): unknown => {
      switch (name) {
        case 'now':
          return Math.floor(Date.now() / 1000);
        case 'int':
          return Number.parseInt(String(args.get('int') ?? ''), 10) || 0;
        case 'parse_json':
        case 'parse_json_array': {
          try {
            const parsed: unknown = JSON.parse(String(args.get('data') ?? ''));
            if (name === 'parse_json_array' && !Array.isArray(parsed)) throw new Error('not an array');
            return parsed;
          } catch {
            logs.push(`${name}: invalid JSON`);
            return null;
          }
        }
        case 'collect_client': {
          if (options.readOnly) {
            logs.push(`collect_client: Permission denied: ${user} lacks COLLECT_CLIENT`);
            return null;
          }
          const clientId = args.get('client_id');
          const artifacts = args.get('artifacts');
          if (!endpoints.some((endpoint) => endpoint.client_id === clientId)) {
            logs.push(`collect_client: client ${String(clientId)} not found`);
            return null;
          }
          const list = Array.isArray(artifacts) ? artifacts.map(String) : [String(artifacts)];
          const unknown = list.find((artifact) => !KNOWN_ARTIFACTS.has(artifact));
          if (unknown !== undefined) {
            logs.push(`collect_client: Unknown artifact ${unknown}`);
            return null;
          }
          const flowId = newId('F');
          const urgent = args.get('urgent') === true;
          flows.push({ flowId, clientId: String(clientId), artifacts: list, spec: args.get('spec'), urgent });
          return {
            creator: user,
            client_id: clientId,
            flow_id: flowId,
            artifacts: list,
            specs: Object.entries((args.get('spec') as Record<string, Record<string, string>>) ?? {}).map(
              ([artifact, params]) => ({
                artifact,
                parameters: { env: Object.entries(params).map(([key, value]) => ({ key, value })) },
              }),
            ),
            urgent,
            timeout: 600,
            create_time: Date.now() * 1000,
          };
        }
        case 'hunt': {
          if (options.readOnly) {
            logs.push(`hunt: Permission denied: ${user} lacks START_HUNT`);
            return null;
          }
          const artifacts = args.get('artifacts');
          const list = Array.isArray(artifacts) ? artifacts.map(String) : [String(artifacts)];
          const unknown = list.find((artifact) => !KNOWN_ARTIFACTS.has(artifact));
          if (unknown !== undefined) {
            logs.push(`hunt: Unknown artifact ${unknown}`);
            return null;
          }
          const expiresSeconds = Number(args.get('expires') ?? 0);
          const hunt: FakeHunt = {
            huntId: newId('H'),
            description: String(args.get('description') ?? ''),
            artifacts: list,
            spec: args.get('spec'),
            creator: user,
            createTime: Date.now() * 1000,
            expires: expiresSeconds * MICROS_PER_SECOND,
          };
          hunts.push(hunt);
          recordHuntResults(hunt);
          return {
            HuntId: hunt.huntId,
            Request: {
              hunt_id: hunt.huntId,
              hunt_description: hunt.description,
              creator: user,
              create_time: hunt.createTime,
              start_time: hunt.createTime,
              expires: hunt.expires,
              start_request: { artifacts: list, flow_id: `${newId('F')}.H` },
              artifacts: list,
              state: 'RUNNING',
              org_ids: ['root'],
              stats: {},
            },
          };
        }
        default:
          throw new VqlError(`unknown function ${name}`);
      }
    };
    const scopeFor = (row: Record<string, unknown>): Scope => ({
      env,
      row,
      vars: {
        config: { Version: { Name: 'velociraptor', Version: version, BuildTime: '2024-06-01T00:00:00Z' } },
      },
      logs,
      fn: functions,
    });

    const args = new Map<string, unknown>();
    for (const [name, value] of parseArgs(pluginArgs)) args.set(name, evaluate(value, scopeFor({})));
    let source: Record<string, unknown>[];
    switch (plugin) {
      case 'scope':
        source = [{}];
        break;
      case 'info':
        source = [
          {
            Hostname: 'velociraptor-server',
            Uptime: Math.floor((Date.now() - startedMs) / 1000) + 86_400,
            OS: 'linux',
            Platform: 'ubuntu',
            PlatformVersion: '22.04',
            KernelVersion: '5.15.0-105-generic',
            Architecture: 'amd64',
            Fqdn: 'velociraptor-server',
          },
        ];
        break;
      case 'clients': {
        const matched = args.has('client_id')
          ? endpoints.filter((endpoint) => endpoint.client_id === args.get('client_id'))
          : searchEndpoints(args.get('search'));
        source = matched.map((endpoint) => structuredClone(endpoint) as unknown as Record<string, unknown>);
        break;
      }
      case 'hunt_results':
        source = huntRows.get(`${String(args.get('hunt_id'))}/${String(args.get('artifact'))}`) ?? [];
        break;
      default:
        throw new VqlError(`unknown plugin ${plugin}`);
    }
    if (limitText !== undefined) source = source.slice(0, Number(limitText));

    const items = splitTopLevel(selectList, ',');
    const columns: string[] = [];
    const rows = source.map((row) => {
      const out: Record<string, unknown> = {};
      for (const item of items) {
        if (item === '*') {
          Object.assign(out, row);
          continue;
        }
        const aliased = /^([\s\S]+?)\s+AS\s+([A-Za-z_][A-Za-z0-9_]*)$/i.exec(item);
        const expression = aliased?.[1] ?? item;
        out[aliased?.[2] ?? item] = evaluate(expression, scopeFor(row));
      }
      return out;
    });
    for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    return { rows, columns };
  }

  const server = new grpc.Server();
  server.addService(loadService(), {
    Query: (call: grpc.ServerWritableStream<VqlArgsMessage, VqlResponseMessage>) => {
      const peer = call.getAuthContext().sslPeerCertificate;
      const user = typeof peer?.subject?.CN === 'string' ? peer.subject.CN : undefined;
      const request = call.request;
      const env = new Map(request.env.map((entry) => [entry.key, entry.value]));
      calls.push({
        user,
        names: request.Query.map((q) => q.Name),
        vql: request.Query.map((q) => q.VQL),
        env: Object.fromEntries(env),
        orgId: request.org_id,
        maxRow: Number(request.max_row),
      });
      const answer = () => {
        if (call.cancelled) return;
        if (options.denyApi) {
          call.emit('error', {
            code: grpc.status.PERMISSION_DENIED,
            details: `PermissionDenied: User ${user ?? 'unknown'} lacks the api role`,
          });
          return;
        }
        const maxRow = Math.max(1, Number(request.max_row) || 1000);
        const messages: VqlResponseMessage[] = [];
        for (const [index, query] of request.Query.entries()) {
          const logs: string[] = [];
          let result: { rows: Record<string, unknown>[]; columns: string[] };
          try {
            result = runStatement(query.VQL, env, user ?? 'unknown', logs);
          } catch (error) {
            const reason = error instanceof VqlError ? error.message : 'internal error';
            call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: `VQL Error: ${reason}` });
            return;
          }
          const stamp = Date.now() * 1000;
          for (const line of logs)
            messages.push({ log: line, Query: query, query_id: index, timestamp: stamp });
          for (let part = 0; part * maxRow < result.rows.length; part += 1) {
            messages.push({
              Response: JSON.stringify(result.rows.slice(part * maxRow, (part + 1) * maxRow)),
              Columns: result.columns,
              Query: query,
              query_id: index,
              part,
              timestamp: stamp,
              total_rows: result.rows.length,
            });
          }
        }
        for (const message of messages) call.write(message);
        call.end();
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    },
    VFSGetBuffer: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in the fake' }),
    WriteEvent: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in the fake' }),
  });

  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(pki.ca.certPem),
    [{ cert_chain: Buffer.from(pki.server.certPem), private_key: Buffer.from(pki.server.keyPem) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:0`, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  const address = `${host}:${port}`;
  const apiClientYaml = stringify({
    ca_certificate: pki.ca.certPem,
    client_cert: pki.client.certPem,
    client_private_key: pki.client.keyPem,
    api_connection_string: address,
    name: pki.client.commonName,
  });

  return {
    address,
    apiClientYaml,
    pki,
    calls,
    flows,
    hunts,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Streams held open by a slow answer would keep tryShutdown waiting.
        setTimeout(() => server.forceShutdown(), 100).unref();
      }),
  };
}
