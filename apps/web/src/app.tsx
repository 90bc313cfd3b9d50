import { useCallback, useEffect, useState } from 'react';
import { ErrorMessage } from './ui/components';
import { ConfirmProvider } from './ui/confirm';
import { usePageTitle } from './ui/page-title';
import { nameFor } from './ui/people';
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
  // A page the browser restores from its cache (Back, Forward) may predate a sign-in or sign-out.
  useEffect(() => {
    const onShow = (e: PageTransitionEvent) => {
      if (e.persisted) load();
    };
    window.addEventListener('pageshow', onShow);
    return () => window.removeEventListener('pageshow', onShow);
  }, [load]);
  useEffect(startFrameBridge, []);
  // Inside another site's frame: the first screen is up.
  const loaded = identity !== undefined;
  useEffect(() => {
    if (loaded) tellParent('ready');
  }, [loaded]);


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
    <ConfirmProvider>
      <header className="topbar">
        <a className="brand" href="/" onClick={(e) => { e.preventDefault(); navigate('/'); }}>
          Meetings
        </a>
        {identity && (
          <div className="who">
            <span>
              Signed in as <strong title={identity.kind === 'guest' ? undefined : identity.email}>{nameFor(identity.email, identity.name)}</strong>
              {identity.kind === 'guest' && <span className="badge guest">guest</span>}
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
          <NotFound />
        ) : route.name === 'bad-meeting-id' ? (
          <BadMeetingId meetingId={route.meetingId} />
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
    </ConfirmProvider>
  );
}

function NotFound() {
  usePageTitle('Page not found');
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Page not found</h1>
      <p>
        There is nothing here. <a href="/">Go to your meetings</a>.
      </p>
    </section>
  );
}

/** A meeting link whose id the Meeting API would refuse: said at once, nothing is loaded. */
function BadMeetingId({ meetingId }: { meetingId: string }) {
  usePageTitle('Meeting link not valid');
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">This meeting link is not valid</h1>
      <p role="alert">
        “{meetingId.length > 60 ? `${meetingId.slice(0, 60)}…` : meetingId}” is not a meeting id: ids have 1–255 letters, digits, “-” or “_”. Check the link you were given.
      </p>
      <p>
        <a href="/" onClick={(e) => { e.preventDefault(); navigate('/'); }}>Go to your meetings</a>
      </p>
    </section>
  );
}
