import {
  decodeLinkReport,
  decodePayload,
  encodeLinkReport,
  encodePayload,
  PayloadType,
  type PresenceMember,
  type ServerMessage,
  VideoSource,
} from 'meeting-types/media-protocol';
import type { BackpressureLimits } from './backpressure';
import { LatencyStats, wallClockMs } from './latency';
import type { LocalMedia } from './local-media';
import { MediaSocket, type SocketState } from './media-socket';
import { RemoteParticipant } from './remote-participant';
import { MediaSender, type SenderOptions } from './sender';

export interface CallOptions {
  /** Media Server base URL, `ws://…` or `wss://…`. */
  mediaUrl: string;
  /** A fresh room token per connection (from `/status`); throw `NoTokenError` when there is none. */
  getToken: () => Promise<string>;
  /** The camera and microphone (already started for the preview, or started by `join`). */
  local: LocalMedia;
  sender?: Partial<SenderOptions> & { limits?: BackpressureLimits };
  /** Plays remote audio (default true); tests may turn it off. */
  playAudio?: boolean;
  backoffMs?: readonly number[];
}

/** What a tile shows. */
export interface ParticipantView {
  session: string;
  identity: string;
  displayName: string;
  isHost: boolean;
  audioOn: boolean;
  videoOn: boolean;
  speaking: boolean;
  /** The canvas the participant's video is drawn on (place it in the DOM; do not draw on it). */
  canvas: HTMLCanvasElement;
  /** Sharing their screen. */
  screenOn: boolean;
  /** The canvas their shared screen is drawn on. */
  screenCanvas: HTMLCanvasElement;
  /** Their link struggles: they say they send below full quality, or their video reaches us late, rarely or not at all. */
  poorConnection: boolean;
}

export interface CallSnapshot {
  connection: SocketState;
  self: PresenceMember | null;
  participants: readonly ParticipantView[];
  audioEnabled: boolean;
  videoEnabled: boolean;
  localSpeaking: boolean;
  /** The camera and microphone, for a self-view (`<video muted>`). */
  localStream: MediaStream | null;
  /** Why there is no camera or microphone (permission refused, no device), or null. */
  localError: string | null;
  /** Set once the call is over for good (left, ended, removed): show it and do not reconnect. */
  endedReason: string | null;
  /** This page is sharing its screen. */
  screenSharing: boolean;
  /** Why sharing did not start or stopped (someone else presents, refused, stopped by the host), or null. */
  screenNotice: string | null;
  /** The rung of the quality ladder this page sends at: 0 = full quality (`SenderStats.qualityStep`). */
  qualityStep: number;
  /** This page's link struggles: it sends below full quality (show it on the self-view). */
  poorConnection: boolean;
}

/** Whoever may share: one at a time (the default), or several at once. */
export interface SharePolicy {
  maxSharers: number;
}

/**
 * A call: the socket, the sender and one `RemoteParticipant` per member that presence
 * announces. React (or anything) renders `getSnapshot()` and calls the methods; the snapshot
 * object changes identity only when something visible changed (`useSyncExternalStore`-ready).
 */
export class Call {
  readonly socket: MediaSocket;
  readonly sender: MediaSender;
  readonly remotes = new Map<string, RemoteParticipant>();
  private readonly audioContext: AudioContext | null;
  private readonly listeners = new Set<() => void>();
  private snapshot: CallSnapshot;
  private self: PresenceMember | null = null;
  private endedReason: string | null = null;
  private levelTimer: ReturnType<typeof setInterval> | undefined;
  private linkTimer: ReturnType<typeof setInterval> | undefined;
  private lastSpeaking = '';
  private readonly offLocal: () => void;
  private screenTrack: MediaStreamTrack | null = null;
  private screenNotice: string | null = null;
  private sharePolicy: SharePolicy = { maxSharers: 1 };

  constructor(private readonly opts: CallOptions) {
    this.socket = new MediaSocket({ url: opts.mediaUrl, getToken: opts.getToken, backoffMs: opts.backoffMs });
    this.sender = new MediaSender(this.socket, opts.sender);
    this.sender.onQualityChange = () => this.changed();
    this.audioContext = opts.playAudio === false ? null : new AudioContext({ latencyHint: 'interactive' });
    this.snapshot = this.build();
    this.socket.on('state', (s) => this.onSocketState(s));
    this.socket.on('message', (m) => this.onMessage(m));
    this.offLocal = opts.local.on('change', () => this.attachLocal());
  }

