import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { describeError } from '../api.ts';

/** Loads data for a page; `reload` fetches again after a change. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then((value) => current && (setData(value), setError(undefined)))
      .catch((failure: unknown) => current && setError(failure))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  return { data, error, loading, reload: useCallback(() => setGeneration((value) => value + 1), []) };
}

/** Runs an action, tracking its pending state and error for the form that triggered it. */
export function useAction(): { pending: boolean; error: unknown; run: (action: () => Promise<void>) => Promise<void>; clear: () => void } {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async (action: () => Promise<void>) => {
    setPending(true);
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(false);
    }
  }, []);
  return { pending, error, run, clear: useCallback(() => setError(undefined), []) };
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p className="message error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <p className="message success" role="status">
      {children}
    </p>
  );
}

export function Loading() {
  return <p className="muted">Loading…</p>;
}

export function Field({ label, hint, children }: { label: string; hint?: ReactNode; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint ? <small className="muted">{hint}</small> : null}
    </div>
  );
}

/** A secret the server shows only once: displayed with a copy button and a warning. */
export function OneTimeSecret({ title, rows, note }: { title: string; rows: { label: string; value: string }[]; note: ReactNode }) {
  return (
    <section className="secret" aria-label={title}>
      <h3>{title}</h3>
      <p className="muted">{note}</p>
      <dl>
        {rows.map((row) => (
          <div key={row.label} className="secret-row">
            <dt>{row.label}</dt>
            <dd>
              <code aria-label={row.label}>{row.value}</code>
              <CopyButton value={row.value} label={`Copy ${row.label.toLowerCase()}`} />
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard
      ?.writeText(value)
      .then(() => setCopied(true))
      .catch(() => setCopied(false));
  };
  return (
    <button type="button" className="small" aria-label={label} onClick={copy}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

/** A button that asks in a modal dialog before doing something that can't be undone. */
export function ConfirmButton({
  label,
  title,
  children,
  confirmLabel,
  onConfirm,
  danger = false,
  className,
  disabled = false,
  describedBy,
}: {
  label: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  danger?: boolean;
  className?: string;
  /** The action can't be taken now: the button stays, greyed, with the reason it points to (describedBy). */
  disabled?: boolean;
  describedBy?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const action = useAction();
  const titleId = useId();
  const confirm = () =>
    action.run(async () => {
      await onConfirm();
      dialog.current?.close();
    });
  return (
    <>
      <button type="button" className={className ?? (danger ? 'danger' : undefined)} disabled={disabled} aria-describedby={describedBy} onClick={() => dialog.current?.showModal()}>
        {label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId} onClose={action.clear}>
        <h2 id={titleId}>{title}</h2>
        <div>{children}</div>
        <ErrorMessage error={action.error} />
        <div className="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" className={danger ? 'danger' : 'primary'} disabled={action.pending} onClick={confirm}>
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A date and time, e.g. "2 Dec 2026, 15:03": it may break between the date and the time, never inside either (narrow table cells). */
export function formatTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const unbroken = (text: string) => text.replace(/\s/g, '\u00a0');
  return `${unbroken(date.toLocaleDateString(undefined, { dateStyle: 'medium' }))}, ${unbroken(date.toLocaleTimeString(undefined, { timeStyle: 'short' }))}`;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}

/** Cursor pagination: remembers the cursors behind the current page so "Previous" works. */
export function usePages(): { cursor: string | undefined; pageNumber: number; next: (cursor: string) => void; previous: () => void; reset: () => void } {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: stack.at(-1),
    pageNumber: stack.length,
    next: (cursor) => setStack((current) => [...current, cursor]),
    previous: () => setStack((current) => (current.length > 1 ? current.slice(0, -1) : current)),
    reset: () => setStack([undefined]),
  };
}

export function Pager({ pageNumber, nextCursor, onNext, onPrevious }: { pageNumber: number; nextCursor: string | null | undefined; onNext: (cursor: string) => void; onPrevious: () => void }) {
  return (
    <nav className="pager" aria-label="Pagination">
      <button type="button" disabled={pageNumber <= 1} onClick={onPrevious}>
        Previous page
      </button>
      <span className="muted">Page {pageNumber}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && onNext(nextCursor)}>
        Next page
      </button>
    </nav>
  );
}
