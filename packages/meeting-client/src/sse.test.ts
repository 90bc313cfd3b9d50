import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServerSentEventParser, readServerSentEvents, type ServerSentEvent } from './sse';

/** Parses `chunks` pushed one by one; returns the messages, comments and retry times seen. */
function parse(...chunks: Array<string | Uint8Array>) {
  const events: ServerSentEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new ServerSentEventParser({ onEvent: (e) => events.push(e), onComment: (c) => comments.push(c), onRetry: (ms) => retries.push(ms) });
  for (const chunk of chunks) parser.push(chunk);
  return { events, comments, retries };
}

const message = (data: string, type = 'message', lastEventId = '') => ({ type, data, lastEventId });

test('a field is read with or without a space after the colon, and only one space is removed', () => {
  assert.deepEqual(parse('event:a\ndata:x\n\nevent: b\ndata: y\n\ndata:  two spaces\n\n').events, [
    message('x', 'a'),
    message('y', 'b'),
    message(' two spaces'),
  ]);
});

test('data lines join with a line feed; a field without a colon has an empty value', () => {
  assert.deepEqual(parse('data: line1\ndata\ndata: line3\n\ndata\n\n').events, [message('line1\n\nline3'), message('')]);
});

test('LF, CR and CRLF all end lines, even when a CRLF is split between chunks', () => {
  assert.deepEqual(parse('data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r', '\n\r', '\n').events, [
    message('a'),
    message('b'),
    message('c'),
    message('d'),
  ]);
});

test('comments are reported and never dispatch; a message without data is not dispatched', () => {
  const { events, comments } = parse(': keep-alive\n\n:stream open\n\nevent: lonely\n\nid: 4\n\n');
  assert.deepEqual(events, []);
  assert.deepEqual(comments, ['keep-alive', 'stream open']);
});

test('the last event id carries over to later messages; an id with NUL is ignored; an empty id clears it', () => {
  assert.deepEqual(parse('id: 7\ndata: a\n\ndata: b\n\nid: 8\0\ndata: c\n\nid\ndata: d\n\n').events, [
    message('a', 'message', '7'),
    message('b', 'message', '7'),
    message('c', 'message', '7'),
    message('d', 'message', ''),
  ]);
});

test('retry is reported only when it is all digits', () => {
  assert.deepEqual(parse('retry: 3000\nretry: 1.5\nretry: x\nretry:250\n\n').retries, [3000, 250]);
});

test('unknown fields are ignored and the event type resets after each message', () => {
  assert.deepEqual(parse('event: a\nfoo: bar\ndata: 1\n\ndata: 2\n\n').events, [message('1', 'a'), message('2')]);
});

test('a leading byte-order mark is dropped, in bytes or text, but only at the start', () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('data: a\n\n')]);
  assert.deepEqual(parse(bytes).events, [message('a')]);
  assert.deepEqual(parse('\ufeffdata: a\n\n').events, [message('a')]);
  // A second mark is part of the first field's name, which is then unknown.
  assert.deepEqual(parse('\ufeff\ufeffdata: a\n\ndata: b\n\n').events, [message('b')]);
});

test('a multi-byte character split between byte chunks decodes whole', () => {
  const bytes = new TextEncoder().encode('data: é€\n\n');
  assert.deepEqual(parse(bytes.slice(0, 7), bytes.slice(7)).events, [message('é€')]);
});

test('a message cut off by the end of the stream is not dispatched', () => {
  assert.deepEqual(parse('data: a\n\ndata: b\n').events, [message('a')]);
});

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

test('readServerSentEvents yields the messages of a body split anywhere, comments to the handler', async () => {
  const got: ServerSentEvent[] = [];
  const comments: string[] = [];
  const body = streamOf(': keep-alive\n\nid: 1\nevent: participant.wai', 'ting\r\ndata: {"a":1}\r\n\r\nid: 2\ndata: line1\ndata: line2\n\n', 'id: 3\ndata: x');
  for await (const m of readServerSentEvents(body, { onComment: (c) => comments.push(c) })) got.push(m);
  assert.deepEqual(got, [message('{"a":1}', 'participant.waiting', '1'), message('line1\nline2', 'message', '2')]);
  assert.deepEqual(comments, ['keep-alive']);
});

test('readServerSentEvents reads any async iterable of text or bytes (a Node response)', async () => {
  async function* chunks() {
    yield 'data: a\n';
    yield new TextEncoder().encode('\ndata: b\n\n');
  }
  const got: string[] = [];
  for await (const m of readServerSentEvents(chunks())) got.push(m.data);
  assert.deepEqual(got, ['a', 'b']);
});
