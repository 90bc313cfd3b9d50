import { useEffect, useState } from 'react';
import { MeetingApiError } from 'meeting-client';
import { api } from '../../api';
import { tellParent } from '../../embed/frame-bridge';
import type { Identity } from '../../identity';
import { clearLinkSession, meetingIdOfLinkToken, saveLinkSession } from '../../link-session';
import { meetingPath } from '../../router';
import { ErrorMessage, Page } from '../../ui/components';

/**
 * `/j/{token}`: a join link. Redeems it (no sign-in form), keeps the session in this page's
 * storage, and lands on the meeting's pre-join screen at `/m/{id}`.
 */
export function LinkPage({ token, onSignedIn }: { token: string; onSignedIn(identity: Identity): void }) {
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let cancelled = false;
    const meetingId = meetingIdOfLinkToken(token);
    clearLinkSession();
    api.redeemJoinLink(token).then(
      (session) => {
        if (cancelled) return;
        if (meetingId === null) throw new MeetingApiError('INVALID_LINK', 'This join link is not valid', 401);
        saveLinkSession({ token: session.session_token, meetingId, expiresAt: session.expires_at ?? 0 });
        // The token leaves the address bar (and the history): the session now stands for it.
        window.history.replaceState(null, '', meetingPath(meetingId));
        window.dispatchEvent(new PopStateEvent('popstate'));
        onSignedIn({ email: session.email, name: session.name, kind: session.kind });
      },
      (err: unknown) => {
        if (cancelled) return;
        setError(err);
        const code = err instanceof MeetingApiError ? err.code : 'NETWORK_ERROR';
        const message = err instanceof Error ? err.message : 'The link could not be opened';
        tellParent('ready');
        tellParent('error', { code, message });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [token, onSignedIn]);

  return (
    <Page title="Joining the meeting">
      {error ? (
        <>
          <ErrorMessage error={error} />
          <p>This link cannot be used (it may have expired or been revoked). Ask whoever sent it for a new one.</p>
        </>
      ) : (
        <p className="muted" role="status">Opening your link…</p>
      )}
    </Page>
  );
}
