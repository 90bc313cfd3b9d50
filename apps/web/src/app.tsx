import { useCallback, useEffect, useState } from 'react';
import { ErrorMessage } from './ui/components';
import { currentIdentity, signOut, type Identity } from './identity';
import { navigate, useRoute } from './router';
import { Home } from './screens/home/home';
import { MeetingPage } from './screens/meeting/meeting-page';
import { SignIn } from './screens/signin/sign-in';
import { LinkPage } from './screens/link/link-page';
import { startFrameBridge, tellParent } from './embed/frame-bridge';

export function App() {
  const route = useRoute();
  const [identity, setIdentity] = useState<Identity | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(() => {
    currentIdentity().then(setIdentity, (err: unknown) => {
      setError(err);
      setIdentity(null);
    });
  }, []);
  useEffect(load, [load]);
  useEffect(startFrameBridge, []);
  // Inside another site's frame: the first screen is up.
  const loaded = identity !== undefined;
  useEffect(() => {
    if (loaded) tellParent('ready');
  }, [loaded]);

  useEffect(() => {
    document.title = route.name === 'meeting' ? `Meeting ${route.meetingId} · Meetings` : 'Meetings';
  }, [route]);

  const onSignOut = async () => {
    try {
      await signOut();
      setIdentity(null);
      navigate('/');
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <header className="topbar">
        <a className="brand" href="/" onClick={(e) => { e.preventDefault(); navigate('/'); }}>
          Meetings
        </a>
        {identity && (
          <div className="who">
            <span>
              Signed in as <strong>{identity.name ?? identity.email}</strong>
              {identity.kind === 'guest' && ' (guest)'}
            </span>
            <button type="button" className="secondary" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main>
        <ErrorMessage error={error} />
        {identity === undefined ? (
          <p className="muted" role="status">Loading…</p>
        ) : route.name === 'not-found' ? (
          <section className="page" aria-labelledby="page-title">
            <h1 id="page-title">Page not found</h1>
            <p>
              There is nothing here. <a href="/">Go to your meetings</a>.
            </p>
          </section>
        ) : route.name === 'link' ? (
          <LinkPage key={route.token} token={route.token} onSignedIn={setIdentity} />
        ) : identity === null ? (
          <SignIn onSignedIn={setIdentity} meetingId={route.name === 'meeting' ? route.meetingId : undefined} />
        ) : route.name === 'meeting' ? (
          <MeetingPage key={route.meetingId} meetingId={route.meetingId} identity={identity} onSignedOut={() => setIdentity(null)} />
        ) : (
          <Home identity={identity} onSignedOut={() => setIdentity(null)} />
        )}
      </main>
    </>
  );
}
