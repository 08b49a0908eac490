import type { AppSettings } from './config.ts';

/** Sophon:Rbac:MaxElevation and its per-tenant overrides, as the domain takes them (milliseconds). */
export function maxElevationOf(settings: AppSettings): { installation: number; tenants: Record<string, number> } {
  const rbac = settings.Sophon.Rbac;
  const tenants: Record<string, number> = {};
  for (const [slug, value] of Object.entries(rbac.Tenants)) if (value.MaxElevation !== undefined) tenants[slug] = value.MaxElevation;
  return { installation: rbac.MaxElevation, tenants };
}
