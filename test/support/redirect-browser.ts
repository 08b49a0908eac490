/**
 * Just enough of a browser to walk an OpenID Connect redirect chain with fetch: it keeps
 * cookies per origin (name → value, honouring deletion), sends them back, and follows
 * Location headers by hand so a test can stop at any hop and look.
 */
export class RedirectBrowser {
  readonly #jars = new Map<string, Map<string, string>>();

  cookie(url: string | URL, name: string): string | undefined {
    return this.#jar(url).get(name);
  }

  setCookie(url: string | URL, name: string, value: string): void {
    this.#jar(url).set(name, value);
  }

  deleteCookie(url: string | URL, name: string): void {
    this.#jar(url).delete(name);
  }

  /** One request, no redirect followed; cookies sent and stored. */
  async request(url: string | URL, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = {};
    const cookies = [...this.#jar(target)].map(([name, value]) => `${name}=${value}`).join('; ');
    if (cookies) headers.cookie = cookies;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.#store(target, line);
    return response;
  }

  /**
   * Follows redirects from `url` until an answer without a Location, or until `stop` says the
   * next URL is where the test wants to take over; answers the last response and the next URL.
   */
  async follow(url: string | URL, stop: (next: URL) => boolean = () => false, maxHops = 10): Promise<{ response: Response; url: URL; next: URL | undefined }> {
    let current = new URL(url);
    for (let hop = 0; hop < maxHops; hop++) {
      const response = await this.request(current);
      const location = response.headers.get('location');
      if (!location) return { response, url: current, next: undefined };
      await response.arrayBuffer();
      const next = new URL(location, current);
      if (stop(next)) return { response, url: current, next };
      current = next;
    }
    throw new Error(`more than ${maxHops} redirects from ${url}`);
  }

  #jar(url: string | URL): Map<string, string> {
    const origin = new URL(url).origin;
    let jar = this.#jars.get(origin);
    if (!jar) this.#jars.set(origin, (jar = new Map()));
    return jar;
  }

  #store(url: URL, line: string): void {
    const [pair, ...attributes] = line.split(';');
    const separator = pair!.indexOf('=');
    const name = pair!.slice(0, separator).trim();
    const value = pair!.slice(separator + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key, setting] = attribute.trim().split('=');
      if (key!.toLowerCase() === 'max-age') return Number(setting) <= 0;
      if (key!.toLowerCase() === 'expires') return Date.parse(setting!) <= Date.now();
      return false;
    });
    if (expired || value === '') this.#jar(url).delete(name);
    else this.#jar(url).set(name, value);
  }
}
