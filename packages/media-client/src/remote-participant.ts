import { decodeState, PayloadType, StateFlag, type MediaPayload, type PresenceMember, type VideoColour } from 'meeting-types/media-protocol';
import { frameTrace, LatencyStats, wallClockMs } from './latency';

/** Playout delay the jitter buffer aims for, and the most it lets build up before dropping. */
const JITTER_TARGET_S = 0.06;
const JITTER_MAX_S = 0.25;
const SPEAKING_LEVEL = 0.02;
/** Level decays so the indicator goes off when frames stop (mute). */
const LEVEL_HOLD_MS = 400;
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
}

/**
 * One other member of the room: decodes their VP8 to a canvas it owns (the UI only places
 * the canvas) and their Opus into the shared `AudioContext` through a small jitter buffer.
 * Asks the sender for a keyframe whenever it cannot decode (it joined late, or lost frames).
 */
export class RemoteParticipant {
  readonly canvas: HTMLCanvasElement;
  readonly stats: RemoteStats = {
    videoFramesDecoded: 0,
    audioFramesDecoded: 0,
    videoChunksReceived: 0,
    audioChunksReceived: 0,
    audioDropped: 0,
    keyframeRequests: 0,
  };
  readonly videoLatency = new LatencyStats();
  readonly audioLatency = new LatencyStats();
  /** From the sender's state announcements; true until told otherwise. */
  audioOn = true;
  videoOn = true;
  private level = 0;
  private levelAt = 0;
  private videoDecoder: VideoDecoder | null = null;
  private audioDecoder: AudioDecoder | null = null;
  private waitingForKey = true;
  /** The colour space the sender last named, and the one the current decoder was configured with. */
  private colour: VideoColorSpaceInit = VP8_COLOUR;
  private decoderColour: VideoColorSpaceInit | null = null;
  private nextPlayTime = 0;
  private readonly videoSentAt = new Map<number, number>();
  private readonly audioSentAt = new Map<number, number>();
  private readonly ctx2d: CanvasRenderingContext2D | null;
  private closed = false;

  constructor(
    public member: PresenceMember,
    private readonly audioContext: AudioContext | null,
    private readonly askKeyframe: (session: string) => void,
    private readonly onChange: () => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = 320;
    this.canvas.height = 180;
    this.canvas.dataset.session = member.session;
    this.ctx2d = this.canvas.getContext('2d');
    this.clearCanvas();
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

  handle(p: MediaPayload): void {
    if (this.closed) return;
    switch (p.type) {
      case PayloadType.VideoKey:
      case PayloadType.VideoDelta:
        return this.onVideo(p);
      case PayloadType.Audio:
        return this.onAudio(p);
      case PayloadType.State:
        return this.onState(p);
      default:
        return;
    }
  }

  /** Asks the sender for a keyframe (throttling is the sender's job). */
  requestKeyframe(): void {
    this.stats.keyframeRequests++;
    this.askKeyframe(this.member.session);
  }

  close(): void {
    this.closed = true;
    for (const d of [this.videoDecoder, this.audioDecoder]) if (d !== null && d.state !== 'closed') d.close();
    this.videoDecoder = null;
    this.audioDecoder = null;
  }

  private onState(p: MediaPayload): void {
    const { flags, colour } = decodeState(p.body);
    if (colour !== null) this.colour = colourInit(colour);
    const audioOn = (flags & StateFlag.AudioOn) !== 0;
    const videoOn = (flags & StateFlag.VideoOn) !== 0;
    if (audioOn === this.audioOn && videoOn === this.videoOn) return;
    this.audioOn = audioOn;
    this.videoOn = videoOn;
    if (!videoOn) this.clearCanvas();
    else this.waitingForKey = true;
    this.onChange();
  }

  private onVideo(p: MediaPayload): void {
    this.stats.videoChunksReceived++;
    const isKey = p.type === PayloadType.VideoKey;
    if (this.waitingForKey && !isKey) {
      if (this.stats.videoChunksReceived === 1 || this.stats.videoChunksReceived % 15 === 0) this.requestKeyframe();
      return;
    }
    // A keyframe in another colour space than the decoder's: a new decoder (a keyframe starts it).
    if (isKey && this.videoDecoder !== null && !sameColour(this.decoderColour, this.colour)) {
      if (this.videoDecoder.state !== 'closed') this.videoDecoder.close();
      this.videoDecoder = null;
    }
    const dec = this.ensureVideoDecoder();
    if (dec.decodeQueueSize > 4 && !isKey) {
      // Behind: skip to the next keyframe rather than fall further behind.
      this.waitingForKey = true;
      this.requestKeyframe();
      return;
    }
    this.waitingForKey = false;
    this.remember(this.videoSentAt, p.timestamp, p.sentAt);
    try {
      dec.decode(new EncodedVideoChunk({ type: isKey ? 'key' : 'delta', timestamp: p.timestamp, data: p.body }));
    } catch {
      this.resetVideo();
    }
  }

  private ensureVideoDecoder(): VideoDecoder {
    if (this.videoDecoder !== null && this.videoDecoder.state !== 'closed') return this.videoDecoder;
    const dec = new VideoDecoder({
      output: (frame) => this.onVideoFrame(frame),
      error: () => this.resetVideo(),
    });
    dec.configure({ codec: 'vp8', optimizeForLatency: true, colorSpace: this.colour });
    this.decoderColour = this.colour;
    this.videoDecoder = dec;
    return dec;
  }

  private resetVideo(): void {
    if (this.videoDecoder !== null && this.videoDecoder.state !== 'closed') this.videoDecoder.close();
    this.videoDecoder = null;
    this.waitingForKey = true;
    if (!this.closed) this.requestKeyframe();
  }

  private onVideoFrame(frame: VideoFrame): void {
    const sentAt = this.videoSentAt.get(frame.timestamp);
    frameTrace()?.decoded(this.session, frame.timestamp, wallClockMs(), sentAt);
    if (sentAt !== undefined) {
      this.videoLatency.add(wallClockMs() - sentAt);
      this.videoSentAt.delete(frame.timestamp);
    }
    this.stats.videoFramesDecoded++;
    try {
      if (!this.closed && this.videoOn && this.ctx2d !== null) {
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

  private onAudio(p: MediaPayload): void {
    this.stats.audioChunksReceived++;
    const dec = this.ensureAudioDecoder();
    if (dec.decodeQueueSize > 10) {
      this.stats.audioDropped++;
      return;
    }
    this.remember(this.audioSentAt, p.timestamp, p.sentAt);
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
    this.stats.audioFramesDecoded++;
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
      this.stats.audioDropped++; // too far behind real time: drop to catch up
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

  private remember(map: Map<number, number>, timestamp: number, sentAt: number): void {
    map.set(timestamp, sentAt);
    if (map.size > 200) {
      const first = map.keys().next().value;
      if (first !== undefined) map.delete(first);
    }
  }

  private clearCanvas(): void {
    if (this.ctx2d === null) return;
    this.ctx2d.fillStyle = '#202124';
    this.ctx2d.fillRect(0, 0, this.canvas.width, this.canvas.height);
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
