/** Most specific first: Edge and Opera also say "Chrome", Chrome also says "Safari". */
const BROWSERS: Array<[RegExp, string]> = [
  [/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/OPR\/(\d+)/, 'Opera'],
  [/Electron\/(\d+)/, 'Electron'],
  [/HeadlessChrome\/(\d+)/, 'Headless Chrome'],
  [/(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/(?:Chrome|Chromium|CriOS)\/(\d+)/, 'Chrome'],
  [/Version\/(\d+)[\d.]*(?: Mobile\/\S+)? Safari\//, 'Safari'],
];

/** iOS and Android before macOS and Linux, whose names their user agents also carry. */
const SYSTEMS: Array<[RegExp, string]> = [
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/Windows/, 'Windows'],
  [/CrOS/, 'ChromeOS'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux/, 'Linux'],
];

/**
 * A short, human name for a `User-Agent` header, for the session list ("which device is that?").
 * Only a label: user agents are set by the client and prove nothing.
 *
 * @example
 * describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) … Chrome/138.0.0.0 Safari/537.36'); // 'Chrome 138 on Linux'
 * describeUserAgent('curl/8.5.0'); // 'curl 8.5.0'
 */
export function describeUserAgent(userAgent: string): string {
  const ua = userAgent.trim();
  if (!ua) return 'Unknown device';
  for (const [pattern, name] of BROWSERS) {
    const match = pattern.exec(ua);
    if (!match) continue;
    const system = SYSTEMS.find(([test]) => test.test(ua))?.[1];
    return `${name} ${match[1]}${system ? ` on ${system}` : ''}`;
  }
  // Tools and native clients usually lead with `product/version` (curl, node, authlab-cli).
  const product = /^([\w.-]+)\/([\w.-]+)/.exec(ua);
  if (product && product[1] !== 'Mozilla') return `${product[1]} ${product[2]}`;
  return ua.length > 48 ? `${ua.slice(0, 47)}…` : ua;
}
