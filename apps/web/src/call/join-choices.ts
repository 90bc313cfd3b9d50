/**
 * What the person chose before joining (microphone and camera on or off): the pre-join screen
 * writes it, the call starts with it. One tab, one person: a module is enough.
 */
export const joinChoices = { audio: true, video: true };

/** Applies the choices to the capture (a disabled track sends silence / black and shows no picture). */
export function applyChoices(stream: MediaStream | null): void {
  for (const t of stream?.getAudioTracks() ?? []) t.enabled = joinChoices.audio;
  for (const t of stream?.getVideoTracks() ?? []) t.enabled = joinChoices.video;
}