  /**
   * Starts the camera/microphone if needed and connects. Without a camera or microphone (none,
   * or permission refused) the call still connects, receive-only; `localError` says why.
   */
  async join(): Promise<void> {
    if (this.opts.local.stream === null) await this.opts.local.start().catch(() => {});
    this.attachLocal();
    void this.audioContext?.resume().catch(() => {});
    this.socket.start();
    // The speaking indicators follow audio levels, and the poor-connection hints arrival rates, which change without any message.
    this.levelTimer = setInterval(() => {
      const key = [this.sender.speaking, ...[...this.remotes.values()].map((r) => `${r.speaking}${r.poorConnection}`)].join();
      if (key !== this.lastSpeaking) {
        this.lastSpeaking = key;
        this.changed();
      }
    }, 200);
    this.linkTimer = setInterval(() => this.reportLinks(), 1000);
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): CallSnapshot => this.snapshot;

  setAudioEnabled(on: boolean): void {
    this.sender.setAudioEnabled(on);
    const t = this.opts.local.audioTrack;
    if (t !== null) t.enabled = on;
    this.changed();
  }

  setVideoEnabled(on: boolean): void {
    this.sender.setVideoEnabled(on);
    const t = this.opts.local.videoTrack;
    if (t !== null) t.enabled = on;
    this.changed();
  }

  /** How many may share at once (a meeting setting, when the app knows it; default one). */
  setSharePolicy(policy: SharePolicy): void {
    this.sharePolicy = policy;
  }

