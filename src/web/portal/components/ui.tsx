import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { PagedEnvelope } from '../../../api/cloudapi/wire.ts';
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
 * behind is inert. Render it only while open; unmounting closes it and gives focus back to the
 * control that opened it, unless `returnFocus()` names another element (a revoked token's row and
 * its ⋮ button are about to go). The browser's own focus restoration does not happen here: React
 * removes the element before the effect cleanup closes it, which would leave keyboard users on <body>.
 */
export function Dialog({ title, onClose, children, className, returnFocus }: {
  title: string; onClose: () => void; children: ReactNode; className?: string; returnFocus?: () => HTMLElement | null | undefined;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const fallback = useRef(returnFocus);
  fallback.current = returnFocus;
  const requestClose = useRef(onClose);
  requestClose.current = onClose;
  const live = useRef(false);
  useEffect(() => {
    live.current = true;
    const d = ref.current;
    const opener = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
    if (d && !d.open) d.showModal();
    return () => {
      live.current = false;
      d?.close();
      const target = fallback.current?.() ?? (opener?.isConnected ? opener : null);
      target?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref} aria-labelledby={titleId} className={className}
      // Closing is the owner's decision (the New API token dialog refuses while the token is being
      // minted). Escape is handled on keydown: Chromium force-closes a modal dialog on a repeated
      // Escape whose `cancel` was prevented (its close-watcher rule), but not one whose keydown was.
      onKeyDown={(e) => { if (e.key === 'Escape') { e.preventDefault(); onClose(); } }}
      onCancel={(e) => { e.preventDefault(); onClose(); }}
      onClose={() => {
        // Any other close by the browser while still rendered: ask the owner, and keep the dialog
        // up; if the owner agrees, unmounting closes it again a moment later.
        const d = ref.current;
        if (!live.current || !d || d.open || !d.isConnected) return;
        requestClose.current();
        d.showModal();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/** "Are you sure?" with a clearly named confirming button. */
export function ConfirmDialog(props: {
  title: string; confirmLabel: string; onConfirm: () => Promise<unknown>; onClose: () => void; children: ReactNode;
  returnFocus?: () => HTMLElement | null | undefined;
}) {
  const action = useAction();
  return (
    <Dialog title={props.title} onClose={props.onClose} {...(props.returnFocus ? { returnFocus: props.returnFocus } : {})}>
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
              <button type="button" role="menuitem" onClick={() => {
                setOpen(false);
                // Focus goes back to the ⋮ button first, so a dialog opened by the item returns
                // focus there when it closes (the menu item itself is about to disappear).
                button.current?.focus();
                item.onSelect();
              }}>{item.label}</button>
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

/** Previous / next for a CloudAPI paged list, with where the person is and how many there are. */
export function Pager({ label, page, envelope, noun, onPage }: {
  label: string; page: number; envelope: PagedEnvelope<unknown>; noun: readonly [one: string, many: string]; onPage: (page: number) => void;
}) {
  const pages = Math.max(envelope.pageCount, 1);
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>Previous</button>
      <span>Page {envelope.page} of {pages} · {envelope.resultTotal} {envelope.resultTotal === 1 ? noun[0] : noun[1]}</span>
      <button type="button" disabled={page >= envelope.pageCount} onClick={() => onPage(page + 1)}>Next</button>
    </nav>
  );
}
