import { existsSync, mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CHROMIUM, launchChromium, watchProblems } from "../chromium.js";
import { describe, expect, it } from "vitest";

/**
 * Opens the committed site from disk in headless Chromium (Debian's package; `.ci/run` installs it),
 * follows the navigation to a section page and to a library's page, and checks what a reader sees. Never skipped: without a
 * browser the test fails and says how to install one.
 */

const SCREENSHOT = "test-output/docs-site-vcpu_context.png";
const LIBRARY_SCREENSHOT = "test-output/docs-site-library.png";

describe("the docs site in a browser", () => {
  it("opens from disk, navigates to a section page and to a library's page with their diagrams and field tables, and logs no errors", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const browser = await launchChromium({ width: 1280, height: 900 });
    const problems: string[] = [];
    try {
      const page = await browser.context.newPage();
      watchProblems(page, problems);

      await page.goto(pathToFileURL(resolve("docs/site/index.html")).href);
      expect(await page.locator("h1").textContent()).toContain("xenimage format");
      // The stylesheet loaded from disk: the sidebar is laid out beside the content.
      expect(await page.locator("nav.sidebar").evaluate((n) => getComputedStyle(n).position)).toBe("sticky");

      await page.locator("nav.sidebar a", { hasText: /^vcpu_context$/ }).click();
      await page.waitForURL(/\/sections\/vcpu_context\.html$/);
      expect(await page.locator("h1").textContent()).toMatch(/^Section vcpu_context \(0x[0-9a-f]+\)$/);
      expect(await page.locator('nav.sidebar a[aria-current="page"]').textContent()).toBe("vcpu_context");

      const diagram = page.locator("table.octets").first();
      await expect.poll(() => diagram.isVisible()).toBe(true);
      expect(await diagram.locator("thead th").allTextContents()).toEqual(["offset", "0", "1", "2", "3", "4", "5", "6", "7"]);
      expect(await diagram.locator("tbody tr").count()).toBeGreaterThan(3);
      const table = page.locator("table.fields").first();
      expect(await table.isVisible()).toBe(true);
      expect(await table.locator("thead th").allTextContents()).toEqual(["Offset", "Size", "Field", "Type", "Byte order", "Units", "Values", "Meaning"]);
      expect(await table.locator("tbody tr").count()).toBeGreaterThan(3);

      // A diagram cell links to its row in the field table.
      const cell = diagram.locator("tbody a").first();
      const target = (await cell.getAttribute("href"))!;
      await cell.click();
      expect(new URL(page.url()).hash).toBe(target);
      expect(await page.locator(`tr${target}`).count()).toBe(1);

      await diagram.scrollIntoViewIfNeeded();
      mkdirSync("test-output", { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: false });
      expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);

      // The other formats: the navigation's last group leads to a library's schema file page, two folders
      // down, drawn with the same stylesheet, diagrams and field tables.
      expect(await page.locator("nav.sidebar h2").last().textContent()).toBe("Other formats");
      const file = page.locator("nav.sidebar li.sub a").first();
      const label = (await file.textContent())!;
      await file.click();
      await page.waitForURL(/\/formats\/[^/]+\/[^/]+\.html$/);
      expect(await page.locator('nav.sidebar a[aria-current="page"]').textContent()).toBe(label);
      expect(await page.locator("h1").textContent()).toContain(label);
      expect(await page.locator("nav.sidebar").evaluate((n) => getComputedStyle(n).position)).toBe("sticky");
      const libraryDiagram = page.locator("table.octets").first();
      await expect.poll(() => libraryDiagram.isVisible()).toBe(true);
      expect(await libraryDiagram.locator("thead th").allTextContents()).toEqual(["offset", "0", "1", "2", "3", "4", "5", "6", "7"]);
      expect(await page.locator("table.fields").first().locator("thead th").allTextContents()).toEqual(["Offset", "Size", "Field", "Type", "Byte order", "Units", "Values", "Meaning"]);
      await libraryDiagram.scrollIntoViewIfNeeded();
      await page.screenshot({ path: LIBRARY_SCREENSHOT, fullPage: false });
      expect(statSync(LIBRARY_SCREENSHOT).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
    expect(problems).toEqual([]);
  });
});
