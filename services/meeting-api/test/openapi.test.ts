/**
 * The served `/openapi.json` as generators and linters read it: every operation named
 * (`operationId`), placed (`tags`) and secured (`security`), every example valid against its
 * own schema, the event and webhook payloads as schemas, and meeting-client's operation
 * names the document's. Routes added later are checked the same way, as they appear.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020';
import { MEETING_API_OPERATIONS } from 'meeting-client';
import { MEETING_EVENT_TYPES } from 'meeting-types';
import { eventComponentName, OPERATION_DOCS } from '../src/docs/openapi-docs';
import { startTestApp, type TestApp } from './helpers';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const PUBLIC_URL = 'https://meet.example.org/video';

let t: TestApp;
let doc: Json;
before(async () => {
  t = await startTestApp({ config: { publicUrl: PUBLIC_URL } });
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  doc = res.json() as Json;
});
after(() => t.close());

function operations(d: Json = doc): Array<{ key: string; op: Json }> {
  const out: Array<{ key: string; op: Json }> = [];
  for (const [path, item] of Object.entries(d.paths as Json)) {
    for (const method of METHODS) if (item[method]) out.push({ key: `${method.toUpperCase()} ${path}`, op: item[method] });
  }
  for (const [name, item] of Object.entries((d.webhooks ?? {}) as Json)) {
    for (const method of METHODS) if (item[method]) out.push({ key: `webhook ${name} ${method.toUpperCase()}`, op: item[method] });
  }
  return out;
}

/** The schema with every local `$ref` replaced by what it points at (the document has no cycles). */
function resolve(schema: unknown, d: Json, depth = 0): any {
  assert.ok(depth < 50, 'a $ref cycle');
  if (Array.isArray(schema)) return schema.map((s) => resolve(s, d, depth + 1));
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Json;
  if (typeof s.$ref === 'string') {
    assert.match(s.$ref, /^#\//, `only local references: ${s.$ref}`);
    const target = s.$ref.slice(2).split('/').reduce((node: any, part: string) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], d);
    assert.ok(target !== undefined, `${s.$ref} resolves`);
    return resolve(target, d, depth + 1);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'discriminator' || k === 'example' || k === 'xml' || k === 'externalDocs') continue; // OpenAPI-only keywords
    out[k] = k === 'examples' && Array.isArray(v) ? v : resolve(v, d, depth + 1);
  }
  return out;
}

/**
 * Every example of the document against the schema beside it (request and response bodies,
 * named examples, parameters, schemas' own `examples`): one line per mismatch.
 */
function invalidExamples(d: Json): string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const problems: string[] = [];
  const check = (where: string, schema: unknown, value: unknown) => {
    const validate = ajv.compile(resolve(schema, d));
    if (!validate(value)) problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
  };
  const checkMedia = (where: string, media: Json) => {
    if (media.schema === undefined) return;
    if (media.example !== undefined) check(`${where} example`, media.schema, media.example);
    for (const [name, ex] of Object.entries((media.examples ?? {}) as Json)) check(`${where} examples.${name}`, media.schema, ex.value);
  };
  const walkSchemaExamples = (where: string, schema: unknown) => {
    if (typeof schema !== 'object' || schema === null) return;
    const s = schema as Json;
    if (Array.isArray(s.examples)) s.examples.forEach((ex: unknown, i: number) => check(`${where} examples[${i}]`, s, ex));
    for (const [k, v] of Object.entries(s)) if (k !== 'examples' && typeof v === 'object') walkSchemaExamples(`${where}/${k}`, v);
  };
  for (const { key, op } of operations(d)) {
    for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Json)) checkMedia(`${key} request ${type}`, media);
    for (const [code, response] of Object.entries((op.responses ?? {}) as Json)) {
      for (const [type, media] of Object.entries((response.content ?? {}) as Json)) checkMedia(`${key} ${code} ${type}`, media);
      for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
        if (header.example !== undefined && header.schema) check(`${key} ${code} header ${name}`, header.schema, header.example);
      }
    }
    for (const p of (op.parameters ?? []) as Json[]) if (p.example !== undefined && p.schema) check(`${key} parameter ${p.name}`, p.schema, p.example);
  }
  walkSchemaExamples('#/components/schemas', d.components?.schemas);
  return problems;
}

