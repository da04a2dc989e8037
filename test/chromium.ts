/**
 * Debian's Chromium for the browser tests and the inspector's bench, started as this closed network
 * needs it (without these flags it stalls on QUIC, first-run, background networking, component updates
 * and sync), each launch with a fresh profile folder that closing removes.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Where Debian's package puts it (`apt-get install -y chromium`; scripts/test-tools.sh installs it). */
export const CHROMIUM = "/usr/bin/chromium";

const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A running Chromium: its browser context, and `close()`, which also removes the profile folder. */
export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Starts headless Chromium; a missing binary is an error that says how to install it, never a skip. */
export async function launchChromium(viewport?: { readonly width: number; readonly height: number }): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  // playwright wants the profile folder as an argument of its own rather than --user-data-dir.
  const profile = mkdtempSync(join(tmpdir(), "xenimage-chromium-"));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, ...(viewport === undefined ? {} : { viewport }) });
    return {
      context,
      async close() {
        try {
          await context.close();
        } finally {
          removeProfile();
        }
      },
    };
  } catch (e) {
    removeProfile();
    throw e;
  }
}

/** Collects into `problems` what a page of ours must never do: console errors and warnings, page errors, failed or off-disk requests. */
export function watchProblems(page: Page, problems: string[]): void {
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) problems.push(`network request: ${r.url()}`);
  });
}
