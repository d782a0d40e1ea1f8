import type { WatchStatus } from '../status/types.js';
import { clipDetail, type WatchAlertCode, type WatchAlertItem } from './alert.js';

/**
 * Pure: which watched endpoints alert. Every state but `ok` does. `unreachable` too: an endpoint nobody can check
 * may be down or may serve anything, and a watch list exists so that nothing lapses unseen. The check already
 * judged each endpoint against its own `expiryWarningDays`, so its state is the whole decision here.
 */
export function watchAlertItems(statuses: readonly WatchStatus[]): WatchAlertItem[] {
  const items: WatchAlertItem[] = [];
  for (const w of statuses) {
    if (w.state === 'ok') continue;
    items.push({
      code: `watch.${w.state}` satisfies WatchAlertCode,
      endpoint: w.endpoint,
      servername: w.servername,
      state: w.state,
      detail: clipDetail(w.reason),
      expireTime: w.expireTime,
      daysLeft: w.daysLeft,
    });
  }
  return items;
}
