/** See compiled-entry.js: the compiled entry's file URL when `dir` (default root/dist/server) matches the sources under `root`, else null. */
export function compiledEntry(root: string, dir?: string): string | null;
