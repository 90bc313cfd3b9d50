import { decodeState, PayloadType, StateFlag, VideoSource, type MediaPayload, type PresenceMember, type VideoColour } from 'meeting-types/media-protocol';
import { frameTrace, LatencyStats, percentile, wallClockMs } from './latency';

/** Playout delay the jitter buffer aims for, and the most it lets build up before dropping. */
const JITTER_TARGET_S = 0.06;
const JITTER_MAX_S = 0.25;
const SPEAKING_LEVEL = 0.02;
/** Level decays so the indicator goes off when frames stop (mute). */
const LEVEL_HOLD_MS = 400;
/** A camera that is on but whose chunks stopped this long ago, or came slower than `POOR_MIN_FPS` over this window, looks poor. */
const POOR_WINDOW_MS = 3000;
const POOR_MIN_FPS = 2;
/** Frames this much later than the earliest ones (ms, a queue on the way) look poor too. */
const POOR_DELAY_MS = 1000;
/** Delays below this are not reported to the sender (a healthy call sends no reports at all). */
const REPORT_DELAY_MS = 100;
/**
 * VP8's own colour space (BT.601, limited range), for a sender that does not name one. Left
 * unset, Chromium's decoder tags VP8 frames BT.709 and the canvas converts them with the wrong
 * matrix: the picture comes out darker and with shifted hues than the sender's self-view.
 */
const VP8_COLOUR: VideoColorSpaceInit = { primaries: 'smpte170m', transfer: 'smpte170m', matrix: 'smpte170m', fullRange: false };

export interface RemoteStats {
  videoFramesDecoded: number;
  audioFramesDecoded: number;
  videoChunksReceived: number;
  audioChunksReceived: number;
  audioDropped: number;
  keyframeRequests: number;
  /** Frames of their shared screen decoded. */
  screenFramesDecoded: number;
  /** The queueing delay of their camera's chunks (ms above the lowest seen), the median of the last second. */
  linkDelayMs: number;
}

/**
 * How a sender's chunks arrive: the delay of each above the lowest seen (the clocks of two machines
 * differ by a constant, which the subtraction removes; what remains is queueing on the way) and the
 * arrival times of the last few seconds.
 *
 * A second's delay is the median of its chunks', not the worst: a queue on the link makes every
 * chunk late, while one chunk held up by a busy receiver (a garbage collection, a long task, a
 * machine short of CPU) says nothing about the link, and counted as the second's delay it kept a
 * sender that had recovered from ever proving so.
 */
class ArrivalWatch {
  private baseline = Number.POSITIVE_INFINITY;
  private delays: number[] = [];
  /** The median delay of the last completed second. */
  lastSecondDelay = 0;
  private readonly arrivals: number[] = [];
  private lastAt = Number.NEGATIVE_INFINITY;
  private firstAt = Number.POSITIVE_INFINITY;

  chunk(sentAt: number): void {
    const now = performance.now();
    const delay = wallClockMs() - sentAt;
    if (Number.isFinite(delay)) {
      this.baseline = Math.min(this.baseline, delay);
      this.delays.push(delay - this.baseline);
    }
    this.arrivals.push(now);
    this.lastAt = now;
    if (this.firstAt === Number.POSITIVE_INFINITY) this.firstAt = now;
    while (this.arrivals.length > 0 && this.arrivals[0]! < now - POOR_WINDOW_MS) this.arrivals.shift();
  }

  /**
   * Closes a second: its median delay, or, when nothing came for longer than that, how long it has been.
   * Nothing for the first seconds after chunks start (decoders and encoders warming up are slow once).
   */
  tick(): number {
    const now = performance.now();
    const delays = this.delays;
    this.delays = [];
    if (now - this.firstAt < POOR_WINDOW_MS) return 0;
    const last = this.arrivals.at(-1);
    const silent = last === undefined ? 0 : now - last;
    this.lastSecondDelay = Math.max(delays.length > 0 ? percentile(delays, 50) : 0, silent > 1000 ? silent : 0);
    return this.lastSecondDelay;
  }

  /** Chunks stopped, or came far below any frame rate a sender uses, or late: the link to this sender struggles. */
  poor(since: number): boolean {
    const now = performance.now();
    // Not before a whole window has passed since the camera came on (a join, a camera turned on), and
    // not for a member whose camera never sent anything since (none, or no permission).
    const last = this.arrivals.at(-1) ?? this.lastAt;
    if (now - since < POOR_WINDOW_MS || last < since) return false;
    const recent = this.arrivals.filter((t) => t >= now - POOR_WINDOW_MS).length;
    return recent < (POOR_MIN_FPS * POOR_WINDOW_MS) / 1000 || this.lastSecondDelay > POOR_DELAY_MS;
  }
}

