import { Emitter } from './emitter';

export interface DeviceList {
  cameras: { deviceId: string; label: string }[];
  microphones: { deviceId: string; label: string }[];
}

export interface CaptureOptions {
  cameraId?: string;
  microphoneId?: string;
  width?: number;
  height?: number;
  frameRate?: number;
}

/** Lists cameras and microphones (labels appear once the user has granted access). */
export async function listDevices(): Promise<DeviceList> {
  const all = await navigator.mediaDevices.enumerateDevices();
  const pick = (kind: MediaDeviceKind) =>
    all
      .filter((d) => d.kind === kind && d.deviceId !== '')
      .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${kind === 'videoinput' ? 'Camera' : 'Microphone'} ${i + 1}` }));
  return { cameras: pick('videoinput'), microphones: pick('audioinput') };
}

type LocalMediaEvents = { change: [] };

/**
 * The camera and microphone: one `MediaStream` the pre-join preview shows and the sender
 * encodes. Switching a device replaces the stream (listeners hear `change`).
 */
export class LocalMedia extends Emitter<LocalMediaEvents> {
  stream: MediaStream | null = null;
  error: string | null = null;
  options: CaptureOptions;

  constructor(options: CaptureOptions = {}) {
    super();
    this.options = { width: 640, height: 360, frameRate: 15, ...options };
  }

  get videoTrack(): MediaStreamTrack | null {
    return this.stream?.getVideoTracks()[0] ?? null;
  }
  get audioTrack(): MediaStreamTrack | null {
    return this.stream?.getAudioTracks()[0] ?? null;
  }

  async start(): Promise<MediaStream> {
    const o = this.options;
    const video: MediaTrackConstraints = {
      width: { ideal: o.width },
      height: { ideal: o.height },
      frameRate: { ideal: o.frameRate },
      ...(o.cameraId ? { deviceId: { exact: o.cameraId } } : {}),
    };
    const audio: MediaTrackConstraints = {
      echoCancellation: true,
      noiseSuppression: true,
      ...(o.microphoneId ? { deviceId: { exact: o.microphoneId } } : {}),
    };
    // Both; else whichever one exists (a laptop with no camera still joins with its microphone).
    let stream: MediaStream | null = null;
    let firstError: unknown;
    for (const constraints of [{ video, audio }, { audio }, { video }]) {
      try {
        stream = await navigator.mediaDevices.getUserMedia(constraints);
        break;
      } catch (err) {
        firstError ??= err;
        const name = (err as DOMException).name;
        if (name === 'NotAllowedError' || name === 'SecurityError') break; // refused: asking again will not help
      }
    }
    if (stream === null) {
      this.error = `Camera and microphone unavailable: ${(firstError as Error).message}`;
      this.emit('change');
      throw firstError;
    }
    this.stopTracks();
    this.stream = stream;
    this.error =
      stream.getVideoTracks().length === 0 ? 'No camera: others hear you but do not see you.' : stream.getAudioTracks().length === 0 ? 'No microphone: others see you but do not hear you.' : null;
    this.emit('change');
    return stream;
  }

  /** Switches camera and/or microphone (restarts capture with the new devices). */
  async selectDevices(ids: { cameraId?: string; microphoneId?: string }): Promise<void> {
    this.options = { ...this.options, ...ids };
    await this.start();
  }

  stop(): void {
    this.stopTracks();
    this.stream = null;
    this.emit('change');
  }

  private stopTracks(): void {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
  }
}
