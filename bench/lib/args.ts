import { parseArgs } from 'node:util';

export interface BenchArgs {
  quick: boolean;
  /** Scenario names to run; empty means all. */
  only: string[];
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
    strict: true,
  });
  const only = (values.only ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return { quick: values.quick === true, only };
}
