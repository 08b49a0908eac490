/**
 * A short, human description of the device behind a user agent ("Firefox on Windows",
 * "Safari on iPhone", "sophon CLI"), for the session lists. Derived from the stored user
 * agent, so it needs no storage of its own and improves for old sessions when this does.
 */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const ua = userAgent;
  const client = clientOf(ua);
  const platform = platformOf(ua);
  if (!platform) return client ?? 'Unknown device';
  return client ? `${client} on ${platform}` : platform;
}

function clientOf(ua: string): string | undefined {
  const rules: [RegExp, string][] = [
    [/sophon[-/ ]?cli|^sophon\//i, 'sophon CLI'],
    [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
    [/\bOPR\/|\bOpera\b/, 'Opera'],
    [/\bSamsungBrowser\//, 'Samsung Internet'],
    [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
    [/\bChrome\/|\bCriOS\/|\bChromium\//, 'Chrome'],
    [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
    [/^curl\//, 'curl'],
    [/^Wget\//, 'Wget'],
    [/^python-requests\/|^Python-urllib\//, 'Python'],
    [/^node(?:-fetch)?\b|^undici\b/i, 'Node.js'],
    [/^Go-http-client\//, 'Go'],
    [/^PostmanRuntime\//, 'Postman'],
  ];
  return rules.find(([pattern]) => pattern.test(ua))?.[1];
}

function platformOf(ua: string): string | undefined {
  const rules: [RegExp, string][] = [
    [/\biPhone\b/, 'iPhone'],
    [/\biPad\b/, 'iPad'],
    [/\bAndroid\b/, 'Android'],
    [/\bCrOS\b/, 'ChromeOS'],
    [/\bWindows\b/, 'Windows'],
    [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
    [/\bLinux\b/, 'Linux'],
  ];
  return rules.find(([pattern]) => pattern.test(ua))?.[1];
}
