import type { Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** A real OpenID Provider (panva's certified oidc-provider) on a free localhost port, for sign-in tests. */

export const TEST_CLIENT_ID = 'meeting-api-test';
export const TEST_CLIENT_SECRET = 'test-client-secret-0123456789abcdef';
/** The API's callback as registered at the provider (tests deliver it through inject, never over the network). */
export const TEST_REDIRECT_URL = 'http://localhost:18081/login/callback';

export const USERS: Record<string, { email: string; email_verified: boolean; name: string }> = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Verified' },
  bob: { email: 'bob@example.com', email_verified: false, name: 'Bob Unverified' },
};

export interface TestProvider {
  issuer: string;
  close(): Promise<void>;
}

/** `redirectUris`: the API callbacks registered for the test client (a browser test's API listens on its own port). */
export async function startTestProvider(host = '127.0.0.1', redirectUris: string[] = [TEST_REDIRECT_URL]): Promise<TestProvider> {
  // The issuer must be known before listening: take a port first.
  const probe = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, host, () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  const issuer = `http://${host === '127.0.0.1' ? 'localhost' : host}:${probe}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        client_secret: TEST_CLIENT_SECRET,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_ctx: unknown, id: string) {
      if (id === 'mixed') {
        // A provider whose ID token and userinfo disagree: the ID token names one email (without
        // email_verified), userinfo another, verified. Sign-in must never combine the two.
        return {
          accountId: id,
          claims: async (use: string) =>
            use === 'id_token'
              ? { sub: id, email: 'ceo@example.com' }
              : { sub: id, email: 'mixed@example.com', email_verified: true, name: 'Mixed Sources' },
        };
      }
      const user = USERS[id];
      if (!user) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...user }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    pkce: { required: () => true },
    // claimsParameter: a test asks for `email` in the ID token (which code flow leaves thin by default).
    features: { devInteractions: { enabled: true }, claimsParameter: { enabled: true } },
    cookies: { keys: ['oidc-provider-test-cookie-key-0123456789'] },
  });
  const server: Server = provider.listen(probe, host);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}


/** A tiny cookie jar for the provider's own cookies (session, interaction). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function formOf(html: string, base: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in the provider's page: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
    if (name) fields[name] = value;
  }
  return { action: new URL(action.replace(/&amp;/g, '&'), base).href, fields };
}

/**
 * Drives the provider's pages as a browser would: follows redirects, posts the login form
 * (as `user`) and the consent form, and stops at the redirect back to `redirectPrefix`.
 * Returns that URL (with `code`, `state`, `iss`).
 */
export async function signInAtProvider(authorizationUrl: string, user: string, redirectPrefix = TEST_REDIRECT_URL): Promise<URL> {
  const jar = new CookieJar();
  let next: { url: string; method: 'GET' | 'POST'; body?: URLSearchParams } = { url: authorizationUrl, method: 'GET' };
  for (let step = 0; step < 20; step++) {
    if (next.url.startsWith(redirectPrefix)) return new URL(next.url);
    const response = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(next.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: next.body,
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      next = { url: new URL(location, next.url).href, method: 'GET' };
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`provider answered ${response.status}: ${html.slice(0, 300)}`);
    const form = formOf(html, next.url);
    if ('login' in form.fields || /name="login"/.test(html)) {
      form.fields.login = user;
      form.fields.password = 'any-password';
    }
    next = { url: form.action, method: 'POST', body: new URLSearchParams(form.fields) };
  }
  throw new Error('the provider flow did not come back within 20 steps');
}
