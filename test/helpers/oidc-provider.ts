// A real OpenID provider for tests: oidc-provider (a certified OpenID Connect implementation) on
// 127.0.0.1, port 0, with one confidential client, PKCE required, accounts the test defines
// (email, email_verified, name, groups; changeable between sign-ins), and its development
// interactions: a plain HTML sign-in form that accepts any password for a known login (consent is
// granted without a second form, as for a first-party application). Closed in `t.after`.
//
// Also a client for the flow over HTTP: a per-origin cookie jar that follows redirects by hand, so
// a test can stop at any step (tamper with the authorization request, replay the callback...).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

export interface TestAccount {
  email?: string;
  email_verified?: boolean | string;
  name?: string;
  groups?: string[];
}

export interface TestProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Accounts by login name; change them between sign-ins (the provider reads them at each). */
  readonly accounts: Map<string, TestAccount>;
}

/** Start a provider whose one client may redirect to `redirectUri`. */
export async function startTestProvider(t: TestContext, redirectUri: string, options: { clientId?: string; clientSecret?: string } = {}): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = options.clientId ?? 'plotbox';
  const clientSecret = options.clientSecret ?? 'a-client-secret-for-the-test-provider-only';
  const accounts = new Map<string, TestAccount>();
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['test-provider-cookie-key-0123456789'] },
    findAccount: (_ctx, id) => {
      const account = accounts.get(id);
      if (account === undefined) return undefined;
      return { accountId: id, claims: () => ({ sub: id, ...accounts.get(id) }) };
    },
    // A first-party client: the grant is given without a consent screen.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const client = ctx.oidc.client;
      const session = ctx.oidc.session;
      if (client === undefined || session?.accountId === undefined) return undefined;
      const existing = session.grantIdFor(client.clientId);
      if (existing !== undefined) {
        const found = await ctx.oidc.provider.Grant.find(existing);
        if (found !== undefined) return found;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid email profile groups');
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
      await grant.save();
      return grant;
    },
  });
  // It warns about its development-only parts on stdout; the test knows.
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error(`# test provider error: ${err.message}`));
  const handle = provider.callback();
  server.on('request', (req, res) => void handle(req, res));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res()));
  });
  return { issuer, clientId, clientSecret, accounts };
}

/** A browser reduced to cookies (per origin, by path) and redirects followed one at a time. */
export class FlowClient {
  private readonly jars = new Map<string, Map<string, { value: string; path: string }>>();

  /** Cookies of `origin` as `name → value`. */
  cookies(origin: string): Record<string, string> {
    return Object.fromEntries([...(this.jars.get(origin) ?? new Map<string, { value: string }>()).entries()].map(([k, c]) => [k, c.value]));
  }

  /** Put a cookie (e.g. the API's session cookies into the JSON client). */
  set(origin: string, name: string, value: string, path = '/'): void {
    let jar = this.jars.get(origin);
    if (jar === undefined) this.jars.set(origin, (jar = new Map()));
    jar.set(name, { value, path });
  }

  /** One request, no redirect followed; cookies sent and kept. */
  async fetch(url: string | URL, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const u = new URL(url);
    const jar = this.jars.get(u.origin) ?? new Map<string, { value: string; path: string }>();
    this.jars.set(u.origin, jar);
    const cookie = [...jar.entries()]
      .filter(([, c]) => u.pathname.startsWith(c.path))
      .map(([k, c]) => `${k}=${c.value}`)
      .join('; ');
    const headers: Record<string, string> = { accept: 'text/html,application/json' };
    if (cookie !== '') headers.cookie = cookie;
    let body: string | undefined;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(u, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
    for (const sc of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = sc.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attrs.some((a) => /^max-age=0$/iu.test(a) || (/^expires=/iu.test(a) && Date.parse(a.slice(8)) < Date.now()));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, { value, path });
    }
    return res;
  }

  /** Follow redirects from `url` until `stop(url)` says so or a non-redirect answers; returns the last URL and response. */
  async follow(url: string | URL, stop: (u: URL) => boolean = () => false, limit = 12): Promise<{ url: URL; res: Response }> {
    let at = new URL(url);
    for (let i = 0; i < limit; i++) {
      const res = await this.fetch(at);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || location === null) return { url: at, res };
      await res.arrayBuffer();
      at = new URL(location, at);
      if (stop(at)) return { url: at, res };
    }
    throw new Error(`too many redirects from ${String(url)}`);
  }

  /**
   * At the provider: from its authorization URL through the sign-in form (any password) to the
   * redirect back to the client. Returns that redirect (the callback URL, not visited).
   */
  async signInAtProvider(authorizationUrl: URL, login: string, redirectPrefix: string): Promise<URL> {
    const first = await this.follow(authorizationUrl, (u) => u.href.startsWith(redirectPrefix));
    if (first.url.href.startsWith(redirectPrefix)) return first.url; // still signed in there
    const html = await first.res.text();
    const action = /<form[^>]*action="([^"]+)"/u.exec(html)?.[1];
    if (action === undefined) throw new Error(`no sign-in form at ${first.url.href}: ${html.slice(0, 300)}`);
    const submitted = await this.fetch(new URL(action.replaceAll('&amp;', '&'), first.url), { form: { prompt: 'login', login, password: 'any password works here' } });
    const next = submitted.headers.get('location');
    await submitted.arrayBuffer();
    if (next === null) throw new Error(`the sign-in form answered ${submitted.status}`);
    const back = await this.follow(new URL(next, first.url), (u) => u.href.startsWith(redirectPrefix));
    if (!back.url.href.startsWith(redirectPrefix)) throw new Error(`the provider did not redirect back (at ${back.url.href}, ${back.res.status}): ${(await back.res.text()).slice(0, 300)}`);
    return back.url;
  }
}
