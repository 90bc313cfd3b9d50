/// <reference path="./dom-extra.d.ts" />
import { encodePayload, encodeState, PayloadType, StateFlag } from 'meeting-types/media-protocol';
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
}

export const DEFAULT_SENDER_OPTIONS: SenderOptions = {
  width: 640,
  height: 360,
  frameRate: 15,
  videoBitrate: 600_000,
  audioBitrate: 32_000,
  keyframeIntervalMs: 3000,
  limits: DEFAULT_LIMITS,
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
}

/**
 * Encodes the local camera (VP8) and microphone (Opus) with WebCodecs and sends each chunk
 * as one `videocall.v1` payload. Reads raw frames through `capture.ts` (`MediaStreamTrackProcessor` where it exists), paces
 * video to the frame rate, forces keyframes on a timer and on request, and applies
 * back-pressure on the socket's `bufferedAmount` (video dropped before audio).
 */
export class MediaSender {
  readonly stats: SenderStats = { videoSent: 0, videoDropped: 0, audioSent: 0, audioDropped: 0, keyframes: 0 };
  audioEnabled = true;
  videoEnabled = true;
  /** RMS of the last microphone buffer (0–1), for the local speaking indicator. */
  level = 0;
  private readonly opts: SenderOptions;
  private readonly gate: VideoGate;
  private videoEncoder: VideoEncoder | null = null;
  private audioEncoder: AudioEncoder | null = null;
  private videoReader: FrameReader<VideoFrame> | null = null;
  private audioReader: FrameReader<AudioData> | null = null;
  private seq = 0;
  private lastKeyAt = 0;
  private keyRequested = true;
  private lastKeyRequestAt = 0;
  private lastFrameAt = 0;
  private stateTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private readonly sentAt = new Map<number, number>();
  /** The colour space the encoder says its output is in (from its decoder config); receivers decode with it. */
  private colour: VideoColorSpaceInit | null = null;
  /**
   * Whether the frames being encoded say what colour space they are in. Firefox's are untagged, and its
   * encoder then reports BT.709 while writing BT.601 (its pictures came out a fifth darker in Chromium):
   * for untagged frames nothing is said, and receivers use VP8's own BT.601.
   */
  private framesTagged = false;

  constructor(
    private readonly socket: MediaSocket,
    options: Partial<SenderOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SENDER_OPTIONS, ...options };
    this.gate = new VideoGate(this.opts.limits);
    this.stateTimer = setInterval(() => this.sendState(), STATE_INTERVAL_MS);
  }

  get speaking(): boolean {
    return this.audioEnabled && this.level > SPEAKING_LEVEL;
  }

  /** Starts (or switches to) these tracks. */
  attach(video: MediaStreamTrack | null, audio: MediaStreamTrack | null): void {
    void this.videoReader?.cancel().catch(() => {});
    void this.audioReader?.cancel().catch(() => {});
    this.videoReader = null;
    this.audioReader = null;
    if (video !== null) void this.pumpVideo(video);
    if (audio !== null) void this.pumpAudio(audio);
    this.keyRequested = true;
  }

  setAudioEnabled(on: boolean): void {
    this.audioEnabled = on;
    if (!on) this.level = 0;
    this.sendState();
  }

  setVideoEnabled(on: boolean): void {
    this.videoEnabled = on;
    if (on) this.keyRequested = true;
    this.sendState();
  }

  /** A receiver asked (or we reconnected): the next video frame is a keyframe. */
  requestKeyframe(): void {
    const now = performance.now();
    if (now - this.lastKeyRequestAt < KEYFRAME_REQUEST_MIN_MS) return;
    this.lastKeyRequestAt = now;
    this.keyRequested = true;
  }

  sendState(): void {
    if (this.closed) return;
    const flags = (this.audioEnabled ? StateFlag.AudioOn : 0) | (this.videoEnabled ? StateFlag.VideoOn : 0);
    const body = encodeState(flags, this.colour);
    this.socket.send(encodePayload({ type: PayloadType.State, seq: this.seq++, timestamp: 0, sentAt: wallClockMs(), body }));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.stateTimer);
    void this.videoReader?.cancel().catch(() => {});
    void this.audioReader?.cancel().catch(() => {});
    for (const enc of [this.videoEncoder, this.audioEncoder]) {
      if (enc !== null && enc.state !== 'closed') enc.close();
    }
    this.videoEncoder = null;
    this.audioEncoder = null;
  }

  private ensureVideoEncoder(): VideoEncoder {
    if (this.videoEncoder !== null && this.videoEncoder.state !== 'closed') return this.videoEncoder;
    const enc = new VideoEncoder({
      output: (chunk, metadata) => this.onVideoChunk(chunk, metadata),
      error: (e) => {
        console.warn('video encoder error', e);
        this.videoEncoder = null;
      },
    });
    enc.configure({
      codec: 'vp8',
      width: this.opts.width,
      height: this.opts.height,
      bitrate: this.opts.videoBitrate,
      framerate: this.opts.frameRate,
      latencyMode: 'realtime',
    });
    this.videoEncoder = enc;
    this.keyRequested = true;
    return enc;
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

  private async pumpVideo(track: MediaStreamTrack): Promise<void> {
    const reader = readVideo(track, this.opts.frameRate);
    this.videoReader = reader;
    const minGapMs = 1000 / this.opts.frameRate - 2;
    for (;;) {
      const { value: frame, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done || frame === undefined) return;
      if (this.closed || this.videoReader !== reader) {
        frame.close();
        return;
      }
      const now = performance.now();
      // Pace to the frame rate; skip when off, disconnected or the encoder is behind (never queue).
      if (!this.videoEnabled || !this.socket.isOpen || now - this.lastFrameAt < minGapMs) {
        frame.close();
        continue;
      }
      const enc = this.ensureVideoEncoder();
      if (enc.encodeQueueSize > 2) {
        frame.close();
        this.stats.videoDropped++;
        continue;
      }
      this.lastFrameAt = now;
      const keyFrame = this.keyRequested || this.gate.needKeyframe || now - this.lastKeyAt >= this.opts.keyframeIntervalMs;
      if (keyFrame) {
        this.keyRequested = false;
        this.lastKeyAt = now;
      }
      try {
        this.framesTagged = frame.colorSpace.matrix !== null;
        frameTrace()?.captured(frame.timestamp, wallClockMs());
        enc.encode(frame, { keyFrame });
      } finally {
        frame.close();
      }
    }
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

  private onVideoChunk(chunk: EncodedVideoChunk, metadata?: EncodedVideoChunkMetadata): void {
    const isKey = chunk.type === 'key';
    const colour = metadata?.decoderConfig?.colorSpace;
    if (colour !== undefined) this.colour = this.framesTagged ? colour : null;
    if (!this.videoEnabled || !this.gate.admitVideo(this.socket.bufferedAmount, isKey)) {
      if (this.videoEnabled) this.stats.videoDropped++;
      return;
    }
    // Each keyframe comes right after a State naming its colour space: whoever starts decoding
    // at this keyframe (a late joiner, a receiver that lost frames) draws it in the right colours.
    if (isKey) this.sendState();
    const body = new Uint8Array(chunk.byteLength);
    chunk.copyTo(body);
    const type = isKey ? PayloadType.VideoKey : PayloadType.VideoDelta;
    if (this.socket.send(encodePayload({ type, seq: this.seq++, timestamp: chunk.timestamp, sentAt: wallClockMs(), body }))) {
      this.stats.videoSent++;
      if (isKey) this.stats.keyframes++;
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
