/**
 * The report's Markdown templates (page.md, methods.md beside this file): `{{name}}` is a value,
 * `{{#name}}…{{/name}}` is kept when the value is set (not undefined, 0, false or ''),
 * `{{^name}}…{{/name}}` when it is not; `<!-- … -->` comments are dropped. A placeholder with no
 * value prints as `{{name?}}` and is reported, so a typo shows without costing the table.
 */
import { readFileSync } from 'node:fs';
import { log } from '../support/log.js';

export function readTemplate(name: string): string {
  return readFileSync(new URL(name, import.meta.url), 'utf8').replace(/<!--[\s\S]*?-->\n*/g, '');
}

const isSet = (value: unknown): boolean =>
  value !== undefined &&
  value !== null &&
  value !== false &&
  value !== 0 &&
  value !== '' &&
  !Number.isNaN(value);

/** `template` with its sections and placeholders filled from `values`; `where` names it in warnings. */
export function fill(template: string, values: Record<string, unknown>, where: string): string {
  const sections = template.replace(
    /\{\{([#^])(\w+)\}\}([\s\S]*?)\{\{\/\2\}\}/g,
    (_match, kind: string, name: string, body: string) =>
      (kind === '#') === isSet(values[name]) ? fill(body, values, where) : '',
  );
  return sections.replace(/\{\{(\w+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined || value === null) {
      log(`report: ${where} has no value for {{${name}}}`);
      return `{{${name}?}}`;
    }
    if (typeof value === 'string') return value;
    return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  });
}

/** methods.md cut into its `## <id>` sections. */
export function readSections(name: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = readTemplate(name).split(/^## (\S+)[ \t]*\n/m);
  for (let i = 1; i < parts.length; i += 2) sections.set(parts[i]!, parts[i + 1]!.trim());
  return sections;
}
