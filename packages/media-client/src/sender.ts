/// <reference path="./dom-extra.d.ts" />
import { encodePayload, encodeState, PayloadType, StateFlag, VideoSource } from 'meeting-types/media-protocol';
import { AdaptiveQuality, qualitySteps, type QualityStep } from './adaptive-quality';
import { DEFAULT_LIMITS, VideoGate, type BackpressureLimits } from './backpressure';
import { readAudio, readVideo, samplesOf, type FrameReader } from './capture';
import { frameTrace, wallClockMs } from './latency';
import type { MediaSocket } from './media-socket';

export interface SenderOptions {
  /** Encoded size; frames of another size are scaled by the encoder. */
  width: number;
  height: number;
  frameRate: number;
  videoBitrate: number;
  audioBitrate: number;
  /** A keyframe at least this often (and whenever a receiver asks). */
  keyframeIntervalMs: number;
  limits: BackpressureLimits;
  /** A shared screen: at most this size (its aspect ratio kept), this frame rate and bitrate. */
  screen: { maxWidth: number; maxHeight: number; frameRate: number; bitrate: number };
}

export const DEFAULT_SENDER_OPTIONS: SenderOptions = {
  width: 640,
  height: 360,
  frameRate: 15,
  videoBitrate: 600_000,
  audioBitrate: 32_000,
  keyframeIntervalMs: 3000,
  limits: DEFAULT_LIMITS,
  screen: { maxWidth: 1280, maxHeight: 720, frameRate: 8, bitrate: 1_000_000 },
};

/** Seconds between state announcements (so late joiners learn mute / camera state). */
const STATE_INTERVAL_MS = 2000;
/** A flood of keyframe requests yields at most one keyframe per this interval. */
const KEYFRAME_REQUEST_MIN_MS = 500;
const SPEAKING_LEVEL = 0.02;

export interface SenderStats {
  videoSent: number;
  videoDropped: number;
  audioSent: number;
  audioDropped: number;
  keyframes: number;
  /** Chunks of the shared screen sent (counted apart from the camera's). */
  screenSent: number;
  /** The rung of the quality ladder in use: 0 = full quality; higher = smaller, slower, lower bitrate (the link struggles). */
  qualityStep: number;
  /** How many times the step changed. */
  qualityChanges: number;
}

/** A second of the link: sampled this often, judged by `AdaptiveQuality`. */
const LINK_SAMPLE_MS = 1000;
/** Steps of the ladder (`qualitySteps`) below full quality. */
const LOWEST_STEP = 2;

interface VideoEncoding {
  /** Full quality: the size (the most, for a screen), bitrate and frame rate; the ladder goes down from it. */
  top: QualityStep;
  keyframeIntervalMs: number;
  /** The encoded size for a frame of this size at this step. */
  sizeFor(width: number, height: number, step: QualityStep): { width: number; height: number };
}

/**
 * One video source (the camera, or a shared screen): reads its track, paces it, encodes VP8
 * and sends each chunk stamped with the source. Each source has its own encoder, keyframe
 * timer and back-pressure gate (a dropped screen chunk must not cost the camera a keyframe).
 */
class VideoSourceSender {
  enabled = true;
  private encoder: VideoEncoder | null = null;
  /** What the current encoder was configured with. */
  private configured: QualityStep = { width: 0, height: 0, bitrate: 0, frameRate: 0 };
  private readonly steps: QualityStep[];
  /** The rung in use (`AdaptiveQuality.step`). */
  private step: QualityStep;
  private reader: FrameReader<VideoFrame> | null = null;
  private readonly gate: VideoGate;
  private lastKeyAt = 0;
  private keyRequested = true;
  private lastKeyRequestAt = 0;
  private lastFrameAt = 0;
  private closed = false;
  /** The colour space the encoder says its output is in (from its decoder config); receivers decode with it. */
  colour: VideoColorSpaceInit | null = null;
  /**
   * Whether the frames being encoded say what colour space they are in. Firefox's are untagged, and its
   * encoder then reports BT.709 while writing BT.601 (its pictures came out a fifth darker in Chromium):
   * for untagged frames nothing is said, and receivers use VP8's own BT.601.
   */
  private framesTagged = false;

