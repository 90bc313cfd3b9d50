import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, EnvReader } from './env';

describe('EnvReader', () => {
  test('optionalString: unset and blank are undefined, other values are returned untrimmed', () => {
    const read = new EnvReader({ A: '', B: '   ', C: ' x ' });
    assert.equal(read.optionalString('A'), undefined);
    assert.equal(read.optionalString('B'), undefined);
    assert.equal(read.optionalString('C'), ' x ');
    assert.equal(read.optionalString('MISSING'), undefined);
    assert.deepEqual(read.errors, []);
  });

  test('string falls back when unset or blank', () => {
    const read = new EnvReader({ A: '', B: 'set' });
    assert.equal(read.string('A', 'dflt'), 'dflt');
    assert.equal(read.string('B', 'dflt'), 'set');
    assert.equal(read.string('C', 'dflt'), 'dflt');
  });

  test('integer accepts whole numbers in range (trimmed) and falls back when unset', () => {
    const read = new EnvReader({ A: '42', B: ' 7 ', C: '10', D: '20' });
    assert.equal(read.integer('A', 1, 0, 100), 42);
    assert.equal(read.integer('B', 1, 0, 100), 7);
    assert.equal(read.integer('C', 1, 10, 20), 10, 'min is inclusive');
    assert.equal(read.integer('D', 1, 10, 20), 20, 'max is inclusive');
    assert.equal(read.integer('UNSET', 5, 0, 100), 5);
    assert.deepEqual(read.errors, []);
  });

  const badIntegers = ['abc', '-1', '1.5', '1e3', '0x10', '12abc', '+5', '9'.repeat(400)];
  for (const raw of badIntegers) {
    test(`integer ${JSON.stringify(raw.length > 12 ? `${raw.slice(0, 12)}…` : raw)} is an error naming the variable and returns the fallback`, () => {
      const read = new EnvReader({ N: raw });
      assert.equal(read.integer('N', 3, 0, 1000), 3);
      assert.equal(read.errors.length, 1);
      assert.match(read.errors[0]!, /^N /);
    });
  }

  test('integer out of range is an error with the range', () => {
    const read = new EnvReader({ LOW: '9', HIGH: '21' });
    read.integer('LOW', 15, 10, 20);
    read.integer('HIGH', 15, 10, 20);
    assert.equal(read.errors.length, 2);
    assert.match(read.errors[0]!, /^LOW must be from 10 to 20 \(got 9\)$/);
    assert.match(read.errors[1]!, /^HIGH must be from 10 to 20 \(got 21\)$/);
  });

  test('port accepts 0–65535 and refuses the rest', () => {
    const read = new EnvReader({ A: '0', B: '65535', C: '65536', D: 'http' });
    assert.equal(read.port('A', 1), 0);
    assert.equal(read.port('B', 1), 65535);
    read.port('C', 1);
    read.port('D', 1);
    assert.deepEqual(
      read.errors.map((e) => e.split(' ')[0]),
      ['C', 'D'],
    );
  });

  test('oneOf accepts listed values exactly and names the choices otherwise', () => {
    const read = new EnvReader({ OK: 'debug', BAD: 'DEBUG' });
    const levels = ['info', 'debug'] as const;
    assert.equal(read.oneOf('OK', levels, 'info'), 'debug');
    assert.equal(read.oneOf('BAD', levels, 'info'), 'info');
    assert.equal(read.oneOf('UNSET', levels, 'info'), 'info');
    assert.equal(read.errors.length, 1);
    assert.match(read.errors[0]!, /^BAD must be one of info, debug \(got "DEBUG"\)$/);
  });

  test('url accepts the listed protocols and refuses others or garbage', () => {
    const read = new EnvReader({ PG: 'postgres://u@h:5432/d', HTTP: 'http://h/', JUNK: 'not a url' });
    assert.equal(read.url('PG', ['postgres:']), 'postgres://u@h:5432/d');
    read.url('HTTP', ['postgres:']);
    read.url('JUNK', ['postgres:']);
    assert.equal(read.url('UNSET', ['postgres:']), undefined);
    assert.deepEqual(
      read.errors.map((e) => e.split(' ')[0]),
      ['HTTP', 'JUNK'],
    );
  });

  test('done() does nothing without errors and throws one ConfigError listing every problem', () => {
    new EnvReader({}).done();
    const read = new EnvReader({ A: 'x', B: 'y' });
    read.integer('A', 1, 0, 10);
    read.port('B', 1);
    assert.throws(
      () => read.done(),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.name, 'ConfigError');
        assert.equal(err.problems.length, 2);
        assert.match(err.message, /^Invalid configuration:\n {2}- A .*\n {2}- B /);
        return true;
      },
    );
  });
});
