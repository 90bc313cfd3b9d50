/** The development sign-in page (only served outside production without OIDC_ISSUER). */
export function devLoginPage(returnTo: string, sessionCookieName: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (development)</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 26rem; margin: 4rem auto; padding: 0 1rem; color: #1a1a1a; }
  h1 { font-size: 1.4rem; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; border: 1px solid #767676; border-radius: 4px; }
  button { margin-top: 1.5rem; padding: .6rem 1.2rem; font: inherit; border: 0; border-radius: 4px; background: #1d4ed8; color: #fff; cursor: pointer; }
  p.note { color: #4a4a4a; font-size: .9rem; }
</style>
</head>
<body>
<main>
<h1>Sign in (development)</h1>
<p class="note">No identity provider is configured (<code>OIDC_ISSUER</code> is unset), so any email signs in.
This page does not exist in production. The session is kept in the <code>${esc(sessionCookieName)}</code> cookie.</p>
<form method="post" action="/login/dev">
  <input type="hidden" name="returnTo" value="${esc(returnTo)}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" required maxlength="255" autocomplete="email" autofocus>
  <label for="display_name">Display name (optional)</label>
  <input id="display_name" name="display_name" type="text" maxlength="255" autocomplete="name">
  <button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}
