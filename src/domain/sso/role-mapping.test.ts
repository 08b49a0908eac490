import { describe, expect, it } from 'vitest';
import { chooseRole, groupsOf } from './role-mapping.ts';

const mappings = [
  { group: 'sophon-admins', role: 'Admin' },
  { group: 'sophon-auditors', role: 'compliance-auditor' },
];

describe('choosing the role from the groups', () => {
  it('takes the first mapping, in the order written, whose group the user is in', () => {
    expect(chooseRole(['sophon-auditors', 'sophon-admins'], mappings, undefined)).toEqual({ kind: 'mapped', group: 'sophon-admins', role: 'Admin' });
    expect(chooseRole(['staff', 'sophon-auditors'], mappings, undefined)).toEqual({ kind: 'mapped', group: 'sophon-auditors', role: 'compliance-auditor' });
  });

  it('falls back to the default role, or to nothing', () => {
    expect(chooseRole(['staff'], mappings, 'Viewer')).toEqual({ kind: 'default', role: 'Viewer' });
    expect(chooseRole([], mappings, undefined)).toEqual({ kind: 'none' });
  });

  it('matches group names exactly', () => {
    expect(chooseRole(['Sophon-Admins'], mappings, undefined)).toEqual({ kind: 'none' });
  });
});

describe('reading the groups claim', () => {
  it('reads a list, ignoring what is not a string', () => {
    expect(groupsOf({ groups: ['a', 3, 'b', null] }, 'groups')).toEqual(['a', 'b']);
  });

  it('reads a single string as one group', () => {
    expect(groupsOf({ groups: 'a' }, 'groups')).toEqual(['a']);
  });

  it('reads a claim whose name holds dots, else a dotted path', () => {
    expect(groupsOf({ 'https://sophon.example/groups': ['a'] }, 'https://sophon.example/groups')).toEqual(['a']);
    expect(groupsOf({ realm_access: { roles: ['a'] } }, 'realm_access.roles')).toEqual(['a']);
  });

  it('answers no groups when the claim is missing or of another type', () => {
    expect(groupsOf({}, 'groups')).toEqual([]);
    expect(groupsOf({ groups: { a: true } }, 'groups')).toEqual([]);
    expect(groupsOf({ realm_access: 'x' }, 'realm_access.roles')).toEqual([]);
  });
});
