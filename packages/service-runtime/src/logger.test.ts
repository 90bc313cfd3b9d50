import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { loggerOptions, prettyLogs } from './logger';

describe('prettyLogs', () => {
  test('auto follows the terminal; json and pretty are what they say', () => {
    assert.equal(prettyLogs('auto', true), true);
    assert.equal(prettyLogs('auto', false), false);
    assert.equal(prettyLogs('json', true), false);
    assert.equal(prettyLogs('pretty', false), true);
  });
});

describe('loggerOptions', () => {
  function capture(service: string, base?: Record<string, unknown>) {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        done();
      },
    });
    return { logger: pino(loggerOptions({ service, level: 'info', base }), stream), lines };
  }

  test('every line carries service, pid and hostname, plus the given base fields', () => {
    const { logger, lines } = capture('media-server', { instance: 'abc' });
    logger.info('hello');
    assert.deepEqual(Object.keys(lines[0]!).sort(), ['hostname', 'instance', 'level', 'msg', 'pid', 'service', 'time']);
    assert.equal(lines[0]!.service, 'media-server');
    assert.equal(lines[0]!.pid, process.pid);
  });

  test('cookies, authorization, passwords, tokens and secrets are redacted', () => {
    const { logger, lines } = capture('meeting-api');
    logger.info(
      {
        req: { headers: { cookie: 'email=a@b.c', authorization: 'Bearer xyz' } },
        body: { password: 'hunter2', room_token: 'eyJ.x.y', token: 't0k', secret: 's3', jwtSecret: 'j' },
      },
      'request',
    );
    const text = JSON.stringify(lines[0]);
    for (const leaked of ['email=a@b.c', 'Bearer xyz', 'hunter2', 'eyJ.x.y', 't0k', 's3', '"j"']) assert.ok(!text.includes(leaked), `${leaked} redacted`);
    assert.equal((lines[0]!.body as Record<string, unknown>).password, '[redacted]');
  });
});
