import { useEffect, useRef } from 'react';

/** The local camera, mirrored, never heard (muted). */
export function SelfView({ stream, label }: { stream: MediaStream | null; label: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (ref.current !== null) ref.current.srcObject = stream;
  }, [stream]);
  return (
    <figure className="tile self">
      <video ref={ref} autoPlay muted playsInline aria-label={label} data-testid="self-view" />
      <figcaption>{label}</figcaption>
    </figure>
  );
}
