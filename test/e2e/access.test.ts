import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Json, json } from '../support/http';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-stack';

const password = 'correct horse battery staple';

/**
 * Access control through the local target: 2FA, invitations and roles, user and session
 * administration, tenant isolation of every id, and security alerts reaching admins.
 */
describe('local target: 2FA, users, sessions, tenant isolation and security alerts', () => {
  let stack: LocalStackProcess;
  const call = async (method: string, path: string, token?: string, body?: unknown) =>
    fetch(`${stack.httpUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const register = async (tenantName: string, email: string): Promise<Json> => {
    const res = await call('POST', '/v1/auth/register', undefined, {
      tenantName,
      email,
      password,
      name: 'Admin',
    });
    expect(res.status).toBe(201);
    return json(res);
  };
  const login = async (email: string, extra: Record<string, string> = {}) =>
    call('POST', '/v1/auth/login', undefined, { email, password, ...extra });
  const latestMailTo = async (address: string): Promise<string> => {
    const mailbox = await json(await fetch(`${stack.httpUrl}/dev/mailbox`));
    const mail = mailbox.items.find((m: Json) => m.to.includes(address));
    return String(mail?.text ?? '');
  };
  /** Invites `email` as `role` into the admin's tenant and accepts it; returns the new user's tokens. */
  const join = async (adminToken: string, email: string, role: string): Promise<Json> => {
    const invited = await call('POST', '/v1/users/invitations', adminToken, { email, role });
    expect(invited.status).toBe(201);
    const token = /vin_[A-Za-z0-9_-]{43}/.exec(await latestMailTo(email))?.[0];
    const accepted = await call('POST', '/v1/auth/invitations/accept', undefined, {
      token,
      password,
      name: role,
    });
    expect(accepted.status).toBe(201);
    return json(accepted);
  };

  beforeAll(async () => {
    stack = await startLocalStackProcess({
      env: { SECURITY_ALERT_FAILED_LOGINS_PER_HOUR: '3', AUTH_RATE_LIMIT_PER_ACCOUNT: '50' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('enrols TOTP, then requires it at login, and refuses a replayed code', async () => {
    const admin = await register('MFA Tenant', 'admin@mfa.test');
    const setup = await json(await call('POST', '/v1/auth/2fa/setup', admin.accessToken));
    const secret = new URL(setup.otpauthUri).searchParams.get('secret') ?? '';
    const code = (stepsAhead = 0) =>
      generate({ secret, epoch: Math.floor(Date.now() / 1000) + stepsAhead * 30 });

    const verified = await call('POST', '/v1/auth/2fa/verify', admin.accessToken, { code: await code() });
    const { recoveryCodes } = await json(verified);
    const challenge = await json(await login('admin@mfa.test'));
    // The step used to enable 2FA is spent; the next step's code is within the accepted drift.
    const current = await code(1);
    const completed = await call('POST', '/v1/auth/mfa', undefined, {
      mfaToken: challenge.mfaToken,
      code: current,
    });
    const replayed = await login('admin@mfa.test', { totp: current });
    const viaRecovery = await call('POST', '/v1/auth/mfa', undefined, {
      mfaToken: (await json(await login('admin@mfa.test'))).mfaToken,
      recoveryCode: recoveryCodes[0],
    });
    const me = await json(await call('GET', '/v1/me', (await json(completed)).accessToken));

    expect(setup.qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);
    expect(verified.status).toBe(200);
    expect(recoveryCodes).toHaveLength(10);
    expect(challenge).toMatchObject({ mfaRequired: true, expiresIn: 300 });
    expect(challenge.accessToken).toBeUndefined();
    expect(completed.status).toBe(200);
    expect(replayed.status).toBe(401);
    expect((await json(replayed)).code).toBe('invalid_mfa_code');
    expect(viaRecovery.status).toBe(200);
    expect(me.mfaEnabled).toBe(true);
  });

  it('gives an invited viewer 403 on admin routes and records the attempt in the audit log', async () => {
    const admin = await register('Roles Tenant', 'admin@roles.test');
    const viewer = await join(admin.accessToken, 'viewer@roles.test', 'viewer');

    const users = await call('GET', '/v1/users', viewer.accessToken);
    const invite = await call('POST', '/v1/users/invitations', viewer.accessToken, {
      email: 'x@roles.test',
      role: 'admin',
    });
    const denied = await json(await call('GET', '/v1/audit?action=permission.denied', admin.accessToken));

    expect(users.status).toBe(403);
    expect((await json(users)).code).toBe('permission_denied');
    expect(invite.status).toBe(403);
    expect(denied.items.map((e: Json) => [e.actor.id, e.resourceId])).toEqual(
      expect.arrayContaining([
        [viewer.userId, 'GET /v1/users'],
        [viewer.userId, 'POST /v1/users/invitations'],
      ]),
    );
  });

  it('applies role changes, grants and disabling at once, and keeps the last admin', async () => {
    const admin = await register('Admin Tenant', 'admin@admin.test');
    const analyst = await join(admin.accessToken, 'analyst@admin.test', 'analyst');

    const before = await call('GET', '/v1/users', analyst.accessToken);
    await call('PATCH', `/v1/users/${analyst.userId}`, admin.accessToken, { role: 'admin' });
    const promoted = await call('GET', '/v1/users', analyst.accessToken);
    const granted = await json(
      await call('PUT', `/v1/users/${analyst.userId}/grants`, admin.accessToken, {
        permissions: ['ingest:write'],
      }),
    );
    await call('PATCH', `/v1/users/${analyst.userId}`, admin.accessToken, { status: 'disabled' });
    const disabled = await call('GET', '/v1/me', analyst.accessToken);
    const lastAdmin = await call('PATCH', `/v1/users/${admin.userId}`, admin.accessToken, { role: 'viewer' });
    const changes = await json(await call('GET', '/v1/audit?action=user.updated', admin.accessToken));

    expect(before.status).toBe(403);
    expect(promoted.status).toBe(200);
    expect(granted.grants).toEqual(['ingest:write']);
    expect(disabled.status).toBe(401);
    expect(lastAdmin.status).toBe(409);
    expect((await json(lastAdmin)).code).toBe('last_admin');
    expect(changes.items).toHaveLength(2);
  });

  it('lists sessions and ends one: its access and refresh tokens stop working at once', async () => {
    const admin = await register('Session Tenant', 'admin@session.test');
    const second = await json(await login('admin@session.test', {}));

    const sessions = await json(await call('GET', '/v1/sessions', admin.accessToken));
    // Newest first: the second login's session.
    const [newest] = sessions.items;
    const revoked = await call('DELETE', `/v1/sessions/${newest.id}`, admin.accessToken);
    const ended = await call('GET', '/v1/me', second.accessToken);
    const kept = await call('GET', '/v1/me', admin.accessToken);
    const endedRefresh = await call('POST', '/v1/auth/refresh', undefined, {
      refreshToken: second.refreshToken,
    });
    const keptRefresh = await call('POST', '/v1/auth/refresh', undefined, {
      refreshToken: admin.refreshToken,
    });
    const remaining = await json(await call('GET', '/v1/sessions', admin.accessToken));

    expect(sessions.items).toHaveLength(2);
    expect(newest).toMatchObject({ userId: admin.userId, amr: ['pwd'], ip: expect.any(String) });
    expect(revoked.status).toBe(204);
    expect(ended.status).toBe(401);
    expect(kept.status).toBe(200);
    expect(endedRefresh.status).toBe(401);
    expect(keptRefresh.status).toBe(200);
    expect(remaining.items).toHaveLength(1);
  });

  it('answers 404 for another tenant’s users, sessions, notifications, API keys and audit events', async () => {
    const a = await register('Iso A', 'admin@iso-a.test');
    const b = await register('Iso B', 'admin@iso-b.test');
    const key = await json(
      await call('POST', '/v1/api-keys', a.accessToken, { name: 'k', permissions: ['intel:read'] }),
    );
    const [sessionA] = (await json(await call('GET', '/v1/sessions', a.accessToken))).items;
    const [eventA] = (await json(await call('GET', '/v1/audit', a.accessToken))).items;

    const statuses = await Promise.all(
      [
        ['GET', `/v1/users/${a.userId}`],
        ['PATCH', `/v1/users/${a.userId}`, { name: 'x' }],
        ['DELETE', `/v1/users/${a.userId}`],
        ['PUT', `/v1/users/${a.userId}/grants`, { permissions: [] }],
        ['DELETE', `/v1/sessions/${sessionA.id}`],
        ['DELETE', `/v1/api-keys/${key.id}`],
        ['POST', `/v1/api-keys/${key.id}/rotate`],
        ['GET', `/v1/audit/${eventA.id}`],
        ['PUT', '/v1/notifications/0000000000000000000aa', { read: true }],
      ].map(
        async ([method, path, body]) =>
          (await call(String(method), String(path), b.accessToken, body)).status,
      ),
    );
    const stillThere = await call('GET', `/v1/users/${a.userId}`, a.accessToken);

    expect(statuses).toEqual([404, 404, 404, 404, 404, 404, 404, 404, 404]);
    expect(stillThere.status).toBe(200);
  });

  it('raises a security alert past the failed-login threshold: a notification and a push to the admin', async () => {
    const admin = await register('Alert Tenant', 'admin@alert.test');
    const ws = new WebSocket(`${stack.wsUrl}?token=${admin.accessToken}`);
    const pushes: Json[] = [];
    ws.on('message', (data) => pushes.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ action: 'subscribe', topics: [`user:${admin.userId}`] }));
    const foreign = new Promise<Json>((resolve) => {
      ws.send(JSON.stringify({ action: 'subscribe', topics: ['user:u_someone-else'] }));
      const check = () => {
        const error = pushes.find((p) => p.type === 'error');
        if (error) resolve(error);
        else setTimeout(check, 50);
      };
      check();
    });

    for (let i = 0; i < 4; i += 1) {
      await call('POST', '/v1/auth/login', undefined, {
        email: 'admin@alert.test',
        password: 'not the password!',
      });
    }
    const deadline = Date.now() + 15_000;
    while (!pushes.some((p) => p.type === 'message') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    ws.close();
    const notifications = await json(await call('GET', '/v1/notifications?unread=true', admin.accessToken));
    const metrics = await json(await call('GET', '/v1/security/metrics', admin.accessToken));
    const [first] = notifications.items;
    const read = await call('PUT', `/v1/notifications/${first?.id}`, admin.accessToken, { read: true });
    const unreadAfter = await json(await call('GET', '/v1/notifications?unread=true', admin.accessToken));

    expect((await foreign).code).toBe('forbidden_topic');
    expect(pushes.find((p) => p.type === 'message')).toMatchObject({
      topic: `user:${admin.userId}`,
      data: {
        type: 'notification',
        notification: { type: 'security.failed_logins_threshold', severity: 'high' },
      },
    });
    expect(notifications.items).toHaveLength(1);
    expect(metrics).toMatchObject({
      failedLogins: 4,
      activeSessions: 1,
      thresholds: { failedLoginsPerHour: 3 },
    });
    expect(metrics).toMatchObject({ rateLimitViolations: 0, suspiciousActivities: 0 });
    expect(read.status).toBe(204);
    expect(unreadAfter.items).toEqual([]);
  });
});
