/// <reference path="./dom-extra.d.ts" />
/**
 * Raw frames from a camera, screen or microphone track, in every browser.
 *
 * Chromium has `MediaStreamTrackProcessor`, which hands out the capturer's own `VideoFrame`s and
 * `AudioData` (no copy): that path is used wherever it exists. Elsewhere (Firefox, Safari) video
 * frames are taken from a `<video>` element playing the track, at the frame rate asked for, and
 * audio goes through an `AudioWorklet` that posts 20 ms blocks, wrapped as `AudioData`.
 * The choice is made by feature detection, never by browser name.
 */

/** What the sender reads: `read()` resolves with the next frame, or `done` once cancelled. */
export interface FrameReader<T> {
  read(): Promise<ReadableStreamReadResult<T>>;
  cancel(): Promise<void>;
}

export interface CaptureSupport {
  /** `MediaStreamTrackProcessor` (Chromium): the fast path. */
  trackProcessor: boolean;
  /** The fallback's parts: `VideoFrame` from a `<video>`, `AudioWorkletNode`. */
  videoElementFrames: boolean;
  audioWorklet: boolean;
  /** WebCodecs encoders and decoders: without them there is no call at all. */
  webCodecs: boolean;
}

export function captureSupport(): CaptureSupport {
  const g = globalThis as Record<string, unknown>;
  return {
    trackProcessor: typeof g.MediaStreamTrackProcessor === 'function',
    videoElementFrames: typeof g.VideoFrame === 'function' && typeof g.HTMLVideoElement === 'function',
    audioWorklet: typeof g.AudioWorkletNode === 'function',
    webCodecs: ['VideoEncoder', 'VideoDecoder', 'AudioEncoder', 'AudioDecoder', 'EncodedVideoChunk', 'AudioData'].every((n) => typeof g[n] === 'function'),
  };
}

/**
 * What does not work in this browser, in words for the user, or an empty list. Used by the app
 * to say so plainly instead of showing a call that silently sends and shows nothing.
 */
export function unsupportedFeatures(): string[] {
  const s = captureSupport();
  const g = globalThis as Record<string, unknown>;
  const out: string[] = [];
  const missing = ['VideoEncoder', 'VideoDecoder', 'AudioEncoder', 'AudioDecoder'].filter((n) => typeof g[n] !== 'function');
  if (missing.length > 0) out.push(`This browser lacks WebCodecs (${missing.join(', ')}): it can neither send nor show video and sound in the call.`);
  if (!s.trackProcessor && !s.videoElementFrames) out.push('This browser cannot read camera frames: others will not see you.');
  if (!s.trackProcessor && !s.audioWorklet) out.push('This browser cannot read the microphone: others will not hear you.');
  return out;
}

/** Video frames of `track`, at most `frameRate` per second. */
export function readVideo(track: MediaStreamTrack, frameRate: number): FrameReader<VideoFrame> {
  if (captureSupport().trackProcessor) return new MediaStreamTrackProcessor<VideoFrame>({ track }).readable.getReader();
  return new VideoElementReader(track, frameRate);
}

