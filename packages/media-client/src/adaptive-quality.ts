/**
 * How much video a link can carry, decided once a second from what the sender can observe: the
 * socket's unsent bytes, chunks the back-pressure gate dropped, and what receivers report about
 * this sender's frames (the queueing delay they see, keyframe requests). Pure: no timers, no DOM.
 *
 * Down quickly (after `badSeconds` bad seconds in a row), up slowly (after `goodSeconds` good
 * ones): a link that struggled is given time to prove itself before more is asked of it.
 */

/** One rung of the ladder: the encoded size, bitrate and frame rate of a video source. */
export interface QualityStep {
  width: number;
  height: number;
  bitrate: number;
  frameRate: number;
}

/** One second of observations. */
export interface LinkSample {
  /** Unsent bytes in the socket at the end of the second. */
  bufferedBytes: number;
  /** What the link is asked to carry now (all sources and audio), bits per second. */
  sendBitrate: number;
  /** Chunks dropped by the back-pressure gate during the second. */
  dropped: number;
  /** The worst queueing delay (ms above the lowest seen) a receiver reported for our frames; 0 when none. */
  reportedDelayMs: number;
  /** Keyframe requests received during the second (receivers that lost our frames). */
  keyframeRequests: number;
}

export interface AdaptiveOptions {
  /** Bad seconds in a row before a step down. */
  badSeconds: number;
  /** Good seconds in a row before a step up. */
  goodSeconds: number;
  /** A second is bad when the socket holds more than this much of a second's sending, or a receiver sees this much delay. */
  badQueueMs: number;
  /** … and good only below this. */
  goodQueueMs: number;
  /** A second with this many keyframe requests or more is bad (one or two: someone joined). */
  badKeyframeRequests: number;
}

export const DEFAULT_ADAPTIVE_OPTIONS: AdaptiveOptions = {
  badSeconds: 2,
  goodSeconds: 10,
  badQueueMs: 400,
  goodQueueMs: 100,
  badKeyframeRequests: 3,
};

/**
 * The ladder below a source's own settings: full, three quarters of the size at 7/12 of the bitrate
 * and 2/3 of the frame rate, half the size at a quarter of the bitrate and 8/15 of the frame rate.
 * For the camera's 640×360 @ 600 kbit/s, 15 fps: 480×270 @ 350k, 10 fps; 320×180 @ 150k, 8 fps.
 */
export function qualitySteps(top: QualityStep): QualityStep[] {
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
  const rung = (size: number, bitrate: number, fps: number): QualityStep => ({
    width: even(top.width * size),
    height: even(top.height * size),
    bitrate: Math.round(top.bitrate * bitrate),
    frameRate: Math.max(1, Math.round(top.frameRate * fps)),
  });
  return [{ ...top }, rung(3 / 4, 7 / 12, 2 / 3), rung(1 / 2, 1 / 4, 8 / 15)];
}

export type SecondVerdict = 'bad' | 'good' | 'neutral';

/** What one second says about the link. */
export function judgeSecond(s: LinkSample, o: AdaptiveOptions = DEFAULT_ADAPTIVE_OPTIONS): SecondVerdict {
  const queueMs = s.sendBitrate > 0 ? (s.bufferedBytes * 8 * 1000) / s.sendBitrate : 0;
  const worst = Math.max(queueMs, s.reportedDelayMs);
  if (s.dropped > 0 || worst > o.badQueueMs || s.keyframeRequests >= o.badKeyframeRequests) return 'bad';
  if (worst < o.goodQueueMs && s.keyframeRequests === 0) return 'good';
  return 'neutral';
}

export class AdaptiveQuality {
  /** 0 = full quality; `maxStep` = the lowest rung. */
  step = 0;
  /** Step changes so far (each costs a keyframe). */
  changes = 0;
  private bad = 0;
  private good = 0;

  constructor(
    readonly maxStep: number,
    private readonly o: AdaptiveOptions = DEFAULT_ADAPTIVE_OPTIONS,
  ) {}

  /** True while below full quality: the link is struggling (or has not yet proved it recovered). */
  get degraded(): boolean {
    return this.step > 0;
  }

  /** Feeds one second; returns true when the step changed (reconfigure the encoders). */
  sample(s: LinkSample): boolean {
    const verdict = judgeSecond(s, this.o);
    if (verdict === 'bad') {
      this.bad++;
      this.good = 0;
    } else if (verdict === 'good') {
      this.good++;
      this.bad = 0;
    } else {
      this.bad = 0;
      this.good = 0;
    }
    if (this.bad >= this.o.badSeconds && this.step < this.maxStep) return this.move(1);
    if (this.good >= this.o.goodSeconds && this.step > 0) return this.move(-1);
    return false;
  }

  private move(by: number): boolean {
    this.step += by;
    this.changes++;
    this.bad = 0;
    this.good = 0;
    return true;
  }
}
