import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/chain';
import { ConflictError, ForbiddenError, NotFoundError } from '../platform/errors';
import { invitationLifetimeSeconds, refreshTokenLifetimeSeconds } from './auth';
import type { OneTimeTokens } from './one-time-tokens';
import { effectivePermissions, type Permission, type Role, rolePermissions } from './permissions';
import {
  type IdentityRepository,
  LastAdminError,
  type SecurityEvents,
  type SessionRecord,
  type UserChanges,
  type UserRecord,
} from './ports';
import type { Principal } from './principal';

/**
 * User administration within a tenant: list, read, change role/status/name, delete, per-user grants,
 * invitations, and sessions. Every lookup is keyed by the caller's tenant, so another tenant's ids
 * are simply not found. A tenant always keeps one active admin, and nobody hands out permissions
 * they do not hold themselves.
 */
export interface UserDeps {
  repo: IdentityRepository;
  audit: AuditLog;
  tokens: OneTimeTokens;
  securityEvents: SecurityEvents;
  now: () => number;
}

/** A user as the API shows it: never the password hash, the TOTP secret or recovery codes. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  grants: Permission[];
  permissions: Permission[];
  status: 'active' | 'disabled';
  emailVerified: boolean;
  mfaEnabled: boolean;
  createdAt: string;
}

export type SessionView = Omit<SessionRecord, 'tenantId' | 'revokedAt'>;

export function userView(user: UserRecord): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    roles: user.roles,
    grants: user.grants ?? [],
    permissions: effectivePermissions(user.roles, user.grants),
    status: user.status,
    emailVerified: user.emailVerified === true,
    mfaEnabled: user.mfa?.enabled === true,
    createdAt: user.createdAt,
  };
}

function sessionView(session: SessionRecord): SessionView {
  const { tenantId: _tenantId, revokedAt: _revokedAt, ...rest } = session;
  return rest;
}

const notFound = () => new NotFoundError('No such user.', 'user_not_found');
const lastAdmin = () =>
  new ConflictError('A tenant needs at least one active admin. Promote another user first.', 'last_admin');

export function userService(deps: UserDeps) {
  const audit = (
    principal: Principal,
    action: string,
    resourceType: string,
    resourceId: string,
    details?: Record<string, unknown>,
    outcome: 'success' | 'denied' = 'success',
  ) =>
    deps.audit.append({
      tenantId: principal.tenantId,
      actor: { type: principal.type, id: principal.id },
      action,
      resourceType,
      resourceId,
      outcome,
      details,
    });

  /** Refuses handing out permissions the caller does not hold, as an escalation attempt. */
  const assertHeld = async (principal: Principal, wanted: readonly Permission[], target: string) => {
    const missing = wanted.filter((p) => !principal.permissions.has(p));
    if (missing.length === 0) return;
    await deps.securityEvents.record({
      type: 'permission.escalation_attempt',
      severity: 'high',
      tenantId: principal.tenantId,
      details: { principalId: principal.id, target, missing },
    });
    await audit(principal, 'permission.escalation_attempt', 'user', target, { missing }, 'denied');
    throw new ForbiddenError(
      `You cannot grant permissions you do not hold: ${missing.join(', ')}.`,
      'permission_escalation',
    );
  };

  const change = async (principal: Principal, id: string, changes: UserChanges): Promise<UserView> => {
    try {
      const updated = await deps.repo.updateUser(principal.tenantId, id, changes);
      if (!updated) throw notFound();
      return userView(updated);
    } catch (error) {
      if (error instanceof LastAdminError) throw lastAdmin();
      throw error;
    }
  };

  return {
    async list(principal: Principal): Promise<UserView[]> {
      const users = await deps.repo.listUsers(principal.tenantId);
      return users.map(userView).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },

    async get(principal: Principal, id: string): Promise<UserView> {
      const user = await deps.repo.getUser(principal.tenantId, id);
      if (!user) throw notFound();
      return userView(user);
    },

    /** Renames, changes the role or disables/enables a user; a disabled user's tokens stop at once. */
    async update(
      principal: Principal,
      id: string,
      input: { name?: string; role?: Role; status?: 'active' | 'disabled' },
    ): Promise<UserView> {
      if (input.role) await assertHeld(principal, rolePermissions[input.role], id);
      const view = await change(principal, id, {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.role ? { roles: [input.role] } : {}),
        ...(input.status ? { status: input.status } : {}),
      });
      await audit(principal, 'user.updated', 'user', id, { ...input });
      return view;
    },

    async remove(principal: Principal, id: string): Promise<void> {
      try {
        if (!(await deps.repo.deleteUser(principal.tenantId, id))) throw notFound();
      } catch (error) {
        if (error instanceof LastAdminError) throw lastAdmin();
        throw error;
      }
      await audit(principal, 'user.deleted', 'user', id);
    },

    /** Replaces the user's per-user grants (permissions on top of their role). */
    async setGrants(principal: Principal, id: string, grants: Permission[]): Promise<UserView> {
      const unique = [...new Set(grants)].sort();
      await assertHeld(principal, unique, id);
      const view = await change(principal, id, { grants: unique });
      await audit(principal, 'user.grants_changed', 'user', id, { grants: unique });
      return view;
    },

    /**
     * Mails a single-use invitation (three days) to join the tenant with `role`. The answer is the
     * same whether or not the address already has an account anywhere; acceptance tells the invitee.
     */
    async invite(
      principal: Principal,
      input: { email: string; role: Role },
    ): Promise<{ id: string; email: string; role: Role; expiresAt: string }> {
      await assertHeld(principal, rolePermissions[input.role], input.email);
      const userId = `u_${randomUUID()}`;
      const { token, expiresAt } = await deps.tokens.issue(
        'invitation',
        'vin',
        {
          tenantId: principal.tenantId,
          userId,
          data: { email: input.email, role: input.role, invitedBy: principal.id },
        },
        invitationLifetimeSeconds,
      );
      await deps.tokens.mail(
        {
          to: input.email,
          subject: 'You are invited to Vigil',
          intro: `You have been invited to join a Vigil tenant as ${input.role}. To choose your password and join:`,
          path: '/accept-invitation',
          endpoint: 'POST /v1/auth/invitations/accept with your name and a password',
          validity: 'three days',
        },
        token,
      );
      await audit(principal, 'user.invited', 'invitation', userId, { email: input.email, role: input.role });
      return {
        id: userId,
        email: input.email,
        role: input.role,
        expiresAt: new Date(expiresAt * 1000).toISOString(),
      };
    },

    /**
     * Sessions (one per login, across refreshes). Everyone sees their own; callers with `user:manage`
     * may list one user's (`userId`) or the whole tenant's (`all`).
     */
    async sessions(principal: Principal, filter: { userId?: string; all?: boolean }): Promise<SessionView[]> {
      const admin = principal.permissions.has('user:manage');
      const userId = filter.all && admin ? undefined : admin && filter.userId ? filter.userId : principal.id;
      const sessions = await deps.repo.listSessions(
        principal.tenantId,
        Math.floor(deps.now() / 1000),
        userId,
      );
      return sessions.map(sessionView).sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
    },

    /** Ends a session: its refresh token stops working and its access tokens are refused at once. */
    async revokeSession(principal: Principal, id: string): Promise<void> {
      const session = await deps.repo.getSession(principal.tenantId, id);
      const mine = session?.userId === principal.id;
      if (!session || session.revokedAt || (!mine && !principal.permissions.has('user:manage'))) {
        throw new NotFoundError('No such session.', 'session_not_found');
      }
      const nowSeconds = Math.floor(deps.now() / 1000);
      await deps.repo.revokeFamily(
        principal.tenantId,
        id,
        new Date(deps.now()).toISOString(),
        Math.max(session.expiresAt, nowSeconds + refreshTokenLifetimeSeconds),
      );
      await audit(principal, 'session.revoked', 'session', id, { userId: session.userId });
    },
  };
}

export type UserService = ReturnType<typeof userService>;
