import { LocalMedia } from 'media-client';

let shared: LocalMedia | undefined;

/**
 * The camera and microphone of this tab: one instance, so the pre-join preview and the call
 * use the same capture (and the devices picked before joining).
 */
export function sharedLocalMedia(): LocalMedia {
  shared ??= new LocalMedia({ width: 640, height: 360, frameRate: 15 });
  return shared;
}
