import type { RoleMapping } from './sso-settings.ts';

/**
 * The user's groups from the provider's claims: the claim named exactly (namespaced claims
 * such as "https://example.com/groups" contain dots), else a dotted path into nested objects
 * (Keycloak's "realm_access.roles"). A list keeps its strings; a single string is one group.
 */
export function groupsOf(claims: Readonly<Record<string, unknown>>, groupClaim: string): string[] {
  let value: unknown = Object.hasOwn(claims, groupClaim) ? claims[groupClaim] : undefined;
  if (value === undefined && groupClaim.includes('.')) {
    value = groupClaim.split('.').reduce<unknown>((node, key) => (typeof node === 'object' && node !== null && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined), claims);
  }
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  return [];
}

export type RoleDecision =
  | { kind: 'mapped'; group: string; role: string }
  | { kind: 'default'; role: string }
  | { kind: 'none' };

/**
 * The seed's rule: mappings are evaluated top to bottom and the first one whose group the
 * user is in wins, whatever order the provider lists the groups in. Group names match exactly
 * (they are identifiers, and some providers send ids). No match: the default role, if any.
 */
export function chooseRole(groups: readonly string[], mappings: readonly RoleMapping[], defaultRole: string | undefined): RoleDecision {
  const held = new Set(groups);
  const match = mappings.find((mapping) => held.has(mapping.group));
  if (match) return { kind: 'mapped', group: match.group, role: match.role };
  return defaultRole === undefined ? { kind: 'none' } : { kind: 'default', role: defaultRole };
}
