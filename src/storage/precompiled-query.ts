import { type Compilable, type CompiledQuery, SqliteAdapter } from 'kysely';
import type { Db } from './database.ts';

/**
 * A hot query built and compiled by Kysely once, then run with new parameters.
 *
 * Building a query with Kysely, passing it through the plugins and compiling it took most of a
 * refresh login's CPU (issue #4 profile: about 40%), the same work for the same SQL every time.
 * Here the builder runs once per engine with placeholders where the values go; each execution
 * copies the compiled SQL and puts the values at the placeholders' positions. The SQL, and so the
 * results, are those of the builder version (precompiled-query.test.ts checks both engines).
 *
 * Only for queries whose shape never depends on the values (no `in` lists, no optional clauses).
 * One plan is kept per Kysely instance (keyed by its adapter, which its transactions share), so a
 * plan is never used on another engine or with other plugins.
 */
export type ParamOf<P> = <K extends keyof P & string>(name: K) => P[K];

export class PrecompiledQuery<P extends object, O> {
  readonly #build: (db: Db, param: ParamOf<P>) => Compilable<O>;
  readonly #plans = new WeakMap<object, Plan>();

  constructor(build: (db: Db, param: ParamOf<P>) => Compilable<O>) {
    this.#build = build;
  }

  /** Runs the query on `db` (the database or a transaction of it) and returns its rows. */
  async execute(db: Db, params: P): Promise<O[]> {
    const result = await db.executeQuery<O>(this.compile(db, params));
    return result.rows;
  }

  async takeFirst(db: Db, params: P): Promise<O | undefined> {
    return (await this.execute(db, params))[0];
  }

  /** The compiled query with these values in place (what `execute` sends). */
  compile(db: Db, params: P): CompiledQuery<O> {
    const adapter = db.getExecutor().adapter;
    const plan = this.#plans.get(adapter) ?? this.#compilePlan(db, adapter);
    const parameters = plan.bindings.map((binding) => {
      if (!(binding instanceof Slot)) return binding;
      const value = params[binding.name as keyof P];
      if (value === undefined) throw new Error(`precompiled query: no value for ${binding.name}`);
      // What SqliteBooleanPlugin does to the values of a built query: better-sqlite3 binds no booleans.
      return plan.sqlite && typeof value === 'boolean' ? (value ? 1 : 0) : value;
    });
    return { ...plan.compiled, parameters } as CompiledQuery<O>;
  }

  /** The builder version, compiled with these values (for tests). */
  compileBuilt(db: Db, params: P): CompiledQuery<O> {
    return this.#build(db, (name) => params[name]).compile();
  }

  #compilePlan(db: Db, adapter: object): Plan {
    const compiled = this.#build(db, (name) => new Slot(name) as never).compile();
    const sqlite = adapter instanceof SqliteAdapter;
    if (!sqlite && !preparedNames.has(compiled.sql)) {
      preparedNames.set(compiled.sql, `gatehouse_${preparedNames.size + 1}`);
    }
    const plan = { compiled, bindings: compiled.parameters, sqlite };
    this.#plans.set(adapter, plan);
    return plan;
  }
}

/**
 * PostgreSQL parses and plans an unnamed statement on every execution; a named one is parsed once
 * per connection. The precompiled texts are few and fixed, so each gets a name, which the pool's
 * clients use (pg-timed-pool.ts); any other text stays unnamed (an `in` list per length would
 * otherwise fill every connection with statements).
 */
const preparedNames = new Map<string, string>();

/** The prepared-statement name of a precompiled query's SQL text, if it is one. */
export function preparedStatementName(sql: string): string | undefined {
  return preparedNames.get(sql);
}

/** Where a value goes: Kysely keeps any non-expression object as a parameter, at its position. */
class Slot {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }
}

interface Plan {
  compiled: CompiledQuery;
  /** Per parameter: a Slot to fill, or a constant of the query. */
  bindings: ReadonlyArray<unknown>;
  sqlite: boolean;
}
