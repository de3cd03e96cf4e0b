import { generate } from 'otplib';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Permission } from '../../../shared/identity/permissions';
import { permissionsOf, type Role } from '../../../shared/identity/permissions';
import type { Principal } from '../../../shared/identity/principal';
import { createTestTables, type TestTables } from '../../support/dynamodb';
import { type IdentityHarness, identityHarness, tokenFromMail } from '../../support/identity';

const password = 'correct horse battery staple';
const origin = { ip: '203.0.113.7', userAgent: 'vitest' };

const principalOf = (tenantId: string, id: string, roles: Role[]): Principal => ({
  tenantId,
  id,
  type: 'user',
  permissions: new Set<Permission>(permissionsOf(roles)),
});

describe('TOTP two-factor authentication', () => {
  let tables: TestTables;
  let h: IdentityHarness;
  let actor: { tenantId: string; userId: string };
  let secret: string;
  const code = (offsetSeconds = 0) =>
    generate({ secret, epoch: Math.floor((h.clock.now + offsetSeconds * 1000) / 1000) });

  beforeAll(async () => {
    tables = await createTestTables();
  });

  beforeEach(async () => {
    h = identityHarness(tables);
    const email = `mfa-${Math.random().toString(36).slice(2)}@test.test`;
    const registered = await h.auth.register({ tenantName: 'MFA', email, password, name: 'M' }, origin);
    actor = { tenantId: registered.tenantId, userId: registered.userId };
    const setup = await h.mfa.setup(actor);
    secret = new URL(setup.otpauthUri).searchParams.get('secret') ?? '';
    expect(setup.qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);
    expect(setup.otpauthUri).toMatch(/^otpauth:\/\/totp\/Vigil%20\(test\):/);
  });

  it('stores the secret encrypted, turns 2FA on with a first code and returns ten recovery codes', async () => {
    const { recoveryCodes } = await h.mfa.enable(actor, await code());
    const stored = await h.repo.getUser(actor.tenantId, actor.userId);

    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(stored?.mfa?.enabled).toBe(true);
    expect(stored?.mfa?.secret).toBeDefined();
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored?.mfa?.recoveryCodeHashes).toHaveLength(10);
    expect(JSON.stringify(stored)).not.toContain(recoveryCodes[0]);
  });

  it('asks for the second factor at login and accepts a code once: the same time step cannot be replayed', async () => {
    await h.mfa.enable(actor, await code());
    const user = await h.repo.getUser(actor.tenantId, actor.userId);
    h.clock.now += 30_000;

    const challenge = await h.auth.login({ email: user?.email ?? '', password }, origin);
    expect(challenge).toMatchObject({ mfaRequired: true, expiresIn: 300 });
    const mfaToken = (challenge as { mfaToken: string }).mfaToken;
    const current = await code();
    const tokens = await h.auth.completeMfa({ mfaToken, code: current }, origin);

    expect(tokens.accessToken).toContain('"amr":["pwd","otp","mfa"]');
    await expect(
      h.auth.login({ email: user?.email ?? '', password, totp: current }, origin),
    ).rejects.toMatchObject({ code: 'invalid_mfa_code' });
    await expect(h.auth.completeMfa({ mfaToken, code: await code(30) }, origin)).rejects.toMatchObject({
      code: 'invalid_mfa_token',
    });
  });

  it('refuses a wrong code without using up the challenge, and expires the challenge after five minutes', async () => {
    await h.mfa.enable(actor, await code());
    const user = await h.repo.getUser(actor.tenantId, actor.userId);
    h.clock.now += 30_000;
    const { mfaToken } = (await h.auth.login({ email: user?.email ?? '', password }, origin)) as {
      mfaToken: string;
    };

    await expect(h.auth.completeMfa({ mfaToken, code: '000000' }, origin)).rejects.toMatchObject({
      code: 'invalid_mfa_code',
    });
    const ok = await h.auth.completeMfa({ mfaToken, code: await code() }, origin);
    expect(ok).toHaveProperty('refreshToken');

    h.clock.now += 30_000;
    const late = (await h.auth.login({ email: user?.email ?? '', password }, origin)) as { mfaToken: string };
    h.clock.now += 301_000;
    await expect(
      h.auth.completeMfa({ mfaToken: late.mfaToken, code: await code() }, origin),
    ).rejects.toMatchObject({ code: 'invalid_mfa_token' });
  });

  it('accepts each recovery code once', async () => {
    const { recoveryCodes } = await h.mfa.enable(actor, await code());
    const user = await h.repo.getUser(actor.tenantId, actor.userId);
    const login = async () =>
      ((await h.auth.login({ email: user?.email ?? '', password }, origin)) as { mfaToken: string }).mfaToken;

    const first = await h.auth.completeMfa(
      { mfaToken: await login(), recoveryCode: recoveryCodes[3] },
      origin,
    );

    expect(first.accessToken).toContain('"amr":["pwd","mfa"]');
    await expect(
      h.auth.completeMfa({ mfaToken: await login(), recoveryCode: recoveryCodes[3] }, origin),
    ).rejects.toMatchObject({ code: 'invalid_recovery_code' });
    expect((await h.repo.getUser(actor.tenantId, actor.userId))?.mfa?.recoveryCodeHashes).toHaveLength(9);
  });

  it('regenerates recovery codes and disables 2FA only with a current code', async () => {
    const { recoveryCodes: old } = await h.mfa.enable(actor, await code());
    h.clock.now += 30_000;
    const { recoveryCodes: fresh } = await h.mfa.regenerateRecoveryCodes(actor, await code());
    h.clock.now += 30_000;

    await expect(h.mfa.disable(actor, '123456')).rejects.toMatchObject({ code: 'invalid_mfa_code' });
    await h.mfa.disable(actor, await code());
    const user = await h.repo.getUser(actor.tenantId, actor.userId);
    const login = await h.auth.login({ email: user?.email ?? '', password }, origin);

    expect(fresh).not.toEqual(old);
    expect(user?.mfa?.enabled).toBe(false);
    expect(login).toHaveProperty('accessToken');
  });
});

