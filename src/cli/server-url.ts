/**
 * The server's base URL as the CLI and SDK want it: without a trailing slash, and without the
 * `/api` or `/cloudapi` people copy from the Go SDK's and Terraform's `url` setting
 * (`https://vcd.example.net/api`), which would otherwise make every path `/api/api/…`. A proxy
 * prefix before it stays (`https://example.net/vcd/api` → `https://example.net/vcd`).
 */
export function normalizeServerUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/(api|cloudapi)$/i, '').replace(/\/+$/, '');
}
