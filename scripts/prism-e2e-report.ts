/**
 * Counts the Prism violations of an e2e run through the validation proxy (`npm run test:e2e:prism`), read from
 * test/artifacts/prism-e2e.jsonl (or E2E_PRISM_LOG). Counting rule (docs/api.md, "Conformance"): every response
 * violation counts; a request violation counts only when the server answered 2xx (the document is stricter than
 * the server); request violations on requests the server refused with 4xx are the tests' deliberate bad input.
 * Prints the counted violations grouped by cause; exit code 1 when any counts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { causeOf, root, Violation } from './lib/processes';

interface Entry {
  suite?: string;
  test?: string;
  method: string;
  path: string;
  status: number;
  violations: Violation[];
}

/** Routes the document leaves out by design: the dashboard's files, Swagger UI, and trailing-slash aliases. */
const UNDOCUMENTED = /^\/(dashboard|docs)(\/|-json|$)|.\/$/;

function undocumented(entry: Entry, violation: Violation): boolean {
  return violation.message === 'Selected route not found' && UNDOCUMENTED.test(entry.path.split('?')[0]);
}

function counts(entry: Entry, violation: Violation): boolean {
  if (violation.location?.[0] === 'response') return true;
  return entry.status >= 200 && entry.status < 300;
}

function main(): void {
  const file = process.env.E2E_PRISM_LOG ?? join(root, 'test/artifacts/prism-e2e.jsonl');
  if (!existsSync(file)) {
    console.error(`${file} does not exist: run the e2e suite with E2E_THROUGH_PRISM=1 first`);
    process.exit(2);
  }
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Entry);
  const causes = new Map<string, { count: number; answers: Set<string>; suites: Set<string> }>();
  let ignored = 0;
  const outside = new Set<string>();
  for (const entry of entries) {
    for (const violation of entry.violations) {
      if (undocumented(entry, violation)) {
        outside.add(`${entry.method} ${entry.path.split('?')[0]}`);
        continue;
      }
      if (!counts(entry, violation)) {
        ignored += 1;
        continue;
      }
      const cause = causeOf(violation);
      const group = causes.get(cause) ?? { count: 0, answers: new Set(), suites: new Set() };
      group.count += 1;
      const path = entry.path.split('?')[0].replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}');
      group.answers.add(`${entry.method} ${path} → ${entry.status}`);
      if (entry.suite) group.suites.add(entry.suite);
      causes.set(cause, group);
    }
  }
  const total = [...causes.values()].reduce((sum, group) => sum + group.count, 0);
  console.log(
    `Prism over the e2e run: ${entries.length} requests, ${total} counted violations, ` +
      `${ignored} request violations on refused (4xx) requests not counted`,
  );
  console.log(`Not in the document by design, not counted: ${[...outside].sort().join(', ') || 'none'}`);
  for (const [cause, group] of [...causes.entries()].sort((a, b) => b[1].count - a[1].count)) {
    console.log(`\n${group.count} × ${cause}\n    ${[...group.answers].sort().join('; ')}`);
    console.log(`    in ${[...group.suites].sort().join(', ')}`);
  }
  process.exit(total > 0 ? 1 : 0);
}

main();