  /**
   * Asks the browser for a screen, window or tab (`getDisplayMedia`) and sends it as the second
   * video source. Refused with a notice when others already share and the policy allows no more;
   * stops by itself when the browser's own "stop sharing" ends the track.
   */
  async startScreenShare(): Promise<void> {
    if (this.screenTrack !== null) return;
    const sharing = [...this.remotes.values()].filter((r) => r.screenOn);
    if (sharing.length >= this.sharePolicy.maxSharers) {
      const names = sharing.map((r) => r.member.displayName || r.member.identity).join(', ');
      this.screenNotice = `${names} ${sharing.length === 1 ? 'is' : 'are'} presenting. Only ${this.sharePolicy.maxSharers === 1 ? 'one person' : `${this.sharePolicy.maxSharers} people`} can share at a time.`;
      this.changed();
      return;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 8 } }, audio: false });
    } catch (err) {
      const name = (err as DOMException).name;
      // Cancelling the browser's picker is a choice, not an error.
      this.screenNotice = name === 'NotAllowedError' || name === 'AbortError' ? null : `Screen sharing is unavailable: ${(err as Error).message}`;
      this.changed();
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (track === undefined || this.endedReason !== null) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    this.screenTrack = track;
    this.screenNotice = null;
    track.addEventListener('ended', () => this.stopScreenShare());
    this.sender.attachScreen(track);
    this.changed();
  }

  /** Stops sharing the screen (the control bar, the browser's own "stop sharing", or the host). */
  stopScreenShare(notice: string | null = null): void {
    const track = this.screenTrack;
    this.screenNotice = notice;
    if (track === null) return this.changed();
    this.screenTrack = null;
    this.sender.attachScreen(null);
    track.stop();
    this.changed();
  }

  /** Host only: asks `session` to stop sharing. Their page obeys when presence says we are a host. */
  askToStopSharing(session: string): void {
    this.socket.send(
      encodePayload({ type: PayloadType.StopScreen, seq: 0, timestamp: 0, sentAt: wallClockMs(), body: new TextEncoder().encode(session) }),
    );
  }

  /** Leaves the call: closes the socket, stops encoders, decoders and the camera. */
  leave(reason = 'You left the call.'): void {
    this.socket.close(reason);
    this.teardown();
    this.opts.local.stop();
  }

  /** Encode → decode latency of everything received so far, over all senders. */
  latency(): { video: ReturnType<LatencyStats['summary']>; audio: ReturnType<LatencyStats['summary']>; videoSamples: number[]; audioSamples: number[] } {
    const video = new LatencyStats(100_000);
    const audio = new LatencyStats(100_000);
    for (const r of this.remotes.values()) {
      for (const v of r.videoLatency.values()) video.add(v);
      for (const v of r.audioLatency.values()) audio.add(v);
    }
    return { video: video.summary(), audio: audio.summary(), videoSamples: [...video.values()], audioSamples: [...audio.values()] };
  }

  private attachLocal(): void {
    const { videoTrack, audioTrack } = this.opts.local;
    // A new device keeps the current mute / camera-off state.
    if (videoTrack !== null) videoTrack.enabled = this.sender.videoEnabled;
    if (audioTrack !== null) audioTrack.enabled = this.sender.audioEnabled;
    this.sender.attach(videoTrack, audioTrack);
    this.changed();
  }

  private teardown(): void {
    clearInterval(this.levelTimer);
    clearInterval(this.linkTimer);
    this.screenTrack?.stop();
    this.screenTrack = null;
    this.offLocal();
    this.sender.close();
    for (const r of this.remotes.values()) r.close();
    this.remotes.clear();
    void this.audioContext?.close().catch(() => {});
    this.changed();
  }

  private onSocketState(s: SocketState): void {
    if (s.status === 'closed') {
      this.endedReason = s.reason;
      if (this.remotes.size > 0 || this.levelTimer !== undefined) this.teardown();
    } else if (s.status === 'reconnecting') {
      // The server sends the whole roster again after reconnecting.
      for (const r of this.remotes.values()) r.close();
      this.remotes.clear();
    } else if (s.status === 'open' && s.self === null) {
      this.sender.requestKeyframe();
      this.sender.requestKeyframe(VideoSource.Screen);
    }
    this.changed();
  }

  private onMessage(m: ServerMessage): void {
    switch (m.kind) {
      case 'welcome':
        this.self = m;
        for (const r of this.remotes.values()) r.close();
        this.remotes.clear();
        this.sender.sendState();
        break;
      case 'join':
        if (m.session !== this.self?.session) this.addRemote(m).requestKeyframe();
        break;
      case 'leave': {
        const r = this.remotes.get(m.session);
        r?.close();
        this.remotes.delete(m.session);
        break;
      }
      case 'media': {
        let p;
        try {
          p = decodePayload(m.payload);
        } catch {
          return; // not a videocall.v1 payload (e.g. a videocall-rs client in the room)
        }
        if (p.type === PayloadType.KeyframeRequest) {
          if (new TextDecoder().decode(p.body) === this.self?.session) this.sender.requestKeyframe(p.source, true);
          return;
        }
        if (p.type === PayloadType.LinkReport) {
          const report = decodeLinkReport(p.body);
          if (report !== null && report.session === this.self?.session) this.sender.noteLinkReport(report.delayMs);
          return;
        }
        if (p.type === PayloadType.StopScreen) {
          // The sender is stamped by the server; presence says whether that session is a host.
          const from = this.remotes.get(m.session);
          if (from?.member.isHost === true && new TextDecoder().decode(p.body) === this.self?.session && this.screenTrack !== null) {
            this.stopScreenShare(`${from.member.displayName || from.member.identity} (host) stopped your screen share.`);
          }
          return;
        }
        const r = this.remotes.get(m.session) ?? this.addRemote({ session: m.session, identity: m.identity, displayName: m.identity, isHost: false });
        r.handle(p);
        return; // media alone changes nothing the snapshot shows (state changes call onChange)
      }
    }
    this.changed();
  }

  private addRemote(member: PresenceMember): RemoteParticipant {
    const existing = this.remotes.get(member.session);
    if (existing !== undefined) {
      existing.member = member;
      return existing;
    }
    const r = new RemoteParticipant(member, this.audioContext, (session, source) => this.askKeyframe(session, source), () => this.changed());
    this.remotes.set(member.session, r);
    return r;
  }

  /** Once a second: tells each sender whose camera reaches us late (or not at all) how late; a healthy call sends nothing. */
  private reportLinks(): void {
    for (const r of this.remotes.values()) {
      const delay = r.linkReport();
      if (delay === null) continue;
      this.socket.send(encodePayload({ type: PayloadType.LinkReport, seq: 0, timestamp: 0, sentAt: wallClockMs(), body: encodeLinkReport(r.session, delay) }));
    }
  }

  private askKeyframe(session: string, source: VideoSource): void {
    this.socket.send(
      encodePayload({ type: PayloadType.KeyframeRequest, source, seq: 0, timestamp: 0, sentAt: wallClockMs(), body: new TextEncoder().encode(session) }),
    );
  }

  private build(): CallSnapshot {
    return {
      connection: this.socket.state,
      self: this.self,
      participants: [...this.remotes.values()].map((r) => ({
        session: r.session,
        identity: r.member.identity,
        displayName: r.member.displayName,
        isHost: r.member.isHost,
        audioOn: r.audioOn,
        videoOn: r.videoOn,
        speaking: r.speaking,
        canvas: r.canvas,
        screenOn: r.screenOn,
        screenCanvas: r.screenCanvas,
        poorConnection: r.poorConnection,
      })),
      audioEnabled: this.sender.audioEnabled,
      videoEnabled: this.sender.videoEnabled,
      localSpeaking: this.sender.speaking,
      localStream: this.opts.local.stream,
      localError: this.opts.local.error,
      endedReason: this.endedReason,
      screenSharing: this.screenTrack !== null,
      screenNotice: this.screenNotice,
      qualityStep: this.sender.stats.qualityStep,
      poorConnection: this.sender.degraded,
    };
  }

  private changed(): void {
    this.snapshot = this.build();
    for (const fn of [...this.listeners]) fn();
  }
}