/**
 * One video source of a remote member (their camera, or their shared screen): decodes VP8 to a
 * canvas it owns and asks for a keyframe whenever it cannot decode (joined late, lost frames).
 */
class VideoTrackDecoder {
  readonly canvas: HTMLCanvasElement;
  framesDecoded = 0;
  chunksReceived = 0;
  /** Whether frames should be drawn (the sender's state says this source is on). */
  on: boolean;
  private decoder: VideoDecoder | null = null;
  private waitingForKey = true;
  /** The colour space the sender last named, and the one the current decoder was configured with. */
  colour: VideoColorSpaceInit = VP8_COLOUR;
  private decoderColour: VideoColorSpaceInit | null = null;
  private readonly sentAt = new Map<number, number>();
  readonly arrivals = new ArrivalWatch();
  /** When the source was last turned on (arrival rates are judged only a while after). */
  onSince = performance.now();
  private readonly ctx2d: CanvasRenderingContext2D | null;
  private closed = false;

  constructor(
    private readonly session: string,
    private readonly source: VideoSource,
    on: boolean,
    private readonly latency: LatencyStats,
    private readonly askKeyframe: () => void,
  ) {
    this.on = on;
    this.canvas = document.createElement('canvas');
    this.canvas.width = 320;
    this.canvas.height = 180;
    this.canvas.dataset.session = session;
    this.canvas.dataset.source = source === VideoSource.Screen ? 'screen' : 'camera';
    this.ctx2d = this.canvas.getContext('2d');
    this.clear();
  }

  setOn(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    if (!on) this.clear();
    else {
      this.waitingForKey = true;
      this.onSince = performance.now();
    }
  }

  handle(p: MediaPayload): void {
    this.chunksReceived++;
    this.arrivals.chunk(p.sentAt);
    const isKey = p.type === PayloadType.VideoKey;
    if (this.waitingForKey && !isKey) {
      if (this.chunksReceived === 1 || this.chunksReceived % 15 === 0) this.askKeyframe();
      return;
    }
    // A keyframe in another colour space than the decoder's: a new decoder (a keyframe starts it).
    if (isKey && this.decoder !== null && !sameColour(this.decoderColour, this.colour)) {
      if (this.decoder.state !== 'closed') this.decoder.close();
      this.decoder = null;
    }
    const dec = this.ensureDecoder();
    if (dec.decodeQueueSize > 4 && !isKey) {
      // Behind: skip to the next keyframe rather than fall further behind.
      this.waitingForKey = true;
      this.askKeyframe();
      return;
    }
    this.waitingForKey = false;
    remember(this.sentAt, p.timestamp, p.sentAt);
    try {
      dec.decode(new EncodedVideoChunk({ type: isKey ? 'key' : 'delta', timestamp: p.timestamp, data: p.body }));
    } catch {
      this.reset();
    }
  }

