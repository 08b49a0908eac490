/**
 * .NET TimeSpan strings as appsettings.json writes them: `[d.]hh:mm:ss[.fffffff]`,
 * e.g. "08:00:00" or "7.00:00:00". Parsed strictly: hours < 24, minutes and seconds < 60.
 * Returns milliseconds, or an explanation of what is wrong.
 */
export function parseTimeSpan(text: string): { ok: true; milliseconds: number } | { ok: false; reason: string } {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(text);
  if (!match) return { ok: false, reason: `"${text}" is not a TimeSpan; write [d.]hh:mm:ss, e.g. "08:00:00" or "7.00:00:00"` };
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = match;
  if (Number(hours) > 23) return { ok: false, reason: `"${text}": hours must be 0-23 (use the d. prefix for days)` };
  if (Number(minutes) > 59 || Number(seconds) > 59) return { ok: false, reason: `"${text}": minutes and seconds must be 0-59` };
  const milliseconds =
    ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + Math.floor(Number(`0.${fraction || '0'}`) * 1000);
  return { ok: true, milliseconds };
}
