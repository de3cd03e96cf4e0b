/**
 * Recognizes the classic probes for injection flaws in request input — SQL tautologies and stacked
 * queries, script tags and event handlers, JNDI lookups, path traversal, template and command
 * injection — so they count as suspicious activity in the tenant's security metrics. It never
 * blocks a request: validation and parameterized storage are what keep such input harmless, and an
 * analyst pasting a phishing page into an enrichment request must still be served.
 */
const probes: readonly [name: string, pattern: RegExp][] = [
  [
    'sql',
    /'\s*(?:or|and)\s+'?\d+'?\s*=\s*'?\d+|;\s*(?:drop|delete|insert|update|truncate)\s+\w+|\bunion\s+(?:all\s+)?select\b/i,
  ],
  ['script', /<script\b|\bon(?:error|load|mouseover)\s*=|javascript:/i],
  ['jndi', /\$\{\s*jndi\s*:/i],
  ['traversal', /(?:\.\.[/\\]){2,}|%2e%2e%2f/i],
  ['template', /\{\{\s*[^}]*(?:constructor|__proto__|config|self)\b/i],
  ['command', /(?:;|\|\||&&|`|\$\()\s*(?:cat|curl|wget|nc|bash|sh|powershell)\b/i],
];

/** Longest input scanned per string; probes are short, so the start of a long value is enough. */
const maxScanLength = 4096;

/** The kinds of probe found in any string within `value` (objects and arrays walked, depth-limited). */
export function injectionProbes(value: unknown, depth = 0): string[] {
  const found = new Set<string>();
  const visit = (node: unknown, level: number) => {
    if (level > 6 || found.size === probes.length) return;
    if (typeof node === 'string') {
      const text = node.length > maxScanLength ? node.slice(0, maxScanLength) : node;
      for (const [name, pattern] of probes) if (pattern.test(text)) found.add(name);
    } else if (Array.isArray(node)) {
      for (const item of node.slice(0, 100)) visit(item, level + 1);
    } else if (node && typeof node === 'object') {
      for (const [key, item] of Object.entries(node).slice(0, 100)) {
        visit(key, level + 1);
        visit(item, level + 1);
      }
    }
  };
  visit(value, depth);
  return [...found].sort();
}
