import { useEffect, useState, type FormEvent } from 'react';
import { Field, ErrorMessage, Page } from '../../ui/components';
import { usePageTitle } from '../../ui/page-title';
import {
  oidcLoginUrl,
  savedDisplayName,
  signInAsGuest,
  signInForDevelopment,
  signInOptions,
  type Identity,
  type SignInOptions,
} from '../../identity';
import { noteSignInStart, signInReturnTo } from '../../sign-in-return';

/** Sign in: the provider's button when configured, the development form, and "join as guest" on a meeting link. */
export function SignIn({ onSignedIn, meetingId }: { onSignedIn(identity: Identity): void; meetingId?: string }) {
  const [options, setOptions] = useState<SignInOptions | null>(null);
  const [email, setEmail] = useState('');
  const [name, setName] = useState(savedDisplayName() ?? '');
  const [guestName, setGuestName] = useState(savedDisplayName() ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    signInOptions().then(setOptions, setError);
  }, []);

  const run = async (action: () => Promise<Identity>) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await action());
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const onDevSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (options) void run(() => signInForDevelopment(email.trim(), name.trim(), options));
  };
  const onGuestSubmit = (e: FormEvent) => {
    e.preventDefault();
    void run(() => signInAsGuest(guestName.trim()));
  };

  const returnTo = signInReturnTo();
  const title = meetingId ? 'Sign in to join the meeting' : 'Sign in';
  usePageTitle(title);

  return (
    <Page title={title}>
      {meetingId && (
        <p>
          You were invited to <strong>{meetingId}</strong>. Sign in and you will go straight back to it.
        </p>
      )}
      <ErrorMessage error={error} />
      {options === null ? (
        <p className="muted" role="status">Loading sign-in options…</p>
      ) : (
        <div className="stack">
          {options.oidc && (
            <a className="button" href={oidcLoginUrl(returnTo)} onClick={noteSignInStart}>
              Sign in with your organization
            </a>
          )}
          {(options.devLogin || options.emailCookie) && (
            <form onSubmit={onDevSubmit} aria-labelledby="dev-title">
              <h2 id="dev-title">{options.oidc ? 'Development sign-in' : 'Sign in with your email'}</h2>
              <p className="hint">For development: no password, the email is trusted as given.</p>
              <Field label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
              <Field
                label="Display name (optional)"
                name="name"
                autoComplete="name"
                maxLength={100}
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
              <button type="submit" disabled={busy}>
                Sign in
              </button>
            </form>
          )}
          {meetingId && options.guest && (
            <>
              <div className="divider">or</div>
              <form onSubmit={onGuestSubmit} aria-labelledby="guest-title">
                <h2 id="guest-title">Join as a guest</h2>
                <p className="hint">If the host allows guests, you can knock without an account.</p>
                <Field label="Your name" name="guest-name" required maxLength={100} value={guestName} onChange={(e) => setGuestName(e.target.value)} />
                <button type="submit" className="secondary" disabled={busy}>
                  Continue as guest
                </button>
              </form>
            </>
          )}
          {!options.oidc && !options.devLogin && !options.emailCookie && (
            <p>No sign-in method is configured on this server. Ask its administrator to set up single sign-on.</p>
          )}
        </div>
      )}
    </Page>
  );
}
