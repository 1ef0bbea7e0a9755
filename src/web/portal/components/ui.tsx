import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { ApiError } from '../api.ts';

/** Loads data on mount and whenever `deps` change; `reload()` fetches again. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Runs an action, remembering its error for display; returns whether it succeeded. */
export function useAction() {
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(e as Error);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { error, busy, run, clear: () => setError(null) };
}

export function ErrorMessage({ error }: { error: Error | null | undefined }) {
  if (!error) return null;
  const text = error instanceof ApiError && error.code === 'ACCESS_TO_RESOURCE_IS_FORBIDDEN'
    ? `You are not allowed to do this. ${error.message}`
    : error.message;
  return <p className="error" role="alert">{text}</p>;
}

export function Loading() {
  return <p className="muted" aria-live="polite">Loading…</p>;
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return 'Never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/**
 * A modal dialog on the native <dialog> element: focus moves into it, Escape closes it, the page
 * behind is inert. Render it only while open; unmounting closes it.
 */
export function Dialog({ title, onClose, children, className }: { title: string; onClose: () => void; children: ReactNode; className?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} className={className} onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/** "Are you sure?" with a clearly named confirming button. */
export function ConfirmDialog(props: {
  title: string; confirmLabel: string; onConfirm: () => Promise<unknown>; onClose: () => void; children: ReactNode;
}) {
  const action = useAction();
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <div className="dialog-body">{props.children}</div>
      <ErrorMessage error={action.error} />
      <div className="actions">
        <button type="button" onClick={props.onClose}>Cancel</button>
        <button
          type="button" className="danger" disabled={action.busy}
          onClick={async () => { if (await action.run(props.onConfirm)) props.onClose(); }}
        >{props.confirmLabel}</button>
      </div>
    </Dialog>
  );
}

/** The ⋮ menu of a table row (or the user menu): a button that opens a small keyboard-navigable menu. */
export function KebabMenu({ label, items, buttonText }: { label: string; items: { label: string; onSelect: () => void }[]; buttonText?: string }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLUListElement>(null);
  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLButtonElement>('[role=menuitem]')?.focus();
    const onDown = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && e.target !== button.current) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open]);
  const onKeyDown = (e: KeyboardEvent) => {
    const entries = Array.from(menu.current?.querySelectorAll<HTMLButtonElement>('[role=menuitem]') ?? []);
    const at = entries.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape' || e.key === 'Tab') {
      setOpen(false);
      if (e.key === 'Escape') button.current?.focus();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      entries[(at + 1) % entries.length]?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      entries[(at - 1 + entries.length) % entries.length]?.focus();
    }
  };
  return (
    <div className="kebab">
      <button
        ref={button} type="button" className={buttonText ? 'menu-button' : 'icon'} aria-label={label} aria-haspopup="menu"
        aria-expanded={open} onClick={() => setOpen(!open)}
      >{buttonText ?? '⋮'}</button>
      {open && (
        <ul role="menu" ref={menu} aria-label={label} onKeyDown={onKeyDown}>
          {items.map((item) => (
            <li role="none" key={item.label}>
              <button type="button" role="menuitem" onClick={() => { setOpen(false); item.onSelect(); }}>{item.label}</button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A labelled form field: `<label for>` plus the control (issue 4: every control is labelled). */
export function Field({ label, children, hint }: { label: string; hint?: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <small className="muted">{hint}</small>}
    </div>
  );
}