describe('every operation, including routes added later', () => {
  test('has a unique camelCase operationId, tags declared at the top, and a security requirement of declared schemes', () => {
    const declaredTags = new Set((doc.tags as Json[]).map((tag) => tag.name));
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    const ids = new Map<string, string>();
    const all = operations();
    assert.ok(all.length >= 33, `the document lists the routes (${all.length})`);
    for (const { key, op } of all) {
      assert.match(String(op.operationId), /^[a-z][A-Za-z0-9]*$/, `${key} has a camelCase operationId`);
      assert.ok(!ids.has(op.operationId), `${key}: operationId ${op.operationId} is also ${ids.get(op.operationId)}`);
      ids.set(op.operationId, key);
      assert.ok(Array.isArray(op.tags) && op.tags.length > 0, `${key} has tags`);
      for (const tag of op.tags) assert.ok(declaredTags.has(tag), `${key}: tag "${tag}" is declared in the document's tags`);
      assert.ok(Array.isArray(op.security), `${key} declares its security (an empty list when public)`);
      for (const requirement of op.security as Json[]) {
        for (const name of Object.keys(requirement)) assert.ok(schemes.has(name), `${key}: security scheme ${name} is declared`);
      }
    }
    // The table of summaries and examples agrees with the routes about their area.
    for (const [key, docs] of Object.entries(OPERATION_DOCS)) {
      const entry = all.find((o) => o.key === key);
      assert.ok(entry, `${key} is in the document`);
      assert.ok(entry.op.tags.includes(docs.tag), `${key}: the route's tags ${JSON.stringify(entry.op.tags)} include "${docs.tag}"`);
    }
  });

  test('public routes say so (empty security); meeting routes take a session or the development email cookie', () => {
    const byId = new Map(operations().map(({ op }) => [op.operationId as string, op]));
    for (const id of ['getHealth', 'getReadiness', 'getVersion', 'startLogin', 'finishLogin', 'devLogin', 'createGuestSession', 'getClientConfig']) {
      assert.deepEqual(byId.get(id)?.security, [], `${id} is public`);
    }
    // Metrics: the operator's token (open only in development without one).
    assert.deepEqual(byId.get('getMetrics')?.security, [{ metricsToken: [] }]);
    for (const id of ['listMeetings', 'createMeeting', 'joinMeeting', 'admitParticipant', 'streamMeetingEvents', 'getSession']) {
      const names = (byId.get(id)!.security as Json[]).flatMap((r) => Object.keys(r));
      for (const scheme of ['sessionCookie', 'bearerSession', 'emailCookie']) assert.ok(names.includes(scheme), `${id} accepts ${scheme}`);
    }
    assert.match(doc.components.securitySchemes.emailCookie.description, /[Dd]evelopment only/);
    assert.deepEqual(
      { type: doc.components.securitySchemes.apiKey.type, scheme: doc.components.securitySchemes.apiKey.scheme },
      { type: 'http', scheme: 'bearer' },
    );
  });

  test('the server is PUBLIC_URL, and the document says its version, license and OpenAPI 3.1', () => {
    assert.deepEqual(doc.servers.map((s: Json) => s.url), [PUBLIC_URL]);
    assert.match(doc.openapi, /^3\.1\./);
    assert.ok(doc.info.license?.name && (doc.info.license.identifier || doc.info.license.url));
  });
});

describe('examples', () => {
  test('every example in the document is valid against its own schema', () => {
    assert.deepEqual(invalidExamples(doc), []);
  });

  test('a wrong example is caught (the check can fail)', () => {
    const broken = structuredClone(doc);
    const stream = broken.paths['/api/v1/meetings/{meeting_id}/events'].get.responses['200'].content['text/event-stream'];
    stream.examples['participant.waiting'].value.seq = 0;
    const join = broken.paths['/api/v1/meetings/{meeting_id}/join'].post.responses['200'].content['application/json'];
    join.example.result.status = 'dancing';
    const problems = invalidExamples(broken);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems.join('\n'), /participant\.waiting/);
    assert.match(problems.join('\n'), /join/);
  });
});

describe('events and webhooks', () => {
  test('each event type is a schema of its own, MeetingEvent is one of them by type, and each has an example', () => {
    const schemas = doc.components.schemas as Json;
    const members = (schemas.MeetingEvent.oneOf as Json[]).map((m) => m.$ref);
    assert.deepEqual(members, MEETING_EVENT_TYPES.map((type) => `#/components/schemas/${eventComponentName(type)}`));
    assert.equal(schemas.MeetingEvent.discriminator.propertyName, 'type');
    const stream = doc.paths['/api/v1/meetings/{meeting_id}/events'].get.responses['200'].content['text/event-stream'];
    assert.deepEqual(stream.schema, { $ref: '#/components/schemas/MeetingEvent' });
    assert.deepEqual(Object.keys(stream.examples).sort(), [...MEETING_EVENT_TYPES].sort());
  });

  test('the webhook payload is {type, timestamp, data} with data the event as the stream carries it', () => {
    const hook = doc.webhooks.meetingEvent.post;
    const media = hook.requestBody.content['application/json'];
    assert.deepEqual(media.schema, { $ref: '#/components/schemas/WebhookPayload' });
    const payload = doc.components.schemas.WebhookPayload;
    assert.deepEqual([...payload.required].sort(), ['data', 'timestamp', 'type']);
    assert.deepEqual(payload.properties.data, { $ref: '#/components/schemas/MeetingEvent' });
    assert.deepEqual(Object.keys(media.examples).sort(), [...MEETING_EVENT_TYPES].sort());
    for (const [type, example] of Object.entries(media.examples as Json)) {
      assert.equal(example.value.type, type);
      assert.equal(example.value.data.type, type);
    }
    assert.deepEqual(hook.parameters.map((p: Json) => p.name), ['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  });
});

describe('meeting-client', () => {
  test('calls each operation by the operationId the document gives it', () => {
    for (const [id, { method, path }] of Object.entries(MEETING_API_OPERATIONS)) {
      const op = doc.paths[path]?.[method.toLowerCase()];
      assert.ok(op, `${id}: ${method} ${path} is in the document`);
      assert.equal(op.operationId, id, `${method} ${path}`);
    }
  });
});