  constructor(
    private readonly source: VideoSource,
    private readonly socket: MediaSocket,
    private readonly encoding: VideoEncoding,
    limits: BackpressureLimits,
    private readonly stats: SenderStats,
    private readonly nextSeq: () => number,
    /** Called right before each keyframe is sent (the camera announces its colour space there). */
    private readonly beforeKeyframe: () => void = () => {},
  ) {
    this.gate = new VideoGate(limits);
    this.steps = qualitySteps(encoding.top);
    this.step = this.steps[0]!;
  }

  get active(): boolean {
    return this.reader !== null;
  }

  attach(track: MediaStreamTrack | null): void {
    void this.reader?.cancel().catch(() => {});
    this.reader = null;
    if (track !== null) void this.pump(track);
    this.keyRequested = true;
  }

  setEnabled(on: boolean): void {
    this.enabled = on;
    if (on) this.keyRequested = true;
  }

  /** Chunks the back-pressure gate dropped so far. */
  get dropped(): number {
    return this.gate.dropped;
  }

  /** Bits per second this source sends now (0 when it sends nothing). */
  get sendBitrate(): number {
    return this.active && this.enabled ? this.step.bitrate : 0;
  }

  /** Moves to this rung of the ladder: the next frame goes to an encoder configured for it, and is a keyframe. */
  setStep(index: number): void {
    this.step = this.steps[Math.min(index, this.steps.length - 1)]!;
  }

  requestKeyframe(): void {
    const now = performance.now();
    if (now - this.lastKeyRequestAt < KEYFRAME_REQUEST_MIN_MS) return;
    this.lastKeyRequestAt = now;
    this.keyRequested = true;
  }

