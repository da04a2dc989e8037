/** Escaping for the two output formats, in one place so every renderer agrees. */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * Escapes running text for GitHub-flavoured Markdown. Underscores inside words (`byte_order`) stay as
 * they are, since GFM never reads them as emphasis; only those that could open or close emphasis are
 * escaped, so the Markdown source stays readable.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*[\]<>|]/g, (c) => `\\${c}`)
    .replace(/^#/, "\\#")
    .replace(/_/g, (c, i: number, s: string) => (/[A-Za-z0-9]/.test(s[i - 1] ?? "") && /[A-Za-z0-9]/.test(s[i + 1] ?? "") ? c : `\\${c}`));
}

/** A Markdown code span that survives backticks inside it. */
export function markdownCode(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}
