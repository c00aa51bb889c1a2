/**
 * The conformance suite every store adapter must pass (DESIGN §4.5). Import it from
 * `@plotbox/store/conformance` in an adapter's test file and call {@link runStoreConformance}:
 * it registers `node:test` tests, each against a fresh, empty store built by the harness with a
 * fake clock and random ids. The tests live beside the ports they check, one module per repository
 * under `conformance/`; this file assembles them.
 */
import { describe } from 'node:test';
import { apiKeysConformance } from './conformance/api-keys.ts';
import { auditConformance } from './conformance/audit.ts';
import { backupConformance } from './conformance/backup.ts';
import { chartsConformance } from './conformance/charts.ts';
import { countersConformance } from './conformance/counters.ts';
import { dashboardsConformance } from './conformance/dashboards.ts';
import { datasetsConformance } from './conformance/datasets.ts';
import { erasureConformance } from './conformance/erasure.ts';
import { groupsConformance } from './conformance/groups.ts';
import { createConformanceContext } from './conformance/harness.ts';
import type { ConformanceContext, ConformanceHarness } from './conformance/harness.ts';
import { injectionConformance } from './conformance/injection.ts';
import { lifecycleConformance } from './conformance/lifecycle.ts';
import { paginationConformance } from './conformance/pagination.ts';
import { projectsConformance } from './conformance/projects.ts';
import { renderCacheConformance } from './conformance/render-cache.ts';
import { searchConformance } from './conformance/search.ts';
import { sessionsConformance } from './conformance/sessions.ts';
import { settingsConformance } from './conformance/settings.ts';
import { usersConformance } from './conformance/users.ts';

export { assertStoreError, collectPages, createTestClock } from './conformance/harness.ts';
export type { ConformanceContext, ConformanceHarness, ConformanceStoreOptions, MoreStores, StoreTest, TestClock } from './conformance/harness.ts';

/** Every part of the suite, in the order it runs. */
const PARTS: readonly ((context: ConformanceContext) => void)[] = [
  usersConformance,
  injectionConformance,
  sessionsConformance,
  apiKeysConformance,
  groupsConformance,
  projectsConformance,
  dashboardsConformance,
  chartsConformance,
  datasetsConformance,
  renderCacheConformance,
  auditConformance,
  searchConformance,
  paginationConformance,
  countersConformance,
  settingsConformance,
  erasureConformance,
  backupConformance,
  lifecycleConformance,
];

/**
 * Register the conformance tests for one adapter under `describe(name)`. With `harness.skip`, every
 * test is registered as skipped (so the run's summary counts them all) and a `# … SKIPPED` line is
 * printed: a suite that did not run must not look like one that passed.
 */
export function runStoreConformance(name: string, harness: ConformanceHarness): void {
  const context = createConformanceContext(harness);
  if (typeof harness.skip === 'string') {
    let count = 0;
    const counting: ConformanceContext = {
      ...context,
      it: (title, fn) => {
        count += 1;
        context.it(title, fn);
      },
    };
    describe(`store conformance: ${name} (SKIPPED)`, () => {
      for (const part of PARTS) part(counting);
    });
    console.log(`# store conformance suite SKIPPED for ${name}: ${count} tests did not run (${harness.skip})`);
    return;
  }
  describe(`store conformance: ${name}`, () => {
    for (const part of PARTS) part(context);
  });
}