  close(): void {
    this.closed = true;
    this.attach(null);
    if (this.encoder !== null && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
  }

  private ensureEncoder(frame: VideoFrame): VideoEncoder {
    const step = this.step;
    const size = this.encoding.sizeFor(frame.displayWidth, frame.displayHeight, step);
    const c = this.configured;
    const same = size.width === c.width && size.height === c.height && step.bitrate === c.bitrate && step.frameRate === c.frameRate;
    if (this.encoder !== null && this.encoder.state !== 'closed' && same) return this.encoder;
    // A new size or bitrate: a new encoder, whose first frame is a keyframe (receivers' decoders take the new size from it).
    if (this.encoder !== null && this.encoder.state !== 'closed') this.encoder.close();
    const enc = new VideoEncoder({
      output: (chunk, metadata) => this.onChunk(chunk, metadata),
      error: (e) => {
        console.warn('video encoder error', e);
        this.encoder = null;
      },
    });
    enc.configure({
      codec: 'vp8',
      width: size.width,
      height: size.height,
      bitrate: step.bitrate,
      framerate: step.frameRate,
      latencyMode: 'realtime',
    });
    this.encoder = enc;
    this.configured = { ...size, bitrate: step.bitrate, frameRate: step.frameRate };
    this.keyRequested = true;
    return enc;
  }

  private async pump(track: MediaStreamTrack): Promise<void> {
    const reader = readVideo(track, this.encoding.top.frameRate);
    this.reader = reader;
    for (;;) {
      const { value: frame, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done || frame === undefined) return;
      if (this.closed || this.reader !== reader) {
        frame.close();
        return;
      }
      const now = performance.now();
      const minGapMs = 1000 / this.step.frameRate - 2;
      // Pace to the frame rate (of the step in use); skip when off, disconnected or the encoder is behind (never queue).
      if (!this.enabled || !this.socket.isOpen || now - this.lastFrameAt < minGapMs) {
        frame.close();
        continue;
      }
      const enc = this.ensureEncoder(frame);
      if (enc.encodeQueueSize > 2) {
        frame.close();
        this.stats.videoDropped++;
        continue;
      }
      this.lastFrameAt = now;
      const keyFrame = this.keyRequested || this.gate.needKeyframe || now - this.lastKeyAt >= this.encoding.keyframeIntervalMs;
      if (keyFrame) {
        this.keyRequested = false;
        this.lastKeyAt = now;
      }
      try {
        this.framesTagged = frame.colorSpace.matrix !== null;
        if (this.source === VideoSource.Camera) frameTrace()?.captured(frame.timestamp, wallClockMs());
        enc.encode(frame, { keyFrame });
      } finally {
        frame.close();
      }
    }
  }

  private onChunk(chunk: EncodedVideoChunk, metadata?: EncodedVideoChunkMetadata): void {
    const isKey = chunk.type === 'key';
    const colour = metadata?.decoderConfig?.colorSpace;
    if (colour !== undefined) this.colour = this.framesTagged ? colour : null;
    if (!this.enabled || this.reader === null || !this.gate.admitVideo(this.socket.bufferedAmount, isKey)) {
      if (this.enabled && this.reader !== null) this.stats.videoDropped++;
      return;
    }
    // Each keyframe comes right after a State naming its colour space: whoever starts decoding
    // at this keyframe (a late joiner, a receiver that lost frames) draws it in the right colours.
    if (isKey) this.beforeKeyframe();
    const body = new Uint8Array(chunk.byteLength);
    chunk.copyTo(body);
    const type = isKey ? PayloadType.VideoKey : PayloadType.VideoDelta;
    const source = this.source === VideoSource.Camera ? undefined : this.source;
    if (this.socket.send(encodePayload({ type, source, seq: this.nextSeq(), timestamp: chunk.timestamp, sentAt: wallClockMs(), body }))) {
      if (this.source === VideoSource.Screen) this.stats.screenSent++;
      else this.stats.videoSent++;
      if (isKey) this.stats.keyframes++;
    }
  }
}

/**
 * Encodes the local camera (VP8), a shared screen (VP8, a second video source of the same
 * connection) and the microphone (Opus) with WebCodecs and sends each chunk as one
 * `videocall.v1` payload. Reads raw frames through `capture.ts` (`MediaStreamTrackProcessor`
 * where it exists), paces video to the frame rate, forces keyframes on a timer and on request,
 * and applies back-pressure on the socket's `bufferedAmount` (video dropped before audio).
 */
export class MediaSender {
  readonly stats: SenderStats = { videoSent: 0, videoDropped: 0, audioSent: 0, audioDropped: 0, keyframes: 0, screenSent: 0, qualityStep: 0, qualityChanges: 0 };
  /** Called when the quality step changes (the call shows "poor connection" from it). */
  onQualityChange: () => void = () => {};
  audioEnabled = true;
  /** RMS of the last microphone buffer (0–1), for the local speaking indicator. */
  level = 0;
  private readonly opts: SenderOptions;
  private readonly gate: VideoGate;
  private readonly camera: VideoSourceSender;
  private readonly screen: VideoSourceSender;
  private audioEncoder: AudioEncoder | null = null;
  private audioReader: FrameReader<AudioData> | null = null;
  private seq = 0;
  private stateTimer: ReturnType<typeof setInterval> | undefined;
  private linkTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private readonly adaptive = new AdaptiveQuality(LOWEST_STEP);
  /** Since the last sample: the worst delay receivers reported, keyframe requests from receivers, drops so far. */
  private reportedDelayMs = 0;
  private receiverKeyframeRequests = 0;
  private droppedBefore = 0;

