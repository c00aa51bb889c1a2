// `npm run bench`: Plotbox's benchmarks, each printed as a table beside the Depictio-style
// baseline measured in the same run. Never fails on slowness; it reports.
//   node --no-node-snapshot bench/run.ts [runner] [service] [api] [render] [ingest] [--sizes 1k,100k,1m] [--quick]
import { parseArgs } from 'node:util';
import { runnerBench } from './runner-bench.ts';
import { loadSales, type SizeTag } from './data.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sizes: { type: 'string', default: '1k,100k,1m' },
    quick: { type: 'boolean', default: false },
  },
});
const sections = positionals.length > 0 ? positionals : ['runner', 'service', 'api', 'render', 'ingest'];
const sizes = values.sizes.split(',') as SizeTag[];

const registry: Record<string, () => Promise<void>> = {
  runner: () => runnerBench({ sizes, quick: values.quick, load: loadSales }),
  api: async () => {
    const { apiBench } = await import('./api-bench.ts');
    await apiBench({ quick: values.quick });
  },
  render: async () => {
    const { renderBench } = await import('./render-bench.ts');
    await renderBench({ quick: values.quick, load: loadSales });
  },
  ingest: async () => {
    const { ingestBench } = await import('./ingest-bench.ts');
    await ingestBench({ quick: values.quick });
  },
  service: async () => {
    const { serviceBench } = await import('./service-bench.ts');
    await serviceBench({ quick: values.quick, load: loadSales });
  },
};

for (const name of sections) {
  const section = registry[name];
  if (!section) {
    console.error(`unknown bench section "${name}" (known: ${Object.keys(registry).join(', ')})`);
    process.exitCode = 2;
    continue;
  }
  await section();
}
