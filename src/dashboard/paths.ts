// Where the dashboard lives on the client port; kept apart from the handler so the
// listeners can route to it without loading the dashboard until it is asked for.
export const DASHBOARD_PATH = '/dashboard/';

export function isDashboardPath(path: string): boolean {
  return path === '/dashboard' || path.startsWith(DASHBOARD_PATH);
}
