// The ladder: gridgov and PostGraphile (the peer) answering the same six
// questions over the same database, each as the same principal, timed by
// one neutral load generator (autocannon) alternating the two servers.
//
// First it checks that each principal sees as many residents, households,
// dwellings and buildings on both servers, and that both return the same
// rows, in the same order, for every rung; a difference stops the run,
// since a ratio between different answers means nothing. Then, for each rung, it
// counts gridgov's SQL statements for one request and for eight at once
// (from /metrics: the count is fixed by the query's shape, so eight cost
// eight times one). Then ROUNDS rounds, each running every rung on both
// servers, the first server alternating from round to round. It prints a
// Markdown table of the medians and writes it and every round to OUT.
//
// Environment: GRIDGOV_URL, PEER_URL, OUT (a folder), CONNECTIONS (8),
// DURATION seconds (10), ROUNDS (3), WARMUP seconds per rung and server (2).

import { writeFileSync } from "node:fs";
import autocannon from "autocannon";

const GRIDGOV = process.env.GRIDGOV_URL ?? "http://127.0.0.1:18080";
const PEER = process.env.PEER_URL ?? "http://127.0.0.1:18081";
const OUT = process.env.OUT ?? ".";
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 8);
const DURATION = Number(process.env.DURATION ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const WARMUP = Number(process.env.WARMUP ?? 2);

// The principals, as gridgov's demo accounts and as the peer's scopes.
const GRID = "420502003001001";
const COMMUNITY = "420502003001";
const PRINCIPALS = {
  worker: { account: `worker-${GRID}`, scope: GRID },
  manager: { account: `community-${COMMUNITY}`, scope: COMMUNITY },
  admin: { account: "admin", scope: "" },
};

// The fields each level of a row is compared by, in both servers' words.
const ROW = "id name sex birthDate gridCode";
const PEER_ROW = "rowId name sex birthDate gridCode";
const HOUSEHOLD = "household { number address }";
const PEER_HOUSEHOLD = "householdByHouseholdId { number address }";
const DEEP = "household { number head { name } } dwelling { room building { code } }";
const PEER_DEEP =
  "householdByHouseholdId { number head { name } } dwellingByDwellingId { room buildingByBuildingId { code } }";
const PEER_ORDER = "orderBy: [GRID_CODE_ASC, ROW_ID_ASC]";

const page = (first, fields, total = "") =>
  `{ residents(first: ${first}) { ${total} nodes { ${fields} } } }`;
const peerPage = (first, fields, total = "") =>
  `{ allResidents(first: ${first}, ${PEER_ORDER}) { ${total} nodes { ${fields} } } }`;

/** The rungs; `one` is filled in with a resident of the worker's grid. */
function rungs(one) {
  const globalId = Buffer.from(`Resident:${one}`).toString("base64url");
  return [
    {
      rung: "L1", what: "one resident by id", as: "worker",
      gridgov: `{ resident(id: "${globalId}") { ${ROW} } }`,
      peer: `{ residentByRowId(rowId: "${one}") { ${PEER_ROW} } }`,
    },
    {
      rung: "L2", what: "a worker's first page of 50 residents", as: "worker",
      gridgov: page(50, ROW), peer: peerPage(50, PEER_ROW),
    },
    {
      rung: "L3", what: "that page with each household", as: "worker",
      gridgov: page(50, `${ROW} ${HOUSEHOLD}`), peer: peerPage(50, `${PEER_ROW} ${PEER_HOUSEHOLD}`),
    },
    {
      rung: "L4", what: "that page with household → head and dwelling → building", as: "worker",
      gridgov: page(50, `${ROW} ${DEEP}`), peer: peerPage(50, `${PEER_ROW} ${PEER_DEEP}`),
    },
    {
      rung: "L5", what: "community manager: totalCount and a page of 20", as: "manager",
      gridgov: page(20, ROW, "totalCount"), peer: peerPage(20, PEER_ROW, "totalCount"),
    },
    {
      rung: "L6", what: "admin's first page of 50", as: "admin",
      gridgov: page(50, ROW), peer: peerPage(50, PEER_ROW),
    },
  ];
}

async function post(url, headers, query) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  const body = await response.json();
  if (!response.ok || body.errors) {
    throw new Error(`${url}: ${response.status} ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

async function signIn(account) {
  const data = await post(GRIDGOV, {},
    `mutation { login(input: {username: "${account}", password: "gridgov-demo"}) { session { accessToken } } }`);
  return data.login.session.accessToken;
}

/** One answer as comparable rows, whichever server gave it. */
function normalise(data) {
  const list = data.residents ?? data.allResidents;
  const rows = list ? list.nodes : [data.resident ?? data.residentByRowId].filter(Boolean);
  const id = (row) => row.rowId ?? Buffer.from(row.id, "base64url").toString().split(":")[1];
  const household = (row) => row.household ?? row.householdByHouseholdId;
  const dwelling = (row) => row.dwelling ?? row.dwellingByDwellingId;
  return {
    total: list?.totalCount ?? null,
    rows: rows.map((row) => [
      String(id(row)), row.name, row.sex.toLowerCase(), row.birthDate, row.gridCode,
      household(row)?.number ?? null, household(row)?.address ?? null,
      household(row)?.head?.name ?? null,
      dwelling(row)?.room ?? null,
      (dwelling(row)?.building ?? dwelling(row)?.buildingByBuildingId)?.code ?? null,
    ]),
  };
}

async function statements() {
  const text = await (await fetch(`${GRIDGOV}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("gridgov_sql_statements_total "));
  return Number(line.split(" ")[1]);
}

/** gridgov's statements for one request, and for eight sent at once. */
async function countStatements(headers, query) {
  const before = await statements();
  await post(GRIDGOV, headers, query);
  const one = (await statements()) - before;
  const start = await statements();
  await Promise.all(Array.from({ length: 8 }, () => post(GRIDGOV, headers, query)));
  const eight = (await statements()) - start;
  return { one, eight };
}

function load(url, headers, query, duration) {
  return autocannon({
    url: `${url}/graphql`, method: "POST", connections: CONNECTIONS, duration,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const tokens = {};
for (const [name, principal] of Object.entries(PRINCIPALS)) {
  tokens[name] = await signIn(principal.account);
}
const headersOf = {
  gridgov: (as) => ({ authorization: `Bearer ${tokens[as]}` }),
  peer: (as) => ({ "x-gridgov-scope": PRINCIPALS[as].scope }),
};
const first = await post(PEER, headersOf.peer("worker"), peerPage(1, "rowId"));
const ladder = rungs(first.allResidents.nodes[0].rowId);

// Each principal sees as many rows of each table on both servers: the
// rungs compare first pages only, and a scope that differed beyond them
// would pass unseen.
console.log("== as many rows of each table for each principal");
const TABLES = [
  ["residents", "allResidents"], ["households", "allHouseholds"],
  ["dwellings", "allDwellings"], ["buildings", "allBuildings"],
];
for (const as of Object.keys(PRINCIPALS)) {
  for (const [ours, theirs] of TABLES) {
    const mine = await post(GRIDGOV, headersOf.gridgov(as), `{ ${ours}(first: 1) { totalCount } }`);
    const peer = await post(PEER, headersOf.peer(as), `{ ${theirs} { totalCount } }`);
    if (mine[ours].totalCount !== peer[theirs].totalCount) {
      console.error(`${as}: ${ours} ${mine[ours].totalCount} against ${peer[theirs].totalCount}`);
      process.exit(1);
    }
    console.log(`${as}: ${mine[ours].totalCount} ${ours} on both`);
  }
}

console.log("== the same rows from both servers");
for (const r of ladder) {
  const ours = normalise(await post(GRIDGOV, headersOf.gridgov(r.as), r.gridgov));
  const theirs = normalise(await post(PEER, headersOf.peer(r.as), r.peer));
  if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
    const at = ours.rows.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(theirs.rows[i]));
    console.error(`${r.rung}: the answers differ (total ${ours.total} against ${theirs.total}, ` +
      `${ours.rows.length} against ${theirs.rows.length} rows; first difference at row ${at}: ` +
      `${JSON.stringify(ours.rows[at])} against ${JSON.stringify(theirs.rows[at])})`);
    process.exit(1);
  }
  r.rows = ours.rows.length;
  r.total = ours.total;
  r.statements = await countStatements(headersOf.gridgov(r.as), r.gridgov);
  console.log(`${r.rung}: ${r.rows} rows${r.total === null ? "" : `, totalCount ${r.total}`} alike; ` +
    `gridgov sent ${r.statements.one} statements for one request, ${r.statements.eight} for eight at once`);
}

const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? ["gridgov", "peer"] : ["peer", "gridgov"];
  for (const r of ladder) {
    for (const server of order) {
      const url = server === "gridgov" ? GRIDGOV : PEER;
      const headers = headersOf[server](r.as);
      if (WARMUP > 0) await load(url, headers, r[server], WARMUP);
      const result = await load(url, headers, r[server], DURATION);
      const line = {
        round: round + 1, rung: r.rung, server,
        rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99,
        errors: result.errors + result.non2xx + result.timeouts,
      };
      rounds.push(line);
      console.log(`round ${line.round} ${line.rung} ${server.padEnd(7)} ${line.rps.toFixed(0)} req/s, ` +
        `p50 ${line.p50} ms, p99 ${line.p99} ms, ${line.errors} errors`);
    }
  }
}

const of = (rung, server, key) =>
  median(rounds.filter((l) => l.rung === rung && l.server === server).map((l) => l[key]));
const table = [
  `${CONNECTIONS} connections, ${DURATION} s per run, medians of ${ROUNDS} alternating rounds ` +
    "(autocannon; req/s, p99 in ms; gridgov's SQL statements for one request and for eight at once).",
  "",
  "| rung | query | gridgov req/s | peer req/s | gridgov ÷ peer | gridgov p99 | peer p99 | statements (1 / 8) | errors |",
  "|---|---|---|---|---|---|---|---|---|",
  ...ladder.map((r) => {
    const ours = of(r.rung, "gridgov", "rps");
    const theirs = of(r.rung, "peer", "rps");
    const errors = rounds.filter((l) => l.rung === r.rung).reduce((n, l) => n + l.errors, 0);
    return `| ${r.rung} | ${r.what} | ${ours.toFixed(0)} | ${theirs.toFixed(0)} | ` +
      `**${(ours / theirs).toFixed(2)}** | ${of(r.rung, "gridgov", "p99")} | ${of(r.rung, "peer", "p99")} | ` +
      `${r.statements.one} / ${r.statements.eight} | ${errors} |`;
  }),
].join("\n");
console.log(`\n${table}`);
writeFileSync(`${OUT}/ladder.md`, `${table}\n`);
writeFileSync(`${OUT}/ladder.json`, JSON.stringify({ ladder, rounds }, null, 2));
