import { useEffect, useRef, useState } from 'react';
import { MediaSession, type MediaSessionState } from './media-session';

/**
 * Where the call is shown. It owns one {@link MediaSession} (the class that talks to
 * the Media Server) and renders its state; video tiles and the camera/microphone
 * controls from the media client go here.
 */
export function CallStage({ mediaServerUrl, getToken, onServerClosed }: {
  mediaServerUrl: string;
  /** A fresh room token (they expire: reconnects ask again). */
  getToken(): Promise<string | null>;
  /** The Media Server ended our connection on purpose (left, ended, removed). */
  onServerClosed(state: MediaSessionState): void;
}) {
  const [state, setState] = useState<MediaSessionState>({ kind: 'connecting' });
  const [retries, setRetries] = useState(0);
  const closedRef = useRef(onServerClosed);
  closedRef.current = onServerClosed;

  useEffect(() => {
    let session: MediaSession | undefined;
    let cancelled = false;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    void getToken().then((token) => {
      if (cancelled || token === null) return;
      session = new MediaSession(mediaServerUrl, token);
      session.onState((s) => {
        setState(s);
        if (s.kind !== 'closed' || s.reason === 'client') return;
        if (s.reason === 'left' || s.reason === 'ended' || s.reason === 'removed') closedRef.current(s);
        else retryTimer = setTimeout(() => setRetries((n) => n + 1), Math.min(1000 * 2 ** retries, 15_000));
      });
      session.connect();
    });
    return () => {
      cancelled = true;
      clearTimeout(retryTimer);
      session?.close();
    };
    // getToken is stable per meeting; reconnect when a retry is due.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mediaServerUrl, retries]);

  return (
    <section className="call-stage" aria-labelledby="call-title">
      <h2 id="call-title">Call</h2>
      <p role="status" data-testid="media-state">
        {state.kind === 'open'
          ? 'Connected to the call server.'
          : state.kind === 'connecting'
            ? 'Connecting to the call server…'
            : state.reason === 'client'
              ? 'Disconnected.'
              : 'Connection to the call server lost. Reconnecting…'}
      </p>
      <p className="muted">Camera and microphone arrive with the media client.</p>
    </section>
  );
}
