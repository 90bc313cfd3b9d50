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
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: {
          width: { ideal: o.width },
          height: { ideal: o.height },
          frameRate: { ideal: o.frameRate },
          ...(o.cameraId ? { deviceId: { exact: o.cameraId } } : {}),
        },
        audio: {
          echoCancellation: true,
          noiseSuppression: true,
          ...(o.microphoneId ? { deviceId: { exact: o.microphoneId } } : {}),
        },
      });
      this.stopTracks();
      this.stream = stream;
      this.error = null;
    } catch (err) {
      this.error = `Camera or microphone unavailable: ${(err as Error).message}`;
      this.emit('change');
      throw err;
    }
    this.emit('change');
    return this.stream;
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
