import { ensureDashboardBuilt } from './build-dashboard.ts';

/**
 * The dashboard's routes are in the route table, and `/` answers 503 until web/dist exists:
 * build it (when missing or stale) before any suite starts a server.
 */
export default function setup(): void {
  ensureDashboardBuilt();
}
