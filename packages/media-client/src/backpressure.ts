/**
 * What to do with an encoded chunk given how much the socket still has to send. Video goes
 * first: past `videoLimit` video is dropped (and the next video sent must be a keyframe, or
 * receivers would decode garbage); audio only past `audioLimit`. Nothing is ever queued by us:
 * the socket's own buffer is the only queue, and it is bounded by these limits.
 */
export interface BackpressureLimits {
  videoLimit: number;
  audioLimit: number;
}

export const DEFAULT_LIMITS: BackpressureLimits = { videoLimit: 256 * 1024, audioLimit: 1024 * 1024 };

export class VideoGate {
  /** Set when a video chunk was dropped: deltas are useless until the next keyframe. */
  needKeyframe = false;
  dropped = 0;

  constructor(private readonly limits: BackpressureLimits = DEFAULT_LIMITS) {}

  /** True when this video chunk may be sent now. */
  admitVideo(bufferedAmount: number, isKey: boolean): boolean {
    if (bufferedAmount > this.limits.videoLimit) {
      this.dropped++;
      this.needKeyframe = true;
      return false;
    }
    if (this.needKeyframe && !isKey) {
      this.dropped++;
      return false;
    }
    if (isKey) this.needKeyframe = false;
    return true;
  }

  admitAudio(bufferedAmount: number): boolean {
    return bufferedAmount <= this.limits.audioLimit;
  }
}
