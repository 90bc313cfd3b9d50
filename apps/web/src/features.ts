/**
 * Which optional parts of the API this server has, read once from its OpenAPI
 * document: the app shows the controls that exist and hides the rest.
 */
let document: Promise<Record<string, unknown> | null> | undefined;

function openApi(): Promise<Record<string, unknown> | null> {
  document ??= fetch('/openapi.json', { headers: { accept: 'application/json' } })
    .then((res) => (res.ok ? (res.json() as Promise<Record<string, unknown>>) : null))
    .catch(() => null);
  return document;
}

/** The body properties `POST /api/v1/meetings` accepts (settings from the meeting controls show up here). */
export async function createMeetingFields(): Promise<Set<string>> {
  const doc = (await openApi()) as {
    paths?: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } } }>;
  } | null;
  const props = doc?.paths?.['/api/v1/meetings']?.post?.requestBody?.content?.['application/json']?.schema?.properties;
  return new Set(Object.keys(props ?? {}));
}
