/**
 * Table shapes as Kysely sees them. One schema for both engines: times are ISO-8601
 * UTC strings (fixed width, so they sort and compare as text), flags are 0/1 integers,
 * structured values are JSON text.
 */
export interface Database {
  tenants: { id: string; slug: string; name: string; created_at: string; updated_at: string };
  users: {
    id: string;
    email: string;
    email_normalized: string;
    display_name: string;
    home_tenant_id: string;
    status: string;
    password_hash: string;
    must_change_password: number;
    created_at: string;
    updated_at: string;
    last_login_at: string | null;
    last_login_ip: string | null;
    last_login_user_agent: string | null;
    password_expires_at: string | null;
    /** Set by an admin's 2FA reset: the user must enrol again (migration 005). */
    two_factor_reenrolment_required_at: string | null;
  };
  roles: {
    id: string;
    tenant_id: string | null;
    name: string;
    name_normalized: string;
    description: string;
    built_in: number;
    permissions: string;
    created_at: string;
    updated_at: string;
  };
  role_assignments: { user_id: string; tenant_id: string; role_id: string; assigned_at: string; assigned_by: string | null };
  /** A member's temporary role in a tenant, winning over their assignment until ends_at (migration 012). */
  role_elevations: { user_id: string; tenant_id: string; role_id: string; ends_at: string; assigned_at: string; assigned_by: string | null; access_request_id: string | null };
  /** Requests for a time-bound role (migration 012). */
  access_requests: {
    id: string;
    tenant_id: string;
    user_id: string;
    user_email: string;
    role_id: string;
    role_name: string;
    duration_seconds: number;
    reason: string;
    status: string;
    created_at: string;
    decided_at: string | null;
    decided_by: string | null;
    decided_by_email: string | null;
    decision_reason: string | null;
    ends_at: string | null;
  };
  sessions: {
    id: string;
    user_id: string;
    token_hash: string;
    csrf_hash: string;
    created_at: string;
    last_seen_at: string;
    expires_at: string;
    ip: string | null;
    user_agent: string | null;
    ended_at: string | null;
    end_reason: string | null;
    method: string | null;
  };
  api_tokens: {
    id: string;
    user_id: string;
    name: string;
    token_hash: string;
    prefix: string;
    created_at: string;
    expires_at: string | null;
    last_used_at: string | null;
    revoked_at: string | null;
  };
  audit_events: {
    id: string;
    occurred_at: string;
    tenant_id: string;
    actor_id: string | null;
    actor_email: string | null;
    category: string;
    action: string;
    outcome: string;
    subject_type: string | null;
    subject_id: string | null;
    diff: string | null;
    detail: string | null;
    ip: string | null;
    user_agent: string | null;
  };
  resources: {
    id: string;
    tenant_id: string;
    kind: string;
    name: string;
    owner_id: string | null;
    previous_owner_id: string | null;
    orphaned_at: string | null;
    content: string | null;
    created_at: string;
    updated_at: string;
  };
  one_time_links: {
    id: string;
    user_id: string;
    purpose: string;
    token_hash: string;
    created_at: string;
    expires_at: string;
    used_at: string | null;
    created_by: string | null;
    /** 0/1: redeeming the link also revokes the user's API tokens (migration 005). */
    revoke_tokens: number | null;
  };
  mail_outbox: {
    id: string;
    tenant_id: string;
    user_id: string | null;
    kind: string;
    recipient: string;
    subject: string;
    body_text: string;
    /** 007: the one-time link whose token is filled in at send time. */
    link_id: string | null;
    status: string;
    attempts: number;
    next_attempt_at: string;
    locked_until: string | null;
    last_error: string | null;
    created_at: string;
    sent_at: string | null;
  };
  user_avatars: { user_id: string; content_type: string; data_base64: string; updated_at: string };
  two_factor: {
    user_id: string;
    status: string;
    secret_ciphertext: string;
    secret_key_id: string;
    created_at: string;
    enabled_at: string | null;
    last_used_step: number | null;
  };
  recovery_codes: { id: string; user_id: string; code_hash: string; created_at: string; used_at: string | null };
  login_challenges: { id: string; user_id: string; token_hash: string; created_at: string; expires_at: string; consumed_at: string | null; failed_attempts: number };
  login_throttle: { key: string; failures: number; last_failure_at: string | null };
  login_attempts_in_flight: { attempt_id: string; key: string; expires_at: string };
  auth_policies: {
    scope_id: string;
    require_two_factor: number | null;
    idle_timeout_seconds: number | null;
    absolute_timeout_seconds: number | null;
    updated_at: string;
    updated_by: string | null;
  };
  external_identities: { issuer: string; subject: string; user_id: string; created_at: string; last_login_at: string | null };
  sso_login_states: {
    id: string;
    state_hash: string;
    code_verifier: string;
    nonce: string;
    issuer: string;
    created_at: string;
    expires_at: string;
    consumed_at: string | null;
  };
  /** CSV imports run as jobs (migration 009). */
  import_jobs: {
    id: string;
    tenant_id: string;
    actor_id: string;
    /** JSON: the Actor the job acts as (who started it, from where). */
    actor: string;
    status: string;
    phase: string;
    dry_run: number;
    all_or_nothing: number;
    total: number;
    done: number;
    created: number;
    valid: number;
    failed: number;
    passwords_hashed: number;
    resumed: number;
    sealed_key: string | null;
    error: string | null;
    created_at: string;
    updated_at: string;
    finished_at: string | null;
    /** The node running the job (its id for this process) and until when; null when none is (migration 015). */
    runner_id: string | null;
    lease_expires_at: string | null;
  };
  import_job_rows: {
    job_id: string;
    line: number;
    email: string;
    email_normalized: string;
    display_name: string;
    role: string | null;
    tenant: string | null;
    password_sealed: string | null;
    status: string;
    error_code: string | null;
    error_message: string | null;
    user_id: string | null;
    result: string | null;
    credential_sealed: string | null;
  };
  /** 010: access reviews as records (src/domain/access/access-review-service.ts). */
  access_reviews: {
    id: string;
    tenant_id: string;
    reviewer_id: string;
    reviewer_email: string;
    stale: string;
    stale_before: string;
    note: string | null;
    truncated: number;
    created_at: string;
    completed_at: string | null;
  };
  access_review_decisions: {
    review_id: string;
    position: number;
    finding_kind: string;
    subject_type: string;
    subject_id: string;
    subject_email: string | null;
    subject_name: string;
    detail: string;
    decision: string;
    outcome: string;
    error_code: string | null;
    error_message: string | null;
  };
}
