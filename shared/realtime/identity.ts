/**
 * Reads the verified identity an authorizer attached to a WebSocket `$connect` (flat context values,
 * as API Gateway passes them). Anything incomplete counts as no identity.
 */
export function identityFromAuthorizer(
  context: Record<string, unknown> | undefined,
): { tenantId: string; principalId: string } | undefined {
  const tenantId = context?.tenantId;
  const principalId = context?.principalId;
  if (typeof tenantId !== 'string' || !tenantId || typeof principalId !== 'string' || !principalId) {
    return undefined;
  }
  return { tenantId, principalId };
}
