// PostGraphile V5 serving gridgov's database as the load harness's peer
// (bench/run.sh --peer): production mode, no GraphiQL, no watch, the
// tables read as the role `gridgov_peer`, whose rows row-level security
// narrows (rls.sql). The principal comes from the `x-gridgov-scope` header:
// the area code whose grids it may read, empty for the whole city. Without
// the header nothing is visible.
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

// Every code is at most 15 digits: 19 nines sort after all of them.
const EVERYWHERE = "9".repeat(19);

/** The range of grid codes under `area` (digits), as [lo, hi). An area
 * of all nines would overflow its width; no code is one. */
function range(area) {
  if (area === "") return ["", EVERYWHERE];
  const next = (BigInt(area) + 1n).toString().padStart(area.length, "0");
  return [area, next];
}

/** @type {GraphileConfig.Preset} */
export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.PEER_DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: 16 },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PEER_PORT ?? 18081),
    graphiql: false,
    watch: false,
  },
  grafast: {
    explain: false,
    context(requestContext) {
      const scope = requestContext.node?.req?.headers["x-gridgov-scope"];
      const [lo, hi] = typeof scope === "string" && /^\d*$/.test(scope) ? range(scope) : ["x", "x"];
      return { pgSettings: { "gridgov.lo": lo, "gridgov.hi": hi } };
    },
  },
};
