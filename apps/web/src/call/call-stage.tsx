import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { Call, NoTokenError, type CallSnapshot, type ParticipantView } from 'media-client';
import { sharedLocalMedia } from './local-media';
import { SelfView } from './self-view';

const EMPTY: CallSnapshot | null = null;

/**
 * The call: remote tiles, a self-view and the controls. A `Call` (packages/media-client) owns
 * the socket, camera, microphone, encoders, decoders and jitter buffers; this component only
 * renders its snapshot and calls its methods.
 */
export function CallStage({ mediaServerUrl, getToken, onServerClosed, hosts }: {
  mediaServerUrl: string;
  /** A fresh room token (they expire: reconnects ask again); null when no longer admitted. */
  getToken(): Promise<string | null>;
  /** The call ended for good (left elsewhere, meeting ended, removed, no longer admitted). */
  onServerClosed(reason: string): void;
  /** Who holds the host role now (from the participant list); else the role in each person's token. */
  hosts?: ReadonlySet<string>;
}) {
  const [call, setCall] = useState<Call | null>(null);
  const tokenRef = useRef(getToken);
  tokenRef.current = getToken;
  const closedRef = useRef(onServerClosed);
  closedRef.current = onServerClosed;

  useEffect(() => {
    const c = new Call({
      mediaUrl: mediaServerUrl,
      local: sharedLocalMedia(),
      getToken: async () => {
        const token = await tokenRef.current();
        if (token === null) throw new NoTokenError('You are no longer admitted to this meeting.');
        return token;
      },
    });
    setCall(c);
    void c.join().catch(() => {});
    const off = c.subscribe(() => {
      const reason = c.getSnapshot().endedReason;
      if (reason !== null && reason !== 'You left the call.') closedRef.current(reason);
    });
    return () => {
      off();
      c.leave();
    };
  }, [mediaServerUrl]);

  const snap = useSyncExternalStore(call?.subscribe ?? noSubscribe, call?.getSnapshot ?? (() => EMPTY));
  if (call === null || snap === null) {
    return (
      <section className="call-stage" aria-label="Call">
        <p>Starting the call…</p>
      </section>
    );
  }
  return (
    <section className="call-stage" aria-labelledby="call-title">
      <h2 id="call-title">Call</h2>
      <p role="status" data-testid="media-state">
        {connectionText(snap)}
      </p>
      {snap.localError !== null && <p className="muted">{snap.localError}</p>}
      {snap.connection.status === 'open' && snap.participants.length === 0 && <p className="muted">Nobody else is in the call yet.</p>}
      <div className="tiles" data-testid="tiles">
        <SelfView stream={snap.localStream} label={`You${snap.audioEnabled ? '' : ' (muted)'}${snap.localSpeaking ? ' · speaking' : ''}`} />
        {snap.participants.map((p) => (
          <RemoteTile key={p.session} p={p} isHost={hosts ? hosts.has(p.identity) : p.isHost} />
        ))}
      </div>
      <div className="row call-controls">
        <button type="button" className="secondary" aria-pressed={!snap.audioEnabled} onClick={() => call.setAudioEnabled(!snap.audioEnabled)}>
          {snap.audioEnabled ? 'Mute' : 'Unmute'}
        </button>
        <button type="button" className="secondary" aria-pressed={!snap.videoEnabled} onClick={() => call.setVideoEnabled(!snap.videoEnabled)}>
          {snap.videoEnabled ? 'Turn camera off' : 'Turn camera on'}
        </button>
      </div>
    </section>
  );
}

function noSubscribe(): () => void {
  return () => {};
}

function connectionText(s: CallSnapshot): string {
  if (s.endedReason !== null) return s.endedReason;
  switch (s.connection.status) {
    case 'open':
      return 'Connected to the call server.';
    case 'connecting':
      return 'Connecting to the call server…';
    case 'reconnecting':
      return 'Connection to the call server lost. Reconnecting…';
    case 'closed':
      return s.connection.reason;
  }
}

/** One remote participant: the canvas their video is decoded to, their name and state. */
function RemoteTile({ p, isHost }: { p: ParticipantView; isHost: boolean }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = holder.current;
    if (el === null) return;
    el.appendChild(p.canvas);
    return () => p.canvas.remove();
  }, [p.canvas]);
  return (
    <figure className={`tile${p.speaking ? ' speaking' : ''}`} data-testid="remote-tile" data-identity={p.identity}>
      <div ref={holder} className="tile-video" />
      <figcaption>
        {p.displayName}
        {isHost && <span className="badge">host</span>}
        {!p.audioOn && <span className="badge">muted</span>}
        {!p.videoOn && <span className="badge">camera off</span>}
      </figcaption>
    </figure>
  );
}
