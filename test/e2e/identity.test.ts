import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, json } from '../support/http';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-stack';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('local target: identity (sign-up, login, tokens, refresh rotation, logout)', () => {
  let stack: LocalStackProcess;
  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${stack.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const me = (token: string) =>
    fetch(`${stack.httpUrl}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  const register = async (tenantName: string, email: string): Promise<Json> => {
    const res = await post('/v1/auth/register', {
      tenantName,
      email,
      password: 'correct horse battery staple',
      name: 'Admin',
    });
    expect(res.status).toBe(201);
    return json(res);
  };

  beforeAll(async () => {
    stack = await startLocalStackProcess();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('signs up a tenant whose admin sees only their own tenant', async () => {
    const a = await register('Tenant A', 'admin@a.test');
    const b = await register('Tenant B', 'admin@b.test');

    const meA = await json(await me(a.accessToken));
    const meB = await json(await me(b.accessToken));

    expect(meA).toMatchObject({ tenantId: a.tenantId, email: 'admin@a.test', roles: ['admin'] });
    expect(meB.tenantId).toBe(b.tenantId);
    expect(meA.tenantId).not.toBe(meB.tenantId);
    expect(meA.permissions).toContain('user:manage');
    const roles = await json(
      await fetch(`${stack.httpUrl}/v1/roles`, { headers: { authorization: `Bearer ${a.accessToken}` } }),
    );
    expect(roles.items.map((r: { role: string }) => r.role)).toEqual(['admin', 'analyst', 'viewer']);
  });

  it('refuses weak passwords and a second account for the same email', async () => {
    await register('Tenant C', 'admin@c.test');

    const weak = await post('/v1/auth/register', {
      tenantName: 'Tenant X',
      email: 'x@x.test',
      password: 'Password2024!',
      name: 'X',
    });
    const again = await post('/v1/auth/register', {
      tenantName: 'Tenant C2',
      email: 'ADMIN@c.test',
      password: 'another long passphrase',
      name: 'C',
    });

    expect(weak.status).toBe(400);
    expect((await json(weak)).code).toBe('weak_password');
    expect(again.status).toBe(409);
  });

  it('answers an unknown email and a wrong password identically', async () => {
    await register('Tenant D', 'admin@d.test');

    const unknown = await post('/v1/auth/login', { email: 'nobody@d.test', password: 'whatever it is here' });
    const wrong = await post('/v1/auth/login', { email: 'admin@d.test', password: 'whatever it is here' });
    const right = await post('/v1/auth/login', {
      email: 'admin@d.test',
      password: 'correct horse battery staple',
    });
    const [u, w] = [await json(unknown), await json(wrong)];

    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect({ ...u, requestId: undefined }).toEqual({ ...w, requestId: undefined });
    expect(right.status).toBe(200);
  });

  it('refuses forged, tampered and unsigned access tokens with 401', async () => {
    const { accessToken } = await register('Tenant E', 'admin@e.test');
    const [header, payload, signature] = accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const jwks = await json(await fetch(`${stack.httpUrl}/.well-known/jwks.json`));
    const hsInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: jwks.keys[0].kid })}.${payload}`;
    const forged = {
      none: `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      hs256: `${hsInput}.${createHmac('sha256', JSON.stringify(jwks.keys[0])).update(hsInput).digest('base64url')}`,
      tampered: `${header}.${b64({ ...claims, tid: 'someone-else' })}.${signature}`,
      unknownKid: `${b64({ alg: 'ES256', typ: 'JWT', kid: 'unknown' })}.${payload}.${signature}`,
      wrongAudience: `${header}.${b64({ ...claims, aud: 'other-api' })}.${signature}`,
    };

    for (const [name, token] of Object.entries(forged)) {
      const res = await me(token);
      expect({ name, status: res.status }).toEqual({ name, status: 401 });
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('rotates refresh tokens and revokes the whole family when a rotated token is reused', async () => {
    const first = await register('Tenant F', 'admin@f.test');

    const second = await json(await post('/v1/auth/refresh', { refreshToken: first.refreshToken }));
    const reuse = await post('/v1/auth/refresh', { refreshToken: first.refreshToken });
    const afterReuse = await post('/v1/auth/refresh', { refreshToken: second.refreshToken });

    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(reuse.status).toBe(401);
    expect(afterReuse.status).toBe(401);
  });

  it('logs out: the access token stops working and the refresh family is revoked', async () => {
    const session = await register('Tenant G', 'admin@g.test');

    const logout = await post('/v1/auth/logout', { refreshToken: session.refreshToken }, session.accessToken);
    const meAfter = await me(session.accessToken);
    const refreshAfter = await post('/v1/auth/refresh', { refreshToken: session.refreshToken });

    expect(logout.status).toBe(204);
    expect(meAfter.status).toBe(401);
    expect((await json(meAfter)).code).toBe('revoked_token');
    expect(refreshAfter.status).toBe(401);
  });

  it('limits sign-in attempts per account: the sixth in a minute is 429 with Retry-After', async () => {
    await register('Tenant H', 'admin@h.test');

    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i += 1) {
      const res = await post('/v1/auth/login', {
        email: 'admin@h.test',
        password: 'not the password at all',
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }

    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('issues API keys that work as Bearer or X-API-Key, are listed without secrets, and stop when revoked or rotated', async () => {
    const admin = await register('Tenant K', 'admin@k.test');
    const created = await post(
      '/v1/api-keys',
      { name: 'Splunk forwarder', permissions: ['session:own', 'intel:read'] },
      admin.accessToken,
    );
    const key = await json(created);
    const asKey = (headers: Record<string, string>) => fetch(`${stack.httpUrl}/v1/me`, { headers });

    const viaBearer = await json(await asKey({ authorization: `Bearer ${key.key}` }));
    const viaHeader = await asKey({ 'x-api-key': key.key });
    const listed = await json(
      await fetch(`${stack.httpUrl}/v1/api-keys`, {
        headers: { authorization: `Bearer ${admin.accessToken}` },
      }),
    );
    const rotated = await json(await post(`/v1/api-keys/${key.id}/rotate`, {}, admin.accessToken));
    const oldAfterRotate = await asKey({ authorization: `Bearer ${key.key}` });
    const newAfterRotate = await asKey({ authorization: `Bearer ${rotated.key}` });
    const revoke = await fetch(`${stack.httpUrl}/v1/api-keys/${key.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    const afterRevoke = await asKey({ authorization: `Bearer ${rotated.key}` });

    expect(created.status).toBe(201);
    expect(key.key).toMatch(/^vgl_[A-Za-z0-9]{16}_/);
    expect(viaBearer).toMatchObject({
      id: key.id,
      type: 'apiKey',
      tenantId: admin.tenantId,
      permissions: ['intel:read', 'session:own'],
    });
    expect(viaHeader.status).toBe(200);
    expect(listed.items).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toMatch(/vgl_|secretHash/);
    expect(listed.items[0].lastUsedAt).toBeTruthy();
    expect(oldAfterRotate.status).toBe(401);
    expect(newAfterRotate.status).toBe(200);
    expect(revoke.status).toBe(204);
    expect(afterRevoke.status).toBe(401);
  });

  it('refuses a key from another tenant on that tenant’s key routes, and keys cannot manage keys they lack', async () => {
    const a = await register('Tenant L', 'admin@l.test');
    const b = await register('Tenant M', 'admin@m.test');
    const keyOfA = await json(
      await post('/v1/api-keys', { name: 'a', permissions: ['intel:read'] }, a.accessToken),
    );

    const deleteFromB = await fetch(`${stack.httpUrl}/v1/api-keys/${keyOfA.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${b.accessToken}` },
    });
    const keyListsKeys = await fetch(`${stack.httpUrl}/v1/api-keys`, {
      headers: { authorization: `Bearer ${keyOfA.key}` },
    });

    const trail = await json(
      await fetch(`${stack.httpUrl}/v1/audit?action=permission.denied`, {
        headers: { authorization: `Bearer ${a.accessToken}` },
      }),
    );

    expect(deleteFromB.status).toBe(404);
    expect(keyListsKeys.status).toBe(403);
    expect(trail.items).toEqual([
      expect.objectContaining({
        action: 'permission.denied',
        outcome: 'denied',
        actor: { type: 'apiKey', id: keyOfA.id },
        resourceId: 'GET /v1/api-keys',
      }),
    ]);
  });

  it('audits sign-up, logins and key changes per tenant, and verification finds an edited event', async () => {
    const admin = await register('Tenant Audit', 'admin@audit.test');
    await post('/v1/auth/login', { email: 'admin@audit.test', password: 'not the password at all' });
    await post('/v1/auth/login', { email: 'admin@audit.test', password: 'correct horse battery staple' });
    await post('/v1/api-keys', { name: 'forwarder', permissions: ['intel:read'] }, admin.accessToken);
    const other = await register('Tenant Other', 'admin@other.test');
    const get = (path: string, token: string) =>
      fetch(`${stack.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
        status: r.status,
        body: await json(r),
      }));

    const trail = await get('/v1/audit', admin.accessToken);
    const logins = await get('/v1/audit?action=auth.login', admin.accessToken);
    const intact = await get('/v1/audit/verify', admin.accessToken);
    const crossTenant = await get(`/v1/audit/${trail.body.items[0].id}`, other.accessToken);

    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { DynamoDBDocumentClient, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: stack.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      }),
    );
    await ddb.send(
      new UpdateCommand({
        TableName: 'vigil-local-audit',
        Key: { pk: `T#${admin.tenantId}`, sk: 'EVT#000000000002' },
        UpdateExpression: 'SET outcome = :o',
        ExpressionAttributeValues: { ':o': 'success' },
      }),
    );
    const broken = await get('/v1/audit/verify', admin.accessToken);

    expect(trail.body.items.map((e: Json) => e.action)).toEqual([
      'apikey.create',
      'auth.login',
      'auth.login',
      'auth.register',
    ]);
    expect(trail.body.items.every((e: Json) => e.tenantId === admin.tenantId)).toBe(true);
    expect(logins.body.items.map((e: Json) => e.outcome)).toEqual(['success', 'failure']);
    expect(intact.body).toEqual({ verified: 4, intact: true });
    expect(crossTenant.status).toBe(404);
    expect(broken.body).toMatchObject({
      intact: false,
      verified: 1,
      firstBreak: { seq: 2, reason: 'hash_mismatch' },
    });
  });

  it('resets a password by mail: same answer for unknown addresses, single use, and every session ends', async () => {
    const session = await register('Tenant Reset', 'admin@reset.test');
    const known = await post('/v1/auth/password-reset/request', { email: 'admin@reset.test' });
    const unknown = await post('/v1/auth/password-reset/request', { email: 'nobody@reset.test' });
    const mailbox = await json(await fetch(`${stack.httpUrl}/dev/mailbox`));
    const mail = mailbox.items.find((m: Json) => m.to.includes('admin@reset.test'));
    const token = /token=([^\s&]+)/.exec(mail?.text ?? '')?.[1];

    const confirm = await post('/v1/auth/password-reset/confirm', {
      token: decodeURIComponent(token ?? ''),
      password: 'a brand new passphrase here',
    });
    const again = await post('/v1/auth/password-reset/confirm', {
      token: decodeURIComponent(token ?? ''),
      password: 'yet another passphrase here',
    });
    const oldAccess = await me(session.accessToken);
    const oldRefresh = await post('/v1/auth/refresh', { refreshToken: session.refreshToken });
    const oldPassword = await post('/v1/auth/login', {
      email: 'admin@reset.test',
      password: 'correct horse battery staple',
    });
    const newPassword = await post('/v1/auth/login', {
      email: 'admin@reset.test',
      password: 'a brand new passphrase here',
    });

    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await json(known)).toEqual(await json(unknown));
    expect(mailbox.items.some((m: Json) => m.to.includes('nobody@reset.test'))).toBe(false);
    expect(token).toBeTruthy();
    expect(confirm.status).toBe(204);
    expect(again.status).toBe(400);
    expect((await json(again)).code).toBe('invalid_reset_token');
    expect(oldAccess.status).toBe(401);
    expect(oldRefresh.status).toBe(401);
    expect(oldPassword.status).toBe(401);
    expect(newPassword.status).toBe(200);
  });
});