/** 20 ms blocks of the first channel of `track`. */
export function readAudio(track: MediaStreamTrack): FrameReader<AudioData> {
  if (captureSupport().trackProcessor) return new MediaStreamTrackProcessor<AudioData>({ track }).readable.getReader();
  return new WorkletAudioReader(track);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Frames drawn from a `<video>` that plays the track (not in the DOM, muted). */
class VideoElementReader implements FrameReader<VideoFrame> {
  private readonly video: HTMLVideoElement;
  private cancelled = false;
  private nextAt = 0;
  private lastTime = -1;
  private readonly gapMs: number;

  constructor(
    private readonly track: MediaStreamTrack,
    frameRate: number,
  ) {
    this.gapMs = 1000 / Math.max(1, frameRate);
    const v = document.createElement('video');
    v.muted = true;
    v.playsInline = true;
    v.autoplay = true;
    v.srcObject = new MediaStream([track]);
    void v.play().catch(() => {});
    this.video = v;
  }

  async read(): Promise<ReadableStreamReadResult<VideoFrame>> {
    for (;;) {
      if (this.cancelled || this.track.readyState === 'ended') return { value: undefined, done: true };
      const wait = this.nextAt - performance.now();
      if (wait > 0) await sleep(wait);
      if (this.cancelled) return { value: undefined, done: true };
      const v = this.video;
      if (v.readyState < 2 || v.videoWidth === 0) {
        await sleep(20);
        continue;
      }
      this.nextAt = Math.max(this.nextAt + this.gapMs, performance.now());
      try {
        const frame = new VideoFrame(v, { timestamp: Math.round(performance.now() * 1000) });
        this.lastTime = v.currentTime;
        return { value: frame, done: false };
      } catch {
        await sleep(20); // not ready after all (a new device, a resize)
      }
    }
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    this.video.pause();
    this.video.srcObject = null;
  }
}

/** Posts the first input channel in blocks of `size` samples. */
const CAPTURE_WORKLET = `
class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.size = options.processorOptions.size;
    this.buf = new Float32Array(this.size);
    this.n = 0;
  }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) {
      let i = 0;
      while (i < ch.length) {
        const take = Math.min(ch.length - i, this.size - this.n);
        this.buf.set(ch.subarray(i, i + take), this.n);
        this.n += take;
        i += take;
        if (this.n === this.size) {
          this.port.postMessage(this.buf, [this.buf.buffer]);
          this.buf = new Float32Array(this.size);
          this.n = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor('videocall-capture', CaptureProcessor);
`;

/**
 * The samples of each `AudioData` the worklet reader built (mono, f32). The sender reads these
 * instead of calling `copyTo` on such data: WebKitGTK 2.50's web process crashes (a double free)
 * on `copyTo` of an `AudioData` built from script, though not of one its decoder made.
 */
const builtSamples = new WeakMap<AudioData, Float32Array>();

/** The mono f32 samples of an `AudioData` this module built, or undefined for anyone else's. */
export function samplesOf(data: AudioData): Float32Array | undefined {
  return builtSamples.get(data);
}

/** Loads a worklet module (once per context) from source text. */
export function addWorklet(ctx: BaseAudioContext, name: string, source: string): Promise<void> {
  const key = ctx as BaseAudioContext & { __worklets?: Map<string, Promise<void>> };
  key.__worklets ??= new Map();
  let p = key.__worklets.get(name);
  if (p === undefined) {
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    p = ctx.audioWorklet.addModule(url);
    key.__worklets.set(name, p);
  }
  return p;
}

/** Microphone blocks through an `AudioWorklet`, as `AudioData` (f32-planar, mono). */
class WorkletAudioReader implements FrameReader<AudioData> {
  private readonly ctx: AudioContext;
  private readonly queue: AudioData[] = [];
  private waiter: ((v: ReadableStreamReadResult<AudioData>) => void) | null = null;
  private cancelled = false;
  private node: AudioWorkletNode | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private samplesSent = 0;
  private startedAt = 0;

  constructor(track: MediaStreamTrack) {
    this.ctx = new AudioContext({ latencyHint: 'interactive' });
    void this.start(track).catch((err) => {
      console.warn('microphone capture failed', err);
      void this.cancel();
    });
  }

  private async start(track: MediaStreamTrack): Promise<void> {
    const ctx = this.ctx;
    await addWorklet(ctx, 'videocall-capture', CAPTURE_WORKLET);
    if (this.cancelled) return;
    const size = Math.round(ctx.sampleRate / 50); // 20 ms
    this.source = ctx.createMediaStreamSource(new MediaStream([track]));
    // One (silent) output to the destination: a graph that reaches no destination is not run.
    const node = new AudioWorkletNode(ctx, 'videocall-capture', { numberOfInputs: 1, numberOfOutputs: 1, processorOptions: { size } });
    const silence = ctx.createGain();
    silence.gain.value = 0;
    node.connect(silence).connect(ctx.destination);
    this.node = node;
    this.startedAt = performance.now() * 1000;
    node.port.onmessage = (e: MessageEvent<Float32Array<ArrayBuffer>>) => this.push(e.data);
    this.source.connect(node);
    await ctx.resume().catch(() => {});
  }

  private push(samples: Float32Array<ArrayBuffer>): void {
    if (this.cancelled) return;
    const data = new AudioData({
      format: 'f32-planar',
      sampleRate: this.ctx.sampleRate,
      numberOfFrames: samples.length,
      numberOfChannels: 1,
      timestamp: Math.round(this.startedAt + (this.samplesSent * 1e6) / this.ctx.sampleRate),
      data: samples,
    });
    builtSamples.set(data, samples);
    this.samplesSent += samples.length;
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      w({ value: data, done: false });
      return;
    }
    this.queue.push(data);
    // Never queue more than ~200 ms: a reader that is behind loses the oldest blocks.
    while (this.queue.length > 10) this.queue.shift()!.close();
  }

  read(): Promise<ReadableStreamReadResult<AudioData>> {
    if (this.cancelled) return Promise.resolve({ value: undefined, done: true });
    const next = this.queue.shift();
    if (next !== undefined) return Promise.resolve({ value: next, done: false });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const d of this.queue.splice(0)) d.close();
    this.waiter?.({ value: undefined, done: true });
    this.waiter = null;
    this.source?.disconnect();
    this.node?.disconnect();
    await this.ctx.close().catch(() => {});
  }
}