  close(): void {
    this.closed = true;
    if (this.decoder !== null && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
  }

  private ensureDecoder(): VideoDecoder {
    if (this.decoder !== null && this.decoder.state !== 'closed') return this.decoder;
    const dec = new VideoDecoder({
      output: (frame) => this.onFrame(frame),
      error: () => this.reset(),
    });
    dec.configure({ codec: 'vp8', optimizeForLatency: true, colorSpace: this.colour });
    this.decoderColour = this.colour;
    this.decoder = dec;
    return dec;
  }

  private reset(): void {
    if (this.decoder !== null && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.waitingForKey = true;
    if (!this.closed) this.askKeyframe();
  }

  private onFrame(frame: VideoFrame): void {
    const sentAt = this.sentAt.get(frame.timestamp);
    if (this.source === VideoSource.Camera) frameTrace()?.decoded(this.session, frame.timestamp, wallClockMs(), sentAt);
    if (sentAt !== undefined) {
      this.latency.add(wallClockMs() - sentAt);
      this.sentAt.delete(frame.timestamp);
    }
    this.framesDecoded++;
    try {
      if (!this.closed && this.on && this.ctx2d !== null) {
        if (this.canvas.width !== frame.displayWidth || this.canvas.height !== frame.displayHeight) {
          this.canvas.width = frame.displayWidth;
          this.canvas.height = frame.displayHeight;
        }
        this.ctx2d.drawImage(frame, 0, 0);
      }
    } finally {
      frame.close();
    }
  }

  private clear(): void {
    if (this.ctx2d === null) return;
    this.ctx2d.fillStyle = '#202124';
    this.ctx2d.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }
}

/**
 * One other member of the room: decodes their camera and their shared screen (each to a canvas
 * it owns; the UI only places the canvases) and their Opus into the shared `AudioContext`
 * through a small jitter buffer.
 */
export class RemoteParticipant {
  private readonly counts = { audioFramesDecoded: 0, audioChunksReceived: 0, audioDropped: 0, keyframeRequests: 0 };
  readonly videoLatency = new LatencyStats();
  readonly audioLatency = new LatencyStats();
  /** From the sender's state announcements; true until told otherwise. */
  audioOn = true;
  videoOn = true;
  /** Sharing their screen (state announcements; a screen frame also says so). */
  screenOn = false;
  /** Their state says they send below full quality (their link struggles). */
  senderDegraded = false;
  private readonly camera: VideoTrackDecoder;
  private readonly screen: VideoTrackDecoder;
  private level = 0;
  private levelAt = 0;
  private audioDecoder: AudioDecoder | null = null;
  private nextPlayTime = 0;
  private readonly audioSentAt = new Map<number, number>();
  private closed = false;

  constructor(
    public member: PresenceMember,
    private readonly audioContext: AudioContext | null,
    private readonly askKeyframe: (session: string, source: VideoSource) => void,
    private readonly onChange: () => void,
  ) {
    this.camera = new VideoTrackDecoder(member.session, VideoSource.Camera, true, this.videoLatency, () => this.requestKeyframe());
    this.screen = new VideoTrackDecoder(member.session, VideoSource.Screen, false, new LatencyStats(), () => this.requestKeyframe(VideoSource.Screen));
  }

  /** The canvas their camera is drawn on. */
  get canvas(): HTMLCanvasElement {
    return this.camera.canvas;
  }

  /** The canvas their shared screen is drawn on. */
  get screenCanvas(): HTMLCanvasElement {
    return this.screen.canvas;
  }

  get session(): string {
    return this.member.session;
  }

  /** Audio level (RMS, 0–1) of what was last played; 0 once frames stop. */
  get audioLevel(): number {
    return performance.now() - this.levelAt > LEVEL_HOLD_MS ? 0 : this.level;
  }

  get speaking(): boolean {
    return this.audioLevel > SPEAKING_LEVEL;
  }

  /**
   * Their connection looks poor: they say they send below full quality, or their camera (on) reaches
   * us late, rarely or not at all.
   */
  get poorConnection(): boolean {
    return this.senderDegraded || (this.videoOn && this.camera.arrivals.poor(this.camera.onSince));
  }

  /** Closes a second of their camera's arrivals: the delay to report to them, or null when there is nothing worth saying. */
  linkReport(): number | null {
    if (!this.videoOn) return null;
    const delay = this.camera.arrivals.tick();
    return delay >= REPORT_DELAY_MS ? delay : null;
  }

  handle(p: MediaPayload): void {
    if (this.closed) return;
    switch (p.type) {
      case PayloadType.VideoKey:
      case PayloadType.VideoDelta:
        if (p.source === VideoSource.Screen) return this.onScreen(p);
        return this.camera.handle(p);
      case PayloadType.Audio:
        return this.onAudio(p);
      case PayloadType.State:
        return this.onState(p);
      default:
        return;
    }
  }

  /** Asks the sender for a keyframe of that source (throttling is the sender's job). */
  requestKeyframe(source: VideoSource = VideoSource.Camera): void {
    this.counts.keyframeRequests++;
    this.askKeyframe(this.member.session, source);
  }

  close(): void {
    this.closed = true;
    this.camera.close();
    this.screen.close();
    if (this.audioDecoder !== null && this.audioDecoder.state !== 'closed') this.audioDecoder.close();
    this.audioDecoder = null;
  }

  get stats(): RemoteStats {
    return {
      ...this.counts,
      videoFramesDecoded: this.camera.framesDecoded,
      videoChunksReceived: this.camera.chunksReceived,
      screenFramesDecoded: this.screen.framesDecoded,
      linkDelayMs: this.camera.arrivals.lastSecondDelay,
    };
  }

  private onState(p: MediaPayload): void {
    const { flags, colour } = decodeState(p.body);
    if (colour !== null) this.camera.colour = colourInit(colour);
    const audioOn = (flags & StateFlag.AudioOn) !== 0;
    const videoOn = (flags & StateFlag.VideoOn) !== 0;
    const screenOn = (flags & StateFlag.ScreenOn) !== 0;
    const degraded = (flags & StateFlag.PoorLink) !== 0;
    if (degraded !== this.senderDegraded) {
      this.senderDegraded = degraded;
      this.onChange();
    }
    if (audioOn === this.audioOn && videoOn === this.videoOn && screenOn === this.screenOn) return;
    this.audioOn = audioOn;
    this.videoOn = videoOn;
    this.screenOn = screenOn;
    this.camera.setOn(videoOn);
    this.screen.setOn(screenOn);
    this.onChange();
  }

  private onScreen(p: MediaPayload): void {
    // A screen frame before the state that announces it (state comes every few seconds).
    if (!this.screenOn) {
      this.screenOn = true;
      this.screen.setOn(true);
      this.onChange();
    }
    this.screen.handle(p);
  }

  private onAudio(p: MediaPayload): void {
    this.counts.audioChunksReceived++;
    const dec = this.ensureAudioDecoder();
    if (dec.decodeQueueSize > 10) {
      this.counts.audioDropped++;
      return;
    }
    remember(this.audioSentAt, p.timestamp, p.sentAt);
    try {
      dec.decode(new EncodedAudioChunk({ type: 'key', timestamp: p.timestamp, data: p.body }));
    } catch {
      if (this.audioDecoder !== null && this.audioDecoder.state !== 'closed') this.audioDecoder.close();
      this.audioDecoder = null;
    }
  }

  private ensureAudioDecoder(): AudioDecoder {
    if (this.audioDecoder !== null && this.audioDecoder.state !== 'closed') return this.audioDecoder;
    const dec = new AudioDecoder({
      output: (data) => this.onAudioData(data),
      error: () => {
        this.audioDecoder = null;
      },
    });
    dec.configure({ codec: 'opus', sampleRate: 48_000, numberOfChannels: 1 });
    this.audioDecoder = dec;
    return dec;
  }

  private onAudioData(data: AudioData): void {
    const sentAt = this.audioSentAt.get(data.timestamp);
    if (sentAt !== undefined) {
      this.audioLatency.add(wallClockMs() - sentAt);
      this.audioSentAt.delete(data.timestamp);
    }
    this.counts.audioFramesDecoded++;
    const n = data.numberOfFrames;
    const samples = new Float32Array(n);
    data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
    const rate = data.sampleRate;
    data.close();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += samples[i]! * samples[i]!;
    const wasSpeaking = this.speaking;
    // A peak that decays over a few frames, so the indicator does not flicker between syllables.
    this.level = Math.max(n > 0 ? Math.sqrt(sum / n) : 0, this.audioLevel * 0.85);
    this.levelAt = performance.now();
    if (wasSpeaking !== this.speaking) this.onChange();
    this.play(samples, rate);
  }

  /** The jitter buffer: schedule each decoded buffer right after the previous one, a little ahead of now. */
  private play(samples: Float32Array<ArrayBuffer>, rate: number): void {
    const ctx = this.audioContext;
    if (ctx === null || this.closed || samples.length === 0) return;
    const now = ctx.currentTime;
    if (this.nextPlayTime < now) this.nextPlayTime = now + JITTER_TARGET_S; // underrun: rebuffer
    if (this.nextPlayTime > now + JITTER_MAX_S) {
      this.counts.audioDropped++; // too far behind real time: drop to catch up
      return;
    }
    const buffer = ctx.createBuffer(1, samples.length, rate);
    buffer.copyToChannel(samples, 0);
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(ctx.destination);
    src.start(this.nextPlayTime);
    this.nextPlayTime += buffer.duration;
  }
}

function remember(map: Map<number, number>, timestamp: number, sentAt: number): void {
  map.set(timestamp, sentAt);
  if (map.size > 200) {
    const first = map.keys().next().value;
    if (first !== undefined) map.delete(first);
  }
}

/** What the sender named, with VP8's own colour space for whatever it left out. */
function colourInit(c: VideoColour): VideoColorSpaceInit {
  return {
    primaries: c.primaries ?? VP8_COLOUR.primaries,
    transfer: c.transfer ?? VP8_COLOUR.transfer,
    matrix: c.matrix ?? VP8_COLOUR.matrix,
    fullRange: c.fullRange ?? VP8_COLOUR.fullRange,
  };
}

function sameColour(a: VideoColorSpaceInit | null, b: VideoColorSpaceInit): boolean {
  return a !== null && a.primaries === b.primaries && a.transfer === b.transfer && a.matrix === b.matrix && a.fullRange === b.fullRange;
}
