import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { Call, NoTokenError, unsupportedFeatures, type CallSnapshot, type ParticipantView } from 'media-client';
import { Icon } from '../ui/icons';
import { avatarColour, initials, isGuestIdentity, nameFor } from '../ui/people';
import { applyChoices, joinChoices } from './join-choices';
import { sharedLocalMedia } from './local-media';
import { bestGrid } from './tile-grid';
import { useDeviceProblem } from './use-local-media';

const EMPTY: CallSnapshot | null = null;
/** What this browser cannot do in the call (WebKit without WebCodecs, say), told plainly; feature detection only. */
const UNSUPPORTED = unsupportedFeatures();
/** Screen sharing needs `getDisplayMedia` (phones have none): no button without it. */
const CAN_SHARE_SCREEN = typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getDisplayMedia === 'function';

/** What the Meeting API knows about a person in the call (their name as given, their role). */
export interface KnownPerson {
  name: string;
  role?: 'host' | 'cohost' | 'attendee';
}

/**
 * The call: a stage that fills the screen, a tile per person (the self-view small once others
 * are there) and the control bar. A `Call` (packages/media-client) owns the socket, camera,
 * microphone, encoders, decoders and jitter buffers; this component only renders its snapshot
 * and calls its methods.
 */
export function CallStage({ mediaServerUrl, getToken, onServerClosed, selfName = 'You', people, controls, screenShareControl, multipleScreenShares = false, panel }: {
  mediaServerUrl: string;
  /** A fresh room token (they expire: reconnects ask again); null when no longer admitted. */
  getToken(): Promise<string | null>;
  /** The call ended for good (left elsewhere, meeting ended, removed, no longer admitted). */
  onServerClosed(reason: string): void;
  /** The name on the self-view. */
  selfName?: string;
  /** Names and roles from the Meeting API, by identity (a tile falls back to what the call server says). */
  people?: ReadonlyMap<string, KnownPerson>;
  /** More buttons for the control bar, after microphone, camera and screen sharing (people, leave, end). */
  controls?: ReactNode;
  /** Replaces the built-in screen-sharing button: a control-bar button given the running call (media-client does the sharing). */
  screenShareControl?: (call: Call) => ReactNode;
  /** The meeting's `multiple_screen_shares` setting: several may share at once (default: one at a time). */
  multipleScreenShares?: boolean;
  /** A side panel beside the tiles (people and waiting room). */
  panel?: ReactNode;
}) {
  const [call, setCall] = useState<Call | null>(null);
  const tokenRef = useRef(getToken);
  tokenRef.current = getToken;
  const closedRef = useRef(onServerClosed);
  closedRef.current = onServerClosed;

  useEffect(() => {
    const local = sharedLocalMedia();
    const c = new Call({
      mediaUrl: mediaServerUrl,
      local,
      getToken: async () => {
        const token = await tokenRef.current();
        if (token === null) throw new NoTokenError('You are no longer admitted to this meeting.');
        return token;
      },
    });
    // The microphone and camera as chosen before joining.
    c.setAudioEnabled(joinChoices.audio);
    c.setVideoEnabled(joinChoices.video);
    setCall(c);
    void c.join().then(() => applyChoices(local.stream), () => {});
    const off = c.subscribe(() => {
      const s = c.getSnapshot();
      joinChoices.audio = s.audioEnabled;
      joinChoices.video = s.videoEnabled;
      const reason = s.endedReason;
      if (reason !== null && reason !== 'You left the call.') closedRef.current(reason);
    });
    return () => {
      off();
      c.leave();
    };
  }, [mediaServerUrl]);

  useEffect(() => {
    call?.setSharePolicy({ maxSharers: multipleScreenShares ? Number.POSITIVE_INFINITY : 1 });
  }, [call, multipleScreenShares]);

  const snap = useSyncExternalStore(call?.subscribe ?? noSubscribe, call?.getSnapshot ?? (() => EMPTY));
  const device = useDeviceProblem(sharedLocalMedia());
  const others = snap?.participants ?? [];
  const presenters = others.filter((p) => p.screenOn);
  const iAmHost = snap?.self?.isHost === true;

  return (
    <section className="call-stage" aria-label="Call">
      <div className="stage-main">
        <div className="stage-area">
          <div className="stage-status">
            <p role="status" data-testid="media-state" className="connection-pill">
              {snap === null ? 'Starting the call…' : connectionText(snap)}
            </p>
          </div>
          {UNSUPPORTED.length > 0 && (
            <div className="device-problem" role="alert" data-testid="browser-unsupported">
              {UNSUPPORTED.map((line) => (
                <p key={line}>{line}</p>
              ))}
              <p>Use a current Chromium-based browser or Firefox for the call.</p>
            </div>
          )}
          {device.problem !== null && (
            <div className="device-problem" role="alert">
              <span>{device.problem}</span>
              <button type="button" className="secondary small" onClick={device.retry} disabled={device.retrying} aria-busy={device.retrying || undefined}>
                {device.retrying ? 'Trying…' : 'Try again'}
              </button>
            </div>
          )}
          {snap?.screenSharing === true && (
            <div className="presenting-banner" role="status" data-testid="self-presenting">
              <Icon name="screen" /> You are presenting your screen to everyone.
            </div>
          )}
          {snap?.screenNotice != null && (
            <div className="device-problem inline" role="alert" data-testid="screen-notice">
              <span>{snap.screenNotice}</span>
            </div>
          )}
          {presenters.length > 0 && (
            <div className="presentation">
              {presenters.map((p) => (
                <PresentingTile key={p.session} p={p} known={people?.get(p.identity)} onStop={iAmHost ? () => call?.askToStopSharing(p.session) : undefined} />
              ))}
            </div>
          )}
          <div className={presenters.length > 0 ? 'filmstrip' : 'grid-wrap'}>
            <TileGrid count={others.length === 0 ? 1 : others.length}>
              {others.length === 0 ? (
                <SelfTile stream={snap?.localStream ?? null} name={selfName} audioOn={snap?.audioEnabled ?? joinChoices.audio} videoOn={snap?.videoEnabled ?? joinChoices.video} speaking={snap?.localSpeaking ?? false} qualityStep={snap?.qualityStep ?? 0} alone />
              ) : (
                others.map((p) => <RemoteTile key={p.session} p={p} known={people?.get(p.identity)} />)
              )}
            </TileGrid>
          </div>
          {others.length > 0 && (
            <div className="self-pip">
              <SelfTile stream={snap?.localStream ?? null} name={selfName} audioOn={snap?.audioEnabled ?? true} videoOn={snap?.videoEnabled ?? true} speaking={snap?.localSpeaking ?? false} qualityStep={snap?.qualityStep ?? 0} />
            </div>
          )}
          {snap !== null && snap.connection.status === 'open' && others.length === 0 && (
            <p className="stage-alone">Nobody else is in the call yet. Share the invite link to bring people in.</p>
          )}
        </div>
        {panel}
      </div>
      <div className="control-bar" role="group" aria-label="Call controls">
        <button
          type="button"
          className={`control${snap?.audioEnabled === false ? ' off' : ''}`}
          aria-pressed={snap ? !snap.audioEnabled : undefined}
          disabled={call === null}
          onClick={() => call?.setAudioEnabled(!call.getSnapshot().audioEnabled)}
        >
          <Icon name={snap?.audioEnabled === false ? 'micOff' : 'mic'} />
          <span>{snap?.audioEnabled === false ? 'Unmute' : 'Mute'}</span>
        </button>
        <button
          type="button"
          className={`control${snap?.videoEnabled === false ? ' off' : ''}`}
          aria-pressed={snap ? !snap.videoEnabled : undefined}
          disabled={call === null}
          onClick={() => call?.setVideoEnabled(!call.getSnapshot().videoEnabled)}
        >
          <Icon name={snap?.videoEnabled === false ? 'camOff' : 'cam'} />
          <span>{snap?.videoEnabled === false ? 'Start camera' : 'Stop camera'}</span>
        </button>
        {call !== null &&
          (screenShareControl !== undefined
            ? screenShareControl(call)
            : CAN_SHARE_SCREEN && (
                <button
                  type="button"
                  className={`control${snap?.screenSharing === true ? ' active' : ''}`}
                  aria-pressed={snap?.screenSharing ?? false}
                  onClick={() => (call.getSnapshot().screenSharing ? call.stopScreenShare() : void call.startScreenShare())}
                >
                  <Icon name="screen" />
                  <span>{snap?.screenSharing === true ? 'Stop presenting' : 'Share screen'}</span>
                </button>
              ))}
        {controls}
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

/** Lays its tiles out as large as the area allows (1 to 25 and more), 16:9 each. */
function TileGrid({ count, children }: { count: number; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (el === null) return;
    const measure = () => setSize({ width: el.clientWidth, height: el.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const { cols, tileWidth } = bestGrid(count, size.width, size.height);
  return (
    <div ref={ref} className="tile-grid-area">
      <div
        className="tiles"
        data-testid="tiles"
        style={tileWidth > 0 ? { gridTemplateColumns: `repeat(${cols}, ${tileWidth}px)` } : undefined}
      >
        {children}
      </div>
    </div>
  );
}

function Avatar({ name, identity }: { name: string; identity: string }) {
  return (
    <div className="avatar" aria-hidden="true" style={{ background: avatarColour(identity) }}>
      {initials(name)}
    </div>
  );
}

function TileBadges({ audioOn, videoOn, poor, self }: { audioOn: boolean; videoOn: boolean; poor: boolean; self?: boolean }) {
  return (
    <>
      {poor && (
        <span className="badge dark poor" data-testid="poor-connection" title={self ? 'Your connection is struggling: your video is sent smaller and slower until it recovers.' : 'Their video reaches you late or rarely.'}>
          <Icon name="weakSignal" size={14} /> Poor connection
        </span>
      )}
      {!audioOn && (
        <span className="badge dark">
          <Icon name="micOff" size={14} /> Muted
        </span>
      )}
      {!videoOn && (
        <span className="badge dark">
          <Icon name="camOff" size={14} /> Camera off
        </span>
      )}
    </>
  );
}

/** The local camera, mirrored, never heard (muted); "Poor connection" while the link makes the call send below full quality. */
function SelfTile({ stream, name, audioOn, videoOn, speaking, qualityStep, alone }: { stream: MediaStream | null; name: string; audioOn: boolean; videoOn: boolean; speaking: boolean; qualityStep: number; alone?: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (ref.current !== null) ref.current.srcObject = stream;
  }, [stream]);
  const label = `${name} (you)`;
  return (
    <figure className={`tile self${speaking ? ' speaking' : ''}${alone ? '' : ' small'}`} aria-label={label} data-testid="self-tile" data-quality-step={qualityStep}>
      <video ref={ref} autoPlay muted playsInline aria-label={`Your camera${audioOn ? '' : ' (muted)'}`} data-testid="self-view" hidden={!videoOn || stream === null} />
      {(!videoOn || stream === null) && <Avatar name={name} identity="self" />}
      <figcaption>
        <span className="tile-name">{label}</span>
        <TileBadges audioOn={audioOn} videoOn={videoOn} poor={qualityStep > 0} self />
      </figcaption>
    </figure>
  );
}

/** One remote participant: the canvas their video is decoded to, their name, initials and state. */
function RemoteTile({ p, known }: { p: ParticipantView; known: KnownPerson | undefined }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = holder.current;
    if (el === null) return;
    el.appendChild(p.canvas);
    return () => p.canvas.remove();
  }, [p.canvas]);
  const name = known?.name ?? nameFor(p.identity, p.displayName);
  const role = known?.role ?? (p.isHost ? 'host' : undefined);
  return (
    <figure className={`tile${p.speaking ? ' speaking' : ''}`} data-testid="remote-tile" data-identity={p.identity} aria-label={name}>
      <div ref={holder} className="tile-video" hidden={!p.videoOn} />
      {!p.videoOn && <Avatar name={name} identity={p.identity} />}
      <figcaption>
        <span className="tile-name">{name}</span>
        {role === 'host' && <span className="badge dark">host</span>}
        {role === 'cohost' && <span className="badge dark">co-host</span>}
        {isGuestIdentity(p.identity) && <span className="badge dark">guest</span>}
        <TileBadges audioOn={p.audioOn} videoOn={p.videoOn} poor={p.poorConnection} />
        {p.speaking && <span className="visually-hidden">speaking</span>}
      </figcaption>
    </figure>
  );
}

/** A shared screen, large: the canvas it is decoded to and who presents it; a host may stop it. */
function PresentingTile({ p, known, onStop }: { p: ParticipantView; known: KnownPerson | undefined; onStop: (() => void) | undefined }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = holder.current;
    if (el === null) return;
    el.appendChild(p.screenCanvas);
    return () => p.screenCanvas.remove();
  }, [p.screenCanvas]);
  const name = known?.name ?? nameFor(p.identity, p.displayName);
  return (
    <figure className="tile presenting" data-testid="presenting-tile" data-identity={p.identity} aria-label={`${name} is presenting`}>
      <div ref={holder} className="tile-video" />
      <figcaption>
        <span className="tile-name">
          <Icon name="screen" size={14} /> {name} is presenting
        </span>
        {onStop !== undefined && (
          <button type="button" className="secondary small stop-share" onClick={onStop}>
            Stop {name}’s share
          </button>
        )}
      </figcaption>
    </figure>
  );
}
