import { parseArgs } from 'node:util';

export interface BenchArgs {
  quick: boolean;
  /** Scenario names to run; empty means all. */
  only: string[];
  /** Run the services under `--cpu-prof` and summarise the profiles. */
  profile: boolean;
  /** Where to write the report; undefined → the default for the kind of run (see resultsFile). */
  out: string | undefined;
  /** The memory-over-time soak instead of the scenarios. */
  soak: boolean;
}

/**
 * Only a full run of every scenario is published (`latest.json`, committed); quick
 * and partial runs go to their own files, which git ignores.
 */
export function resultsFile(args: BenchArgs): 'latest.json' | 'quick.json' | 'partial.json' {
  if (args.quick) return 'quick.json';
  return args.only.length > 0 ? 'partial.json' : 'latest.json';
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      out: { type: 'string' },
      soak: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const only = (values.only ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return { quick: values.quick === true, only, profile: values.profile === true, out: values.out, soak: values.soak === true };
}
