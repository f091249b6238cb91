/**
 * Reads the JUnit report of `deno test --junit-path=FILE` and prints the
 * plain closing line CI reads, `N passed, N failed`, counting *leaf* tests:
 * every `it` step and every test without steps (doc tests, `Deno.test`).
 * A `describe` block is not counted itself, so a failing step counts once.
 *
 * Usage: deno run --allow-read scripts/junit_summary.ts FILE
 *
 * @module
 */

/** One `<testcase>` of the report. */
interface Case {
  name: string;
  failed: boolean;
  skipped: boolean;
}

/** Parses the `<testcase>` elements of a Deno JUnit report. */
export function parseJUnit(xml: string): Case[] {
  const cases: Case[] = [];
  const re = /<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const body = m[3] ?? "";
    cases.push({
      name: m[1].replaceAll("&gt;", ">").replaceAll("&lt;", "<").replaceAll("&amp;", "&"),
      failed: /<(failure|error)\b/.test(body),
      skipped: /<skipped\b/.test(body),
    });
  }
  return cases;
}

/** Counts the leaf cases: those no other case names as its parent (`parent > child`). */
export function summarize(cases: Case[]): { passed: number; failed: number; skipped: number } {
  const parents = new Set<string>();
  for (const c of cases) {
    const parts = c.name.split(" > ");
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join(" > "));
  }
  let passed = 0, failed = 0, skipped = 0;
  for (const c of cases) {
    if (parents.has(c.name)) continue;
    if (c.failed) failed++;
    else if (c.skipped) skipped++;
    else passed++;
  }
  return { passed, failed, skipped };
}

if (import.meta.main) {
  const file = Deno.args[0];
  if (!file) {
    console.error("usage: junit_summary.ts FILE");
    Deno.exit(2);
  }
  const { passed, failed, skipped } = summarize(parseJUnit(Deno.readTextFileSync(file)));
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
}
