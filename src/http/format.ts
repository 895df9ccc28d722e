/** Small presentation helpers shared by the views. */

const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const dateTimeFmt = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});
const numberFmt = new Intl.NumberFormat('en-GB');

/** "26 November 2026". */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFmt.format(d);
}

/** "26 November 2026 at 14:05 UTC". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTimeFmt.format(d).replace(', ', ' at ') + ' UTC';
}

/** "12,345". */
export function formatNumber(n: number): string {
  return numberFmt.format(n);
}

/** "1.2 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Human names of the sensitivity levels. */
export const levelLabels: Record<string, string> = {
  public: 'Public data',
  personal: 'Protected personal data',
  special_category: 'Protected special category data',
  confidential: 'Confidential (not published)',
};

/** Human names of update frequencies. */
export const frequencyLabels: Record<string, string> = {
  continuous: 'Continuously',
  hourly: 'Hourly',
  daily: 'Daily',
  weekly: 'Weekly',
  monthly: 'Monthly',
  quarterly: 'Quarterly',
  annual: 'Annually',
  irregular: 'Irregularly',
  never: 'Not updated',
};
