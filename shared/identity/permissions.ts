/**
 * Permissions and built-in roles. Every route declares one permission (or is public); one middleware
 * checks the caller's permissions against it. The identity context adds per-user grants on top.
 */
export const permissions = [
  'user:manage',
  'audit:read',
  'integration:manage',
  'integration:read',
  'enrich:run',
  'intel:read',
  'intel:write',
  'playbook:manage',
  'playbook:execute',
  'case:read',
  'case:write',
  'ingest:write',
  'realtime:subscribe',
  'session:own',
  'apikey:manage',
] as const;

export type Permission = (typeof permissions)[number];

export type Role = 'admin' | 'analyst' | 'viewer';

/** What each built-in role may do. Admins hold every permission. */
export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: permissions,
  analyst: [
    'integration:read',
    'enrich:run',
    'intel:read',
    'intel:write',
    'playbook:execute',
    'case:read',
    'case:write',
    'realtime:subscribe',
    'session:own',
  ],
  viewer: ['integration:read', 'intel:read', 'case:read', 'realtime:subscribe', 'session:own'],
};

/** Permissions granted by a set of roles (unknown roles grant nothing). */
export function permissionsOf(roles: readonly string[]): Permission[] {
  const granted = new Set<Permission>();
  for (const role of roles) {
    for (const permission of rolePermissions[role as Role] ?? []) granted.add(permission);
  }
  return [...granted].sort();
}

/** What a user may do: their roles' permissions plus their per-user grants, sorted. */
export function effectivePermissions(roles: readonly string[], grants: readonly string[] = []): Permission[] {
  const granted = new Set<Permission>(permissionsOf(roles));
  for (const grant of grants) {
    if ((permissions as readonly string[]).includes(grant)) granted.add(grant as Permission);
  }
  return [...granted].sort();
}
