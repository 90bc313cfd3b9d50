import { useEffect, useId, useRef, type ReactNode, type InputHTMLAttributes } from 'react';
import { humanMessage } from './messages';

export function ErrorMessage({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="error" role="alert">
      {humanMessage(error)}
    </p>
  );
}

export function StatusMessage({ children }: { children: ReactNode }) {
  return (
    <p className="status" role="status">
      {children}
    </p>
  );
}

type FieldProps = InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: string };

export function Field({ label, hint, ...input }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={hint ? hintId : undefined} {...input} />
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

export function Checkbox({ label, checked, onChange, hint, disabled, busy }: {
  label: string;
  checked: boolean;
  onChange(v: boolean): void;
  hint?: string;
  /** No changes accepted (a change is being saved). */
  disabled?: boolean;
  /** This box's change is being saved. */
  busy?: boolean;
}) {
  const id = useId();
  return (
    <div className="checkbox">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        disabled={disabled}
        aria-busy={busy || undefined}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <label htmlFor={id}>{label}</label>
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/**
 * A card with its heading; the first on a screen is the `h1`, the others `h2`.
 * `announce`: the screen replaced another (lobby → meeting): focus moves to its title,
 * so keyboard and screen-reader users land on the new screen, not on a vanished button.
 */
export function Page({ title, children, wide, level = 1, announce }: { title: string; children: ReactNode; wide?: boolean; level?: 1 | 2; announce?: boolean }) {
  const id = useId();
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (announce) ref.current?.focus();
  }, [announce]);
  const Heading = level === 1 ? 'h1' : 'h2';
  return (
    <section className={wide ? 'page wide' : 'page'} aria-labelledby={id}>
      <Heading id={id} ref={ref} tabIndex={announce ? -1 : undefined} className={level === 2 ? 'card-title' : undefined}>
        {title}
      </Heading>
      {children}
    </section>
  );
}
