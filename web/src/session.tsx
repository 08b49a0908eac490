import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, get, handleUnauthenticated, hasErrorCode, maybeSignedIn, post, setActingTenant } from './api.ts';
import { navigate } from './router.tsx';
import type { Me } from './types.ts';

/** Who is signed in, in which tenant, and what they may do there. */
export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out' }
  | { status: 'must-change-password' }
  | { status: 'must-enroll-two-factor' }
  | { status: 'signed-in'; me: Me };

interface SessionValue {
  state: SessionState;
  /** Reloads /api/v1/me (after sign-in, a password change, or a tenant switch). */
  refresh(): Promise<void>;
  signOut(): Promise<void>;
  /** Whether the caller holds the permission in the acting tenant: controls they lack stay hidden. */
  can(permission: string): boolean;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const refresh = useCallback(async () => {
    if (!maybeSignedIn()) {
      setState({ status: 'signed-out' });
      return;
    }
    try {
      setState({ status: 'signed-in', me: await get<Me>('/api/v1/me') });
    } catch (error) {
      if (hasErrorCode(error, 'PASSWORD_CHANGE_REQUIRED')) setState({ status: 'must-change-password' });
      else if (hasErrorCode(error, 'TWO_FACTOR_ENROLLMENT_REQUIRED')) setState({ status: 'must-enroll-two-factor' });
      else if (hasErrorCode(error, 'TENANT_NOT_FOUND')) {
        // The remembered tenant is gone or no longer ours: fall back to the home tenant.
        setActingTenant(undefined);
        setState({ status: 'signed-in', me: await get<Me>('/api/v1/me') });
      } else if (error instanceof ApiError && error.status === 401) setState({ status: 'signed-out' });
      else throw error;
    }
  }, []);

  useEffect(() => {
    handleUnauthenticated(() => setState({ status: 'signed-out' }));
    refresh().catch(() => setState({ status: 'signed-out' }));
    return () => handleUnauthenticated(undefined);
  }, [refresh]);

  const signOut = useCallback(async () => {
    try {
      await post('/api/v1/auth/logout');
    } catch {
      // already signed out on the server
    }
    setActingTenant(undefined);
    // Whoever signs in next starts from their own landing page, not from this user's last one.
    navigate('/login', { replace: true });
    setState({ status: 'signed-out' });
  }, []);

  const value = useMemo<SessionValue>(() => {
    const permissions = new Set(state.status === 'signed-in' ? (state.me.tenant?.permissions ?? []) : []);
    return { state, refresh, signOut, can: (permission) => permissions.has(permission) };
  }, [state, refresh, signOut]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside <SessionProvider>');
  return value;
}

/** The signed-in caller; only for pages rendered behind sign-in. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe on a page shown before sign-in');
  return state.me;
}
