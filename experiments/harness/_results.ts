/**
 * The results of an experiment, point by point: CSV tables whose every row
 * belongs to one planned point (a training run, a cell …), read back and
 * checked against the plan, and extended one finished point at a time.
 *
 * The first table holds one row per finished point and is written last when
 * a point is recorded: a point counts as done when its row there is good and
 * its rows in the other tables pass the experiment's own check. A point whose
 * rows are bad is dropped whole (with a message), so it is done again; rows
 * of a point that has no first-table row (an interruption between two
 * writes) are dropped silently.
 *
 * @module
 */

import type { Column, CsvTable, Row } from "./_store.ts";

/** Rows of one point, by table file name. */
export type PointRows = Readonly<Record<string, readonly Row[]>>;

/** One results table. */
export interface TableSpec<P> {
  /** File name in the output folder, e.g. `sweep.csv`. */
  readonly file: string;
  /** Its header. */
  readonly columns: readonly Column[];
  /** The key of the point a row belongs to. */
  readonly pointOf: (row: Row) => string;
  /**
   * The column numbering a point's rows (e.g. `iteration`), rows kept in its
   * order; without it a point has one row in this table.
   */
  readonly within?: string;
  /** Checks a row against its point: why it is bad, or null. */
  readonly check?: (row: Row, point: P) => string | null;
}

/** The tables of an experiment and the check of a point across them. */
export interface ResultsSpec<P> {
  /** The tables; the first holds one row per finished point. */
  readonly tables: readonly TableSpec<P>[];
  /** Checks a point's rows across the tables (histories complete): why not, or null. */
  readonly checkPoint?: (point: P, rows: PointRows) => string | null;
}

/** Makes the table of a file (an output folder's, whose writes record the options first). */
export type TableFactory = (
  file: string,
  columns: readonly Column[],
  order: (a: Row, b: Row) => number,
) => CsvTable;

/** The results held in an output folder for a plan of points. */
export class Results<P> {
  readonly #tables: readonly CsvTable[];
  readonly #key: (p: P) => string;
  readonly #byKey: ReadonlyMap<string, P>;

  private constructor(
    readonly spec: ResultsSpec<P>,
    readonly points: readonly P[],
    key: (p: P) => string,
    tables: readonly CsvTable[],
  ) {
    this.#tables = tables;
    this.#key = key;
    this.#byKey = new Map(points.map((p) => [key(p), p]));
  }

  /**
   * Reads and checks the tables.
   *
   * @param table makes a table of a file
   * @param spec the tables and checks
   * @param points every planned point, in order (rows are kept in this order)
   * @param key a point's key
   * @returns the results, and one message per dropped row or point (`FILE line N: why`)
   * @throws {UsageError} when a file cannot be read as CSV or has another header
   */
  static async open<P>(
    table: TableFactory,
    spec: ResultsSpec<P>,
    points: readonly P[],
    key: (p: P) => string,
  ): Promise<{ results: Results<P>; dropped: string[] }> {
    const rank = new Map(points.map((p, i) => [key(p), i]));
    const tables = spec.tables.map((t) => {
      const at = (r: Row) => rank.get(t.pointOf(r)) ?? points.length;
      const within = t.within;
      return table(
        t.file,
        t.columns,
        within
          ? (a, b) => at(a) - at(b) || (a[within] as number) - (b[within] as number)
          : (a, b) => at(a) - at(b),
      );
    });
    const results = new Results(spec, points, key, tables);
    const dropped: string[] = [];
    for (const [i, t] of spec.tables.entries()) {
      dropped.push(
        ...await tables[i].load({
          key: (r) => t.within ? `${t.pointOf(r)}, ${t.within} ${r[t.within]}` : t.pointOf(r),
          check: (r) => {
            const p = results.#byKey.get(t.pointOf(r));
            if (p === undefined) return `${t.pointOf(r)} is not a planned run of this folder`;
            return t.check?.(r, p) ?? null;
          },
        }),
      );
    }
    const [first] = tables;
    for (const r of [...first.rows]) {
      const k = spec.tables[0].pointOf(r);
      const why = spec.checkPoint?.(results.#byKey.get(k)!, results.rowsOf(k));
      if (why) {
        dropped.push(`${first.path}: run ${k}: ${why}`);
        first.retain((x) => spec.tables[0].pointOf(x) !== k);
      }
    }
    const done = new Set(first.rows.map(spec.tables[0].pointOf));
    tables.slice(1).forEach((t, i) => t.retain((r) => done.has(spec.tables[i + 1].pointOf(r))));
    return { results, dropped };
  }

  /** How many points are done. */
  get count(): number {
    return this.#tables[0].rows.length;
  }

  /** Whether every planned point is done. */
  get complete(): boolean {
    return this.count === this.points.length;
  }

  /** The tables, in the spec's order. */
  get tables(): readonly CsvTable[] {
    return this.#tables;
  }

  /**
   * Whether a point is done.
   *
   * @param p the point
   */
  has(p: P): boolean {
    const k = this.#key(p);
    return this.#tables[0].rows.some((r) => this.spec.tables[0].pointOf(r) === k);
  }

  /**
   * Every row of a table, in plan order.
   *
   * @param file the table's file name
   */
  rows(file: string): readonly Row[] {
    const i = this.spec.tables.findIndex((t) => t.file === file);
    if (i === -1) throw new Error(`Results.rows: no table ${file}`);
    return this.#tables[i].rows;
  }

  /**
   * A point's rows in every table.
   *
   * @param p the point, or its key
   */
  rowsOf(p: P | string): PointRows {
    const k = typeof p === "string" ? p : this.#key(p);
    return Object.fromEntries(
      this.spec.tables.map((t, i) => [
        t.file,
        this.#tables[i].rows.filter((r) => t.pointOf(r) === k),
      ]),
    );
  }

  /**
   * Records a finished point: its rows of every other table, then its row of
   * the first (each write atomic), so a point counts as done only once all
   * its rows are written.
   *
   * @param p the point
   * @param rows its rows, by table file name
   */
  async record(p: P, rows: PointRows): Promise<void> {
    const [first, ...rest] = this.spec.tables;
    for (const [i, t] of rest.entries()) await this.#tables[i + 1].append(rows[t.file] ?? []);
    const mine = rows[first.file] ?? [];
    if (mine.length !== 1) {
      throw new Error(`Results.record: ${this.#key(p)} needs one row of ${first.file}`);
    }
    await this.#tables[0].append(mine);
  }
}
