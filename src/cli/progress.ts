/** How long an operation may take before a progress line appears (people notice after ~1 s). */
const SHOW_AFTER_MS = 1000;
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface TtyStream {
  isTTY?: boolean;
  write(text: string): boolean;
}

/**
 * Runs `work`, showing `⠋ label…` on stderr if it takes longer than a second. Only when stderr
 * is a terminal: scripts and pipes never see control characters.
 */
export async function withProgress<T>(label: string, work: () => Promise<T>, stream: TtyStream = process.stderr): Promise<T> {
  if (!stream.isTTY) return work();
  let frame = 0;
  let shown = false;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const start = setTimeout(() => {
    shown = true;
    ticker = setInterval(() => {
      stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label}…`);
    }, 80);
    ticker.unref?.();
  }, SHOW_AFTER_MS);
  start.unref?.();
  try {
    return await work();
  } finally {
    clearTimeout(start);
    if (ticker) clearInterval(ticker);
    if (shown) stream.write('\r\x1b[K');
  }
}
