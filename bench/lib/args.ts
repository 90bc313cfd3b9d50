import { parseArgs } from 'node:util';

export interface BenchArgs {
  quick: boolean;
  /** Scenario names to run; empty means all. */
  only: string[];
  /** Run the services under `--cpu-prof` and summarise the profiles. */
  profile: boolean;
  /** The memory-over-time soak instead of the scenarios. */
  soak: boolean;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      soak: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const only = (values.only ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return { quick: values.quick === true, only, profile: values.profile === true, soak: values.soak === true };
}
