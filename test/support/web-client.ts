/**
 * A tiny browser stand-in for HTTP tests: keeps cookies per origin (as a browser would, by name),
 * never follows redirects by itself (tests look at each hop), and reads form fields out of pages.
 */
export interface Hop {
  status: number;
  location?: string;
  text: string;
  headers: Headers;
}

export class WebClient {
  readonly cookies = new Map<string, Map<string, string>>();

  private jar(url: string): Map<string, string> {
    const origin = new URL(url).host;
    let jar = this.cookies.get(origin);
    if (!jar) this.cookies.set(origin, (jar = new Map()));
    return jar;
  }

  cookieHeader(url: string): string {
    return [...this.jar(url)].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string | string[]> | URLSearchParams;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Hop> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let body: URLSearchParams | undefined;
    if (init.form) {
      body = init.form instanceof URLSearchParams ? init.form : new URLSearchParams();
      if (!(init.form instanceof URLSearchParams)) {
        for (const [k, v] of Object.entries(init.form))
          for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      }
    }
    const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.jar(url).delete(name);
      else this.jar(url).set(name, value);
    }
    const location = res.headers.get('location') ?? undefined;
    return {
      status: res.status,
      location: location ? new URL(location, url).toString() : undefined,
      text: await res.text(),
      headers: res.headers,
    };
  }

  get(url: string) {
    return this.request(url);
  }

  post(url: string, form: Record<string, string | string[]> | URLSearchParams) {
    return this.request(url, { form });
  }
}

/** The value of the hidden `_csrf` field of the first form on a page. */
export function csrfTokenOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1]!;
}