  constructor(
    private readonly socket: MediaSocket,
    options: Partial<SenderOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SENDER_OPTIONS, ...options };
    this.gate = new VideoGate(this.opts.limits);
    const nextSeq = () => this.seq++;
    const o = this.opts;
    this.camera = new VideoSourceSender(
      VideoSource.Camera,
      socket,
      {
        top: { width: o.width, height: o.height, bitrate: o.videoBitrate, frameRate: o.frameRate },
        keyframeIntervalMs: o.keyframeIntervalMs,
        sizeFor: (_w, _h, step) => ({ width: step.width, height: step.height }),
      },
      o.limits,
      this.stats,
      nextSeq,
      () => this.sendState(),
    );
    const s = o.screen;
    this.screen = new VideoSourceSender(
      VideoSource.Screen,
      socket,
      {
        top: { width: s.maxWidth, height: s.maxHeight, bitrate: s.bitrate, frameRate: s.frameRate },
        keyframeIntervalMs: o.keyframeIntervalMs,
        sizeFor: (w, h, step) => fitWithin(w, h, step.width, step.height),
      },
      o.limits,
      this.stats,
      nextSeq,
    );
    this.stateTimer = setInterval(() => this.sendState(), STATE_INTERVAL_MS);
    this.linkTimer = setInterval(() => this.sampleLink(), LINK_SAMPLE_MS);
  }

  /** Below full quality because the link struggles (or has not yet proved it recovered). */
  get degraded(): boolean {
    return this.adaptive.degraded;
  }

  /** A receiver says how late our frames reach it (a `LinkReport` naming us). */
  noteLinkReport(delayMs: number): void {
    this.reportedDelayMs = Math.max(this.reportedDelayMs, delayMs);
  }

  get videoEnabled(): boolean {
    return this.camera.enabled;
  }

  /** True while a screen track is being sent. */
  get screenSharing(): boolean {
    return this.screen.active;
  }

  get speaking(): boolean {
    return this.audioEnabled && this.level > SPEAKING_LEVEL;
  }

  /** Starts (or switches to) these camera and microphone tracks. */
  attach(video: MediaStreamTrack | null, audio: MediaStreamTrack | null): void {
    void this.audioReader?.cancel().catch(() => {});
    this.audioReader = null;
    this.camera.attach(video);
    if (audio !== null) void this.pumpAudio(audio);
  }

  /** Sends this screen track as the second video source (null: stop sharing). */
  attachScreen(track: MediaStreamTrack | null): void {
    this.screen.attach(track);
    this.sendState();
  }

  setAudioEnabled(on: boolean): void {
    this.audioEnabled = on;
    if (!on) this.level = 0;
    this.sendState();
  }

  setVideoEnabled(on: boolean): void {
    this.camera.setEnabled(on);
    this.sendState();
  }

  /** A receiver asked (`byReceiver`: it lost frames or joined) or we reconnected: the next frame of that source is a keyframe. */
  requestKeyframe(source: VideoSource = VideoSource.Camera, byReceiver = false): void {
    if (byReceiver) this.receiverKeyframeRequests++;
    (source === VideoSource.Screen ? this.screen : this.camera).requestKeyframe();
  }

