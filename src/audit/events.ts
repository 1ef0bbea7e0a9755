/**
 * Audit event keys (`noun.verb`, past tense, STYLE §3), each mapped once to the eventType put on
 * the wire. VCD's own strings are unconfirmed (spec §10.3); we follow its
 * `com/vmware/cloud/event/<object>/<verb>` pattern.
 */
export const AUDIT_EVENTS = {
  'session.logged_in': 'com/vmware/cloud/event/session/login',
  'session.login_failed': 'com/vmware/cloud/event/session/login_failure',
  'session.logged_out': 'com/vmware/cloud/event/session/logout',
  'mfa.enrolment_started': 'com/vmware/cloud/event/user/mfa/enrol_start',
  'mfa.enrolled': 'com/vmware/cloud/event/user/mfa/enrol',
  'mfa.removed': 'com/vmware/cloud/event/user/mfa/remove',
  'mfa.code_rejected': 'com/vmware/cloud/event/user/mfa/failure',
  'user.locked': 'com/vmware/cloud/event/user/lock',
  'org.created': 'com/vmware/cloud/event/org/create',
  'org.modified': 'com/vmware/cloud/event/org/modify',
  'org.deleted': 'com/vmware/cloud/event/org/delete',
  'user.created': 'com/vmware/cloud/event/user/create',
  'user.modified': 'com/vmware/cloud/event/user/modify',
  'user.deleted': 'com/vmware/cloud/event/user/delete',
  'user.password_changed': 'com/vmware/cloud/event/user/password/modify',
  'group.created': 'com/vmware/cloud/event/group/create',
  'group.modified': 'com/vmware/cloud/event/group/modify',
  'group.deleted': 'com/vmware/cloud/event/group/delete',
  'role.created': 'com/vmware/cloud/event/role/create',
  'role.modified': 'com/vmware/cloud/event/role/modify',
  'role.deleted': 'com/vmware/cloud/event/role/delete',
  'global_role.created': 'com/vmware/cloud/event/globalRole/create',
  'global_role.modified': 'com/vmware/cloud/event/globalRole/modify',
  'global_role.deleted': 'com/vmware/cloud/event/globalRole/delete',
  'rights_bundle.created': 'com/vmware/cloud/event/rightsBundle/create',
  'rights_bundle.modified': 'com/vmware/cloud/event/rightsBundle/modify',
  'rights_bundle.deleted': 'com/vmware/cloud/event/rightsBundle/delete',
  'api_token.created': 'com/vmware/cloud/event/token/create',
  'api_token.issued': 'com/vmware/cloud/event/token/issue',
  'api_token.refreshed': 'com/vmware/cloud/event/token/refresh',
  'api_token.refresh_failed': 'com/vmware/cloud/event/token/refresh_failure',
  'api_token.revoked': 'com/vmware/cloud/event/token/revoke',
  // Issue 17 (token governance): OpenDirector's own, in VCD's pattern.
  'api_token.create_refused': 'com/vmware/cloud/event/token/create_failure',
  'api_token.request_refused': 'com/vmware/cloud/event/token/request_failure',
  'api_token.expiring': 'com/vmware/cloud/event/token/expiring',
  'api_token_policy.modified': 'com/vmware/cloud/event/tokenPolicy/modify',
  'vdc.created': 'com/vmware/cloud/event/vdc/create',
  'vapp.created': 'com/vmware/cloud/event/vapp/create',
  'vm.created': 'com/vmware/cloud/event/vm/create',
  'vm.powered_on': 'com/vmware/cloud/event/vm/power_on',
  'vm.powered_off': 'com/vmware/cloud/event/vm/power_off',
  // OpenDirector's own (the `opendirector keys` command): no VCD counterpart.
  'signing_key.created': 'com/vmware/cloud/event/signingKey/create',
  'signing_key.rewrapped': 'com/vmware/cloud/event/signingKey/rewrap',
  'signing_key.deleted': 'com/vmware/cloud/event/signingKey/delete',
} as const;

export type AuditEventKey = keyof typeof AUDIT_EVENTS;
