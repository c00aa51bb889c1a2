// `npm run bench`: Plotbox's benchmarks, each printed as a table beside the Depictio-style
// baseline measured in the same run. Never fails on slowness; it reports.
//   node --no-node-snapshot bench/run.ts [runner] [px] [service] [api] [render] [ingest] [backup] [--sizes 1k,100k,1m] [--quick] [--charts name,…] [--cached-only]
import { parseArgs } from 'node:util';
import { runnerBench } from './runner-bench.ts';
import { loadSales, type SizeTag } from './data.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sizes: { type: 'string', default: '1k,100k,1m' },
    quick: { type: 'boolean', default: false },
    // px section: only these charts (names from bench/px-charts.ts).
    charts: { type: 'string', default: '' },
    // render section: only the cached-render table (no uncached runs, no baseline).
    'cached-only': { type: 'boolean', default: false },
  },
});
const sections = positionals.length > 0 ? positionals : ['runner', 'px', 'service', 'api', 'render', 'ingest', 'backup'];
const sizes = values.sizes.split(',') as SizeTag[];

const registry: Record<string, () => Promise<void>> = {
  runner: () => runnerBench({ sizes, quick: values.quick, load: loadSales }),
  px: async () => {
    const { pxBench } = await import('./px-bench.ts');
    await pxBench({ sizes, quick: values.quick, load: loadSales, only: values.charts === '' ? [] : values.charts.split(',') });
  },
  api: async () => {
    const { apiBench } = await import('./api-bench.ts');
    await apiBench({ quick: values.quick });
  },
  render: async () => {
    const { renderBench } = await import('./render-bench.ts');
    await renderBench({ quick: values.quick, load: loadSales, cachedOnly: values['cached-only'] });
  },
  ingest: async () => {
    const { ingestBench } = await import('./ingest-bench.ts');
    await ingestBench({ quick: values.quick });
  },
  backup: async () => {
    const { backupBench } = await import('./backup-bench.ts');
    await backupBench({ quick: values.quick });
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
// Some sections leave handles open that keep the process alive after their tables are printed
// (the render section never exited): the benchmark is done here.
process.exit();
