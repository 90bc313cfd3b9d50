import { createContext, useCallback, useContext, useEffect, useId, useRef, useState, type ReactNode } from 'react';

export interface ConfirmOptions {
  title: string;
  body?: string;
  /** The button that does it, named after the action ("End for everyone", "Ban"). */
  confirmLabel: string;
  /** Destructive (red button); the default. */
  danger?: boolean;
}

type Ask = (options: ConfirmOptions) => Promise<boolean>;

const ConfirmContext = createContext<Ask>(() => Promise.resolve(false));

/**
 * One confirmation dialog for every destructive action of the app (end for everyone,
 * leave and end, remove, ban, delete, make host): a modal `<dialog>`, Cancel focused first,
 * Escape cancels.
 */
export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<{ options: ConfirmOptions; resolve(ok: boolean): void } | null>(null);
  const ask = useCallback<Ask>(
    (options) =>
      new Promise<boolean>((resolve) => {
        setPending((previous) => {
          previous?.resolve(false);
          return { options, resolve };
        });
      }),
    [],
  );
  const close = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };
  return (
    <ConfirmContext.Provider value={ask}>
      {children}
      {pending && <ConfirmDialog options={pending.options} onClose={close} />}
    </ConfirmContext.Provider>
  );
}

export function useConfirm(): Ask {
  return useContext(ConfirmContext);
}

function ConfirmDialog({ options, onClose }: { options: ConfirmOptions; onClose(ok: boolean): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    cancelRef.current?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="confirm-dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={options.body ? `${id}-body` : undefined}
      onCancel={(e) => {
        e.preventDefault();
        onClose(false);
      }}
    >
      <h2 id={`${id}-title`}>{options.title}</h2>
      {options.body && <p id={`${id}-body`}>{options.body}</p>}
      <div className="row dialog-actions">
        <button ref={cancelRef} type="button" className="secondary" onClick={() => onClose(false)}>
          Cancel
        </button>
        <button type="button" className={options.danger === false ? undefined : 'danger'} onClick={() => onClose(true)}>
          {options.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