describe('user administration', () => {
  let tables: TestTables;
  let h: IdentityHarness;
  let tenantId: string;
  let admin: Principal;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  beforeEach(async () => {
    h = identityHarness(tables);
    const email = `admin-${Math.random().toString(36).slice(2)}@test.test`;
    const registered = await h.auth.register({ tenantName: 'Users', email, password, name: 'A' }, origin);
    tenantId = registered.tenantId;
    admin = principalOf(tenantId, registered.userId, ['admin']);
  });

  const invite = async (role: Role) => {
    const email = `${role}-${Math.random().toString(36).slice(2)}@test.test`;
    await h.users.invite(admin, { email, role });
    const token = tokenFromMail(h.mail.at(-1), 'vin');
    return h.auth.acceptInvitation({ token, password, name: role }, origin);
  };

  it('invites a user who joins the tenant with the invited role, once', async () => {
    await h.users.invite(admin, { email: 'analyst@users.test', role: 'analyst' });
    const token = tokenFromMail(h.mail.at(-1), 'vin');

    const joined = await h.auth.acceptInvitation({ token, password, name: 'Ann' }, origin);

    await expect(h.auth.acceptInvitation({ token, password, name: 'Ann' }, origin)).rejects.toMatchObject({
      code: 'invalid_invitation',
    });
    expect(joined.tenantId).toBe(tenantId);
    expect(await h.users.get(admin, joined.userId)).toMatchObject({
      email: 'analyst@users.test',
      roles: ['analyst'],
      emailVerified: true,
    });
  });

  it('never leaves a tenant without an active admin', async () => {
    await expect(h.users.update(admin, admin.id, { role: 'analyst' })).rejects.toMatchObject({
      code: 'last_admin',
    });
    await expect(h.users.update(admin, admin.id, { status: 'disabled' })).rejects.toMatchObject({
      code: 'last_admin',
    });
    await expect(h.users.remove(admin, admin.id)).rejects.toMatchObject({ code: 'last_admin' });

    const second = await invite('admin');
    await h.users.update(admin, admin.id, { role: 'viewer' });
    const secondAdmin = principalOf(tenantId, second.userId, ['admin']);

    await expect(h.users.update(secondAdmin, second.userId, { role: 'analyst' })).rejects.toMatchObject({
      code: 'last_admin',
    });
    expect((await h.users.get(secondAdmin, admin.id)).roles).toEqual(['viewer']);
  });

  it('keeps one admin when two admins demote each other at the same time', async () => {
    const second = await invite('admin');
    const secondAdmin = principalOf(tenantId, second.userId, ['admin']);

    const outcomes = await Promise.allSettled([
      h.users.update(admin, second.userId, { role: 'analyst' }),
      h.users.update(secondAdmin, admin.id, { role: 'analyst' }),
    ]);
    const admins = (await h.users.list(admin)).filter((u) => u.roles.includes('admin'));

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(admins).toHaveLength(1);
  });

  it('grants permissions on top of a role, and refuses grants the caller does not hold', async () => {
    const viewer = await invite('viewer');
    const updated = await h.users.setGrants(admin, viewer.userId, ['enrich:run']);
    const viewerPrincipal = principalOf(tenantId, viewer.userId, ['viewer']);
    viewerPrincipal.permissions = new Set<Permission>([...viewerPrincipal.permissions, 'user:manage']);

    const escalation = h.users.setGrants(viewerPrincipal, viewer.userId, ['integration:manage']);

    await expect(escalation).rejects.toMatchObject({ code: 'permission_escalation' });
    expect(updated.permissions).toContain('enrich:run');
    expect(updated.grants).toEqual(['enrich:run']);
    expect(h.securityEvents).toContain('permission.escalation_attempt');
  });

  it('lists and revokes sessions; another tenant sees none of them', async () => {
    const viewer = await invite('viewer');
    const viewerPrincipal = principalOf(tenantId, viewer.userId, ['viewer']);
    const other = await h.auth.register(
      { tenantName: 'Other', email: `o-${Math.random().toString(36).slice(2)}@t.test`, password, name: 'O' },
      origin,
    );
    const otherAdmin = principalOf(other.tenantId, other.userId, ['admin']);

    const own = await h.users.sessions(viewerPrincipal, {});
    const all = await h.users.sessions(admin, { all: true });
    const [session] = own;
    if (!session) throw new Error('no session');
    await expect(h.users.revokeSession(otherAdmin, session.id)).rejects.toMatchObject({
      code: 'session_not_found',
    });
    await h.users.revokeSession(admin, session.id);

    expect(own).toHaveLength(1);
    expect(all.map((s) => s.userId).sort()).toEqual([admin.id, viewer.userId].sort());
    expect(await h.users.sessions(viewerPrincipal, {})).toEqual([]);
    await expect(h.auth.refresh(viewer.refreshToken, origin)).rejects.toMatchObject({
      code: 'invalid_refresh_token',
    });
    expect(await h.users.sessions(otherAdmin, { all: true })).toHaveLength(1);
  });
});