  sendState(): void {
    if (this.closed) return;
    const flags =
      (this.audioEnabled ? StateFlag.AudioOn : 0) |
      (this.videoEnabled ? StateFlag.VideoOn : 0) |
      (this.screenSharing ? StateFlag.ScreenOn : 0) |
      (this.degraded ? StateFlag.PoorLink : 0);
    // The colour space named is the camera's; a shared screen is decoded in VP8's own (BT.601).
    const body = encodeState(flags, this.camera.colour);
    this.socket.send(encodePayload({ type: PayloadType.State, seq: this.seq++, timestamp: 0, sentAt: wallClockMs(), body }));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.stateTimer);
    clearInterval(this.linkTimer);
    this.camera.close();
    this.screen.close();
    void this.audioReader?.cancel().catch(() => {});
    if (this.audioEncoder !== null && this.audioEncoder.state !== 'closed') this.audioEncoder.close();
    this.audioEncoder = null;
  }

  /** One second of the link: judged, and on a change every video source moves to the new rung. */
  private sampleLink(): void {
    const dropped = this.camera.dropped + this.screen.dropped + this.stats.audioDropped;
    const sample = {
      bufferedBytes: this.socket.bufferedAmount,
      sendBitrate: this.camera.sendBitrate + this.screen.sendBitrate + (this.audioEnabled ? this.opts.audioBitrate : 0),
      dropped: dropped - this.droppedBefore,
      reportedDelayMs: this.reportedDelayMs,
      keyframeRequests: this.receiverKeyframeRequests,
    };
    this.droppedBefore = dropped;
    this.reportedDelayMs = 0;
    this.receiverKeyframeRequests = 0;
    // Disconnected, nothing can be learnt about the link (and nothing is sent).
    if (!this.socket.isOpen || !this.adaptive.sample(sample)) return;
    this.camera.setStep(this.adaptive.step);
    this.screen.setStep(this.adaptive.step);
    this.stats.qualityStep = this.adaptive.step;
    this.stats.qualityChanges = this.adaptive.changes;
    this.sendState();
    this.onQualityChange();
  }

  private ensureAudioEncoder(data: AudioData): AudioEncoder {
    if (this.audioEncoder !== null && this.audioEncoder.state !== 'closed') return this.audioEncoder;
    const enc = new AudioEncoder({
      output: (chunk) => this.onAudioChunk(chunk),
      error: (e) => {
        console.warn('audio encoder error', e);
        this.audioEncoder = null;
      },
    });
    enc.configure({ codec: 'opus', sampleRate: data.sampleRate, numberOfChannels: 1, bitrate: this.opts.audioBitrate });
    this.audioEncoder = enc;
    return enc;
  }

  private async pumpAudio(track: MediaStreamTrack): Promise<void> {
    const reader = readAudio(track);
    this.audioReader = reader;
    for (;;) {
      const { value: data, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done || data === undefined) return;
      if (this.closed || this.audioReader !== reader) {
        data.close();
        return;
      }
      if (!this.audioEnabled || !this.socket.isOpen) {
        data.close();
        continue;
      }
      this.level = rmsOf(data);
      try {
        const enc = this.ensureAudioEncoder(data);
        if (samplesOf(data) !== undefined) {
          enc.encode(data); // the worklet's blocks are mono already
        } else {
          const m = mono(data);
          enc.encode(m);
          m.close();
        }
      } finally {
        data.close();
      }
    }
  }

  private onAudioChunk(chunk: EncodedAudioChunk): void {
    if (!this.audioEnabled) return;
    if (!this.gate.admitAudio(this.socket.bufferedAmount)) {
      this.stats.audioDropped++;
      return;
    }
    const body = new Uint8Array(chunk.byteLength);
    chunk.copyTo(body);
    if (this.socket.send(encodePayload({ type: PayloadType.Audio, seq: this.seq++, timestamp: chunk.timestamp, sentAt: wallClockMs(), body }))) {
      this.stats.audioSent++;
    }
  }
}

/** `width` × `height` scaled down (never up) to fit `maxW` × `maxH`, aspect kept, even sides (VP8 wants them). */
function fitWithin(width: number, height: number, maxW: number, maxH: number): { width: number; height: number } {
  if (width <= 0 || height <= 0) return { width: maxW, height: maxH };
  const k = Math.min(1, maxW / width, maxH / height);
  const even = (n: number) => Math.max(2, Math.round((n * k) / 2) * 2);
  return { width: even(width), height: even(height) };
}

/** RMS of the first channel. */
export function rmsOf(data: AudioData): number {
  const n = data.numberOfFrames;
  if (n === 0) return 0;
  let buf = samplesOf(data);
  if (buf === undefined) {
    buf = new Float32Array(n);
    data.copyTo(buf, { planeIndex: 0, format: 'f32-planar' });
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += buf[i]! * buf[i]!;
  return Math.sqrt(sum / n);
}

/** The first channel as a mono AudioData (a small call needs no stereo). */
function mono(data: AudioData): AudioData {
  const buf = new Float32Array(data.numberOfFrames);
  data.copyTo(buf, { planeIndex: 0, format: 'f32-planar' });
  return new AudioData({
    format: 'f32-planar',
    sampleRate: data.sampleRate,
    numberOfFrames: data.numberOfFrames,
    numberOfChannels: 1,
    timestamp: data.timestamp,
    data: buf,
  });
}
