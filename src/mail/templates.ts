/** Values a template may use; null and undefined render as an empty string. */
export type TemplateContext = Readonly<Record<string, string | null | undefined>>;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Renders wazo-style `{{ name }}` placeholders; nothing else of Jinja is supported, on purpose:
 * templates come from configuration and must not be able to run code. Unknown names render empty.
 */
export function renderTemplate(template: string, context: TemplateContext): string {
  return template.replace(PLACEHOLDER, (_, name: string) => context[name] ?? '');
}

/** A subject is one header line: line breaks from user data (a username) are folded into spaces. */
export function renderSubject(template: string, context: TemplateContext): string {
  return renderTemplate(template, context)
    .replace(/[\r\n]+/g, ' ')
    .trim();
}
